"""Input tables: read CSV/XLSX, check responses, accounts and contacts, all or nothing.

Responses (:func:`read_responses`) are one row per response. Metadata columns (all
optional but ``response_id``) come first, then one column per answer: ``<item>``,
``<item>.<facet>``, ``<allocation>.<construct>`` and ``<open>``. Blank cells are missing
(NaN), never zero.

CSV/TXT files may be UTF-8 (with or without BOM), GB18030/GBK (Chinese Excel's "CSV") or
UTF-16 with a BOM (Excel's "Unicode text"), separated by commas, semicolons or tabs.
A file that does not check out is rejected whole, naming every bad row and column.

Accounts (:func:`check_accounts`, :func:`read_accounts`) and contacts
(:func:`check_contacts`, :func:`read_contacts`) are checked the same way, for
``surveyapp analyze`` and for the app's imports alike; the ``check_*`` functions return the
problems with the typed rows, so that a caller can preview which rows are fine.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from .answers import blank_codes, blank_codes_frame, column_labels, missing_keys, read_numbers
from .headers import ColumnMapError, find_header_row, near_misses, rename_columns
from .instrument import Questionnaire
from .rollup import ROLE_ALIASES, normalize_roles
from .vocabulary import BUYER_ROLES, CUSTOMER_TYPES, UNKNOWN_ROLE

META_COLUMNS = ("response_id", "account_id", "contact_id", "role", "wave", "submitted_at", "lang")

MAX_ERRORS_LISTED = 50


@dataclass(frozen=True)
class CellError:
    """One problem in an input file. ``row`` is the spreadsheet row (header = row 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class InputFileError(ValueError):
    """An input file rejected as a whole; ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: list[CellError]):
        self.source = source
        self.errors = errors
        super().__init__(self.describe("nothing was imported"))

    def describe(self, outcome: str) -> str:
        """The message with what did not happen (an import: "nothing was imported"; the
        file analysis: "nothing was written")."""
        shown = [str(e) for e in self.errors[:MAX_ERRORS_LISTED]]
        more = len(self.errors) - len(shown)
        tail = f"\n  … and {more} more" if more > 0 else ""
        return (f"{self.source}: {len(self.errors)} problem(s); {outcome}:\n  "
                + "\n  ".join(shown) + tail)


TEXT_ENCODINGS = ("utf-8", "gb18030")
"""Encodings a CSV/TXT file is tried in, in order. UTF-8 with or without a byte-order mark
first; then GB18030, a superset of GBK/GB2312 (what Excel saves "CSV (逗号分隔)" in on a
Chinese Windows). A file starting with a UTF-16 byte-order mark (Excel's "Unicode text")
is read as UTF-16."""

DELIMITERS = (",", ";", "\t")
"""Field separators a CSV/TXT file may use: whichever splits the header line into the most
fields (ties go to the earlier one). A first line ``sep=<c>`` (written by Excel) names it."""

_SNIFF_CHARS = 1 << 16  # the header line is looked for in this many leading characters
_SAVE_AS_UTF8 = ('save the file as "CSV UTF-8" (Excel: Save As → "CSV UTF-8 (Comma '
                 'delimited)"; 另存为 → "CSV UTF-8(逗号分隔)")')


def decode_text(data: bytes) -> str:
    """Decode the bytes of a text table: UTF-8 (BOM dropped), else GB18030; UTF-16 by BOM.

    Raises
    ------
    UnicodeDecodeError
        When no encoding fits; the ``reason`` names the encodings tried and how to fix
        the file.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(
                exc.encoding, exc.object, exc.start, exc.end,
                f"the file starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                f"({exc.reason} at byte {exc.start}); {_SAVE_AS_UTF8}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first = exc
    for encoding in TEXT_ENCODINGS[1:]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    body = first.object  # without the BOM, which first.start counts from
    line = body.count(b"\n", 0, first.start) + 1
    tried = ", ".join(e.upper() for e in TEXT_ENCODINGS)
    raise UnicodeDecodeError(
        first.encoding, body, first.start, first.end,
        f"the text encoding is not one we can read (tried {tried}; byte "
        f"0x{body[first.start]:02x} on line {line} fits none of them); {_SAVE_AS_UTF8}")


def _sep_line(text: str) -> str | None:
    """The separator named by a first line ``sep=<c>`` (Excel writes one), else None."""
    first_line = text[:_SNIFF_CHARS].split("\n", 1)[0].rstrip("\r")
    match = re.fullmatch(r"sep=([^\"\r\n])", first_line)
    return match.group(1) if match else None


def sniff_delimiter(text: str) -> str:
    """The field separator of a CSV text.

    The separator a first line ``sep=<c>`` names; otherwise whichever of
    :data:`DELIMITERS` (comma, semicolon, tab) splits the header — the first non-blank
    line — into the most fields, ties going to the earlier one (comma when none splits it).
    """
    named = _sep_line(text)
    if named is not None:
        return named
    head = text[:_SNIFF_CHARS]
    best, best_fields = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        fields = next((row for row in csv.reader(io.StringIO(head), delimiter=delimiter)
                       if row), [])
        if len(fields) > best_fields:
            best, best_fields = delimiter, len(fields)
    return best


MAX_COLUMNS = 5000
"""The most columns a table may have (a questionnaire of 200 items asked twice has ~450):
a header of tens of thousands of cells is refused before it is parsed."""


def _check_width(n_columns: int) -> None:
    if n_columns > MAX_COLUMNS:
        raise ValueError(f"the table has {n_columns:,} columns, more than the "
                         f"{MAX_COLUMNS:,} a file may have; remove the columns that are not "
                         f"part of the data")


HeaderFinder = Callable[[list[list[str]]], int]
_HEADER_SEARCH_ROWS = 10  # a title row or merged header is looked for in the first rows
_FIELD_LIMIT = csv.field_size_limit()


def _header_index(rows: list[list[str]], header_row: int | None,
                  find_header: HeaderFinder | None) -> int:
    """The 0-based row of the header: ``header_row`` (1-based) when given, else the one
    ``find_header`` picks from the first rows, else the first."""
    if header_row is not None:
        if header_row < 1 or header_row > max(len(rows), 1):
            raise ValueError(f"--header-row {header_row}: the file has no row {header_row} "
                             f"among its first {len(rows)}")
        return header_row - 1
    return find_header(rows) if find_header is not None else 0


def _parser_message(exc: Exception, skipped: int, delimiter: str) -> str:
    """pandas' tokenizer error in words, with the file's line number."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if not found:
        return str(exc)
    expected, line, saw = (int(g) for g in found.groups())
    name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
    return (f"line {line + skipped} has {saw} cells but the header has {expected}: a stray "
            f"{name} or a {name} inside a cell without quotes; remove it, or save the file "
            f"again from Excel or WPS (cells are then quoted)")


def _read_text_table(data: bytes, header_row: int | None = None,
                     find_header: HeaderFinder | None = None) -> pd.DataFrame:
    text = decode_text(data)
    if "\r" in text and "\n" not in text:  # old Mac Excel ("CSV (Macintosh)") ends lines in CR
        text = text.replace("\r", "\n")
    delimiter = sniff_delimiter(text)
    first_data_row = 2
    if _sep_line(text) is not None:
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first_data_row = 3  # Excel's "sep=;" line comes before the header
    if header_row is not None or find_header is not None:
        lines = text[:_SNIFF_CHARS].split("\n")[:_HEADER_SEARCH_ROWS]
        head_rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines]
        skip = _header_index(head_rows, header_row, find_header)
        if skip:
            text = text.split("\n", skip)[-1]
            first_data_row += skip
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise ValueError(f"a cell of the header is longer than {_FIELD_LIMIT:,} "
                             f"characters; the header names the columns (response_id, "
                             f"sq01.e …)") from None
        raise
    _check_width(len(header))
    # blank lines are kept (and dropped by read_table) so error rows match the file's rows
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str,
                            keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        raise ValueError(_parser_message(exc, first_data_row - 2, delimiter)) from None
    except pd.errors.EmptyDataError:
        raise ValueError("the file is empty (no header line)") from None
    frame.attrs["first_data_row"] = first_data_row
    _check_repeated(header, first_data_row - 1)
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the first field(s) as row labels when the data rows have more fields
        # than the header: every value would land one column to the right
        name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
        first = next((n for n, row in enumerate(csv.reader(io.StringIO(text),
                                                           delimiter=delimiter), start=1)
                      if len(row) > len(header)), None)
        where = f"line {first + first_data_row - 2}" if first else "the data rows"
        raise ValueError(f"{where} has more cells than the header line "
                         f"({len(header)} fields, {name}-separated): a stray {name} or a "
                         f"{name} inside a cell without quotes; remove it, or save the file "
                         f"again from Excel or WPS (cells are then quoted)")
    return frame


MAX_WORKBOOK_UNPACKED = 256 * 1024 * 1024
"""A workbook may unpack to at most this many bytes: a small file that unpacks to
gigabytes (a "zip bomb") is refused before it is opened."""


def _check_repeated(header: Sequence[object], row: int) -> None:
    """A name given to two columns is an error (pandas would rename the second "x.1" and
    hide the mistake); one pass over the header, however wide."""
    counts = Counter(str(h).strip() for h in header if h is not None)
    repeated = sorted(n for n, k in counts.items() if n and k > 1)
    if repeated:
        raise InputFileError("", [CellError(row, n, "column appears more than once")
                                  for n in repeated])


def _read_workbook(data: bytes, sheet: str | None = None, header_row: int | None = None,
                   find_header: HeaderFinder | None = None) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValueError("the file is not an Excel workbook (.xlsx); save it from Excel or "
                         "WPS as \"Excel Workbook (*.xlsx)\" or as CSV") from None
    if "[Content_Types].xml" not in names:
        raise ValueError("the file is a zip archive but not an Excel workbook (.xlsx); save "
                         "it from Excel or WPS as \"Excel Workbook (*.xlsx)\" or as CSV")
    if unpacked > MAX_WORKBOOK_UNPACKED:
        raise ValueError(f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, more than "
                         f"the {MAX_WORKBOOK_UNPACKED // 2**20} MB a workbook may hold; save "
                         f"it as CSV instead")
    try:
        with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as book:
            if sheet is not None and sheet not in book.sheet_names:
                raise ValueError(f"the workbook has no sheet '{sheet}' (its sheets: "
                                 f"{', '.join(map(str, book.sheet_names))})")
            # read without a header: the header row is found below (a title row may come
            # first)
            cells = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0,
                                  header=None, dtype=str, keep_default_na=False)
        _check_width(len(cells.columns))
        rows = cells.head(_HEADER_SEARCH_ROWS).fillna("").astype(str).to_numpy().tolist()
        at = _header_index(rows, header_row, find_header) if len(cells) else 0
        header = [str(c).strip() if isinstance(c, str) else "" for c in
                  (cells.iloc[at].tolist() if len(cells) else [])]
        _check_repeated(header, at + 1)
        frame = cells.iloc[at + 1:].reset_index(drop=True)
        frame.columns = [h or f"Unnamed: {n}" for n, h in enumerate(header)]
        frame = frame.fillna("").astype(str)
        frame.attrs["first_data_row"] = at + 2
        return frame
    except (zipfile.BadZipFile, KeyError, TypeError) as exc:
        raise ValueError(f"the workbook cannot be read ({type(exc).__name__}: {exc}); save "
                         f"it again from Excel or WPS, or as CSV") from None


def read_table(path: str | Path, data: bytes | None = None, *, sheet: str | None = None,
               header_row: int | None = None,
               find_header: HeaderFinder | None = None) -> pd.DataFrame:
    """Read a CSV, TXT or XLSX file as text cells (blank → NA), keeping every value as typed.

    Text files are decoded by :func:`decode_text` (UTF-8, else GB18030/GBK) and split on the
    separator :func:`sniff_delimiter` finds in the header line (comma, semicolon or tab).

    Parameters
    ----------
    path : str or Path
        The file; its suffix (``.csv``, ``.txt``, ``.xlsx``) says how to read it.
    data : bytes, optional
        The file's content, when it is already in memory (an upload): ``path`` then only
        names it (for the suffix and the messages) and is not opened.
    sheet : str, optional
        The workbook's sheet to read (default: the first).
    header_row : int, optional
        The header's row (1-based), when a title row or merged header comes before it.
    find_header : callable, optional
        Picks the header (0-based) among the first rows when ``header_row`` is not given.

    Columns without a header whose cells are all blank (Excel's trailing empty columns) are
    dropped; one that holds values is named ``Unnamed: <n>``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
            raise InputFileError(str(path), [CellError(None, None,
                                 f"unsupported file type '{suffix}' (use .csv or .xlsx)")])
        content = path.read_bytes() if data is None else data
        if suffix in (".xlsx", ".xlsm"):
            frame = _read_workbook(content, sheet, header_row, find_header)
        else:
            frame = _read_text_table(content, header_row, find_header)
    except UnicodeDecodeError as exc:  # decode_text's reason names the encodings tried
        reason = exc.reason if suffix in (".csv", ".txt") else str(exc)
        raise InputFileError(str(path), [CellError(None, None,
                             f"cannot read: {reason}")]) from exc
    except InputFileError as exc:
        raise InputFileError(str(path), exc.errors) from None
    except csv.Error:
        raise InputFileError(str(path), [CellError(None, None, (
            "cannot read: a cell holds a line break outside quotes; save the file again "
            "from Excel or WPS (a cell's line breaks are then quoted), or remove them"))]
        ) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(str(path), [CellError(None, None, f"cannot read: {exc}")]) from exc
    first_data_row = frame.attrs.get("first_data_row", 2)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip()).replace("", pd.NA)
    unnamed = [c for c in frame.columns if not c or re.fullmatch(r"Unnamed: \d+", c)]
    empty = [c for c in unnamed if frame[c].isna().all()]
    if empty:  # trailing empty columns (and stray separators at line ends)
        frame = frame.drop(columns=empty)
    # spreadsheet row of each record, kept across the blank rows dropped
    file_rows = np.arange(len(frame)) + first_data_row
    blank = frame.isna().all(axis=1).to_numpy() if len(frame.columns) else np.zeros(
        len(frame), dtype=bool)
    frame = frame.loc[~blank].reset_index(drop=True)
    frame.attrs["file_rows"] = file_rows[~blank]
    return frame


def _file_rows(raw: pd.DataFrame) -> np.ndarray:
    """Spreadsheet row numbers of a table's records (header = row 1)."""
    rows = raw.attrs.get("file_rows")
    if rows is not None and len(rows) == len(raw):
        return np.asarray(rows)
    return np.arange(len(raw)) + 2


def not_a_number(text: object) -> str:
    """The message for a cell that is not a number, with a hint when the fix is clear."""
    t = str(text)
    message = f"'{t}' is not a number"
    if re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?\s*[%％]", t):
        return message + " (write a share as a decimal: 25 % is 0.25)"
    if re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", t):
        return message + " (use a point for decimals and no thousands separators: 1234.5)"
    bare = re.sub(r"[^\d.+\-eE]", "", t)
    if re.search(r"\d", t) and re.fullmatch(r"[+-]?\d+(?:\.\d+)?", bare):
        return message + " (write the number alone, without currency signs or units)"
    return message


@dataclass
class ResponsesFile:
    """A checked responses file: the typed frame and what the reader said about it.

    ``notices`` say what was done to read the file (columns renamed, ids made from the row
    numbers, columns kept as attributes); ``warnings`` are respondents' answers left out of
    a figure (importance points that do not add up). ``attributes`` are the columns kept
    that are neither metadata nor answers."""

    frame: pd.DataFrame
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attributes: tuple[str, ...] = ()


def _rows_in_words(rows: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return ("row " if len(rows) == 1 else "rows ") + shown + (" …" if len(rows) > limit else "")


def check_responses(raw: pd.DataFrame, questionnaire: Questionnaire,
                    source: str = "<responses>", *, na_values: Sequence[str] = (),
                    column_map: Mapping[str, str] | None = None) -> ResponsesFile:
    """Check a frame of text cells against ``questionnaire``: typed answers and notices.

    Headers are renamed by :func:`analysis.headers.rename_columns`; a column that is neither
    metadata nor an answer is kept as an attribute (text), unless it looks like a mistyped
    answer column (:func:`analysis.headers.near_misses`). Cells are read by
    :func:`analysis.answers.read_numbers`: missing-value codes (and ``na_values``) are
    missing, labels their point, full-width digits digits. Without a ``response_id``
    column each response is named by its row in the file.

    Raises :class:`InputFileError` listing every mistyped or repeated column, duplicate id,
    unreadable, non-whole or out-of-scale value; nothing is returned half-done.
    Importance points that do not add up to the total are the respondent's answer: the row
    is kept, its points are left out (missing) and a warning counts them with their rows.
    """
    rows = _file_rows(raw)  # spreadsheet rows: the header is row 1
    try:
        renamed, notices = rename_columns([str(c) for c in raw.columns], questionnaire,
                                          column_map)
    except ColumnMapError as exc:
        raise InputFileError(source, [CellError(None, None, str(exc))]) from None
    raw = raw.set_axis(renamed, axis=1)
    row_names = [c for c in raw.columns if re.fullmatch(r"Unnamed: \d+", c)
                 and raw[c].tolist() == [str(n) for n in range(1, len(raw) + 1)]]
    if row_names:  # R's write.csv writes its row names as a first column without a header
        if "response_id" in raw.columns:
            raw = raw.drop(columns=row_names)
            notices.append("a column without a header holds the row numbers 1, 2, … (R's "
                           "row names) and is left out")
        else:
            raw = raw.drop(columns=row_names[1:]).rename(columns={row_names[0]:
                                                                  "response_id"})
            notices.append("the file has no response_id column: its row names 1, 2, … (a "
                           "column without a header, as R writes them) are the response ids")
    errors: list[CellError] = []
    numeric = questionnaire.numeric_columns
    known = set(META_COLUMNS) | set(numeric) | set(questionnaire.text_columns)
    columns = list(raw.columns)
    misses = near_misses(columns, questionnaire)
    for col in columns:
        if col in misses:
            errors.append(CellError(1, col, misses[col]))
        elif re.fullmatch(r"Unnamed: \d+", col):
            errors.append(CellError(1, None, f"column {int(col.split()[1]) + 1} has no header "
                                             f"but holds values; name it or remove it"))
    for col, k in Counter(columns).items():
        if k > 1:
            errors.append(CellError(1, col, "column appears more than once (after renaming)"))
    if errors:
        raise InputFileError(source, errors)
    attributes = tuple(c for c in columns if c not in known)
    if attributes:
        notices.append(f"{len(attributes)} column(s) are not in the questionnaire and are "
                       f"kept as the respondents' attributes (usable with --by): "
                       f"{', '.join(attributes[:20])}{' …' if len(attributes) > 20 else ''}")
    missing = missing_keys(na_values)
    texts_of = {col: blank_codes(raw[col].astype("string"), missing)
                for col in (*META_COLUMNS, *questionnaire.text_columns) if col in raw.columns}
    attribute_frame = blank_codes_frame(raw[list(attributes)], missing)
    if "response_id" not in raw.columns:
        texts_of["response_id"] = pd.Series([str(r) for r in rows], index=raw.index,
                                            dtype="string")
        notices.append("the file has no response_id column: each response is named by its "
                       "row in the file")
    ids = texts_of["response_id"]
    for pos in np.flatnonzero(ids.isna().to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id", "blank"))
    dup_mask = ids.duplicated(keep="first") & ids.notna()
    for pos in np.flatnonzero(dup_mask.to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id",
                                f"duplicate response_id '{ids.iloc[pos]}'"))

    labels = column_labels(questionnaire)
    # columns are gathered first and framed once: a frame grown column by column would be
    # fragmented into hundreds of blocks for a large questionnaire
    answers: dict[str, pd.Series] = {}
    for col in numeric:
        if col not in raw.columns:
            answers[col] = pd.Series(np.nan, index=raw.index, dtype="float64")
            continue
        text = raw[col]
        if na_values:  # a code that is a number (-99, 999) would otherwise read as one
            text = text.mask(text.isin(list(na_values)))
        values, bad_number = read_numbers(text, missing, labels.get(col))
        lo, hi = questionnaire.column_range(col)
        finite = values.notna()
        not_whole = finite & (values != np.round(values))
        out_of_range = finite & ((values < lo) | (values > hi))
        for pos in np.flatnonzero(bad_number.to_numpy()):
            errors.append(CellError(int(rows[pos]), col, not_a_number(text.iloc[pos])))
        for pos in np.flatnonzero(not_whole.to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is not a whole number (the scale is "
                                    f"{lo}–{hi})"))
        for pos in np.flatnonzero((out_of_range & ~not_whole).to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is outside the scale {lo}–{hi}"))
        answers[col] = values
    warnings: list[str] = []
    for allocation in questionnaire.allocations:
        cols = list(allocation.columns)
        block = pd.DataFrame({c: answers[c] for c in cols})
        answered = block.notna().any(axis=1)
        sums = block.sum(axis=1, min_count=1)
        off = (answered & (sums != allocation.total)).to_numpy()
        if off.any():
            # a respondent's answer, not a file error (DESIGN.md): kept, left out, counted
            off_rows = [int(r) for r in rows[off]]
            warnings.append(f"{len(off_rows)} respondent(s) gave '{allocation.id}' points "
                            f"that do not add up to {allocation.total} "
                            f"({_rows_in_words(off_rows)}): their points are left out of the "
                            f"weighted score and of the stated importance")
            for c in cols:
                answers[c] = answers[c].mask(off)
    out = pd.concat([pd.DataFrame({c: texts_of[c] for c in META_COLUMNS if c in texts_of},
                                  index=raw.index),
                     pd.DataFrame(answers, index=raw.index),
                     pd.DataFrame({c: texts_of.get(c, pd.Series(pd.NA, index=raw.index,
                                                                dtype="string"))
                                   for c in questionnaire.text_columns}, index=raw.index),
                     attribute_frame],
                    axis=1)
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise InputFileError(source, errors)
    return ResponsesFile(out.reset_index(drop=True), notices, warnings, attributes)


def validate_responses(raw: pd.DataFrame, questionnaire: Questionnaire,
                       source: str = "<responses>", **options: object) -> pd.DataFrame:
    """The typed frame of :func:`check_responses` (``na_values``, ``column_map``)."""
    return check_responses(raw, questionnaire, source,
                           **options).frame  # type: ignore[arg-type]


def load_responses(path: str | Path, questionnaire: Questionnaire, *,
                   na_values: Sequence[str] = (), column_map: Mapping[str, str] | None = None,
                   sheet: str | None = None, header_row: int | None = None) -> ResponsesFile:
    """Read and check a wide responses file (CSV or XLSX), as its tool wrote it.

    The header is ``header_row`` (1-based) when given, else the row among the first ten
    that names the most of the questionnaire's columns (a title row or merged header above
    it is skipped); see :func:`check_responses` for the rest."""
    def header_of(rows: list[list[str]]) -> int:
        return find_header_row(rows, questionnaire, column_map)

    raw = read_table(path, sheet=sheet, header_row=header_row, find_header=header_of)
    return check_responses(raw, questionnaire, str(path), na_values=na_values,
                           column_map=column_map)


def read_responses(path: str | Path, questionnaire: Questionnaire,
                   **options: object) -> pd.DataFrame:
    """Read and validate a wide responses file (CSV or XLSX); see :func:`load_responses`."""
    return load_responses(path, questionnaire, **options).frame  # type: ignore[arg-type]


def empty_responses(questionnaire: Questionnaire) -> pd.DataFrame:
    """A typed frame with no rows and every column of the questionnaire."""
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in META_COLUMNS})
    for col in questionnaire.numeric_columns:
        frame[col] = pd.Series(dtype="float64")
    for col in questionnaire.text_columns:
        frame[col] = pd.Series(dtype="string")
    return frame


def reverse_keyed(responses: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Answers with reverse-worded items recoded ``lo + hi − x``, so that a high value always
    means more of the construct (for reliability and the path model). Without reverse items
    the input itself is returned (it is never modified)."""
    if not any(item.reverse for inst in questionnaire.instruments for item in inst.items):
        return responses
    # a shallow copy: copy-on-write keeps the input unchanged and only the recoded columns
    # are new (a deep copy of a million rows of every instrument cost ~0.8 GB)
    out = responses.copy(deep=False)
    for inst in questionnaire.instruments:
        for item in inst.items:
            if not item.reverse:
                continue
            scale = inst.scales[item.scale]
            for col in item.columns:
                if col in out.columns:
                    out[col] = scale.min + scale.max - out[col]
    return out


ACCOUNT_TEXT_COLUMNS = ("account_id", "name", "industry", "customer_type", "owner", "period")
ACCOUNT_NUMERIC_COLUMNS = ("revenue", "margin", "cost_to_serve", "wallet", "revenue_prev",
                           "referral_value", "on_time_delivery", "ppm", "complaints")


@dataclass(frozen=True)
class ColumnLimit:
    """The values a numeric column may take: ``low ≤ x ≤ high`` (None = unbounded), whole
    numbers only if ``whole``; ``note`` tells the reader what the column means."""

    low: float | None = None
    high: float | None = None
    whole: bool = False
    note: str = ""

    def violations(self, values: np.ndarray) -> list[tuple[np.ndarray, str]]:
        """``(mask, reason)`` pairs: the positions of finite values that break the rule."""
        finite = np.isfinite(values)
        low = finite & (values < self.low) if self.low is not None else np.zeros_like(finite)
        high = finite & (values > self.high) if self.high is not None else np.zeros_like(finite)
        if self.low == 0 and self.high is None:
            what = "is negative"
        else:
            lo = "-∞" if self.low is None else f"{self.low:g}"
            hi = "∞" if self.high is None else f"{self.high:g}"
            what = f"is outside [{lo}, {hi}]"
        note = f"; {self.note}" if self.note else ""
        found = [(low | high, what + note)]
        if self.whole:
            found.append((finite & ~(low | high) & (values != np.round(values)),
                          "is not a whole number" + note))
        return found


ACCOUNT_LIMITS: Mapping[str, ColumnLimit] = MappingProxyType({
    # the same rules as analysis.contribution.account_contribution
    "revenue": ColumnLimit(0, None, note="revenue cannot be negative"),
    "margin": ColumnLimit(-1, 1, note="margin is the gross margin as a share: write 25 % as 0.25"),
    "cost_to_serve": ColumnLimit(0, None, note="cost to serve cannot be negative"),
    "wallet": ColumnLimit(0, None, note="the wallet (the account's total spend in our category) "
                                  "cannot be negative"),
    "revenue_prev": ColumnLimit(0, None, note="previous revenue cannot be negative"),
    "referral_value": ColumnLimit(0, None, note="referral value cannot be negative"),
    # the objective service KPIs
    "on_time_delivery": ColumnLimit(0, 1, note="on-time delivery is a share: write 95 % as 0.95"),
    "ppm": ColumnLimit(0, None, note="defects per million cannot be negative"),
    "complaints": ColumnLimit(0, None, whole=True,
                        note="complaints is a count of complaints in the period"),
})
"""What each numeric account column may hold; anything else rejects the accounts file."""


def _extra_limits(limits: Mapping[str, ColumnLimit | tuple[float | None, float | None]]
                  | None) -> dict[str, ColumnLimit]:
    out: dict[str, ColumnLimit] = {}
    for col, bounds in (limits or {}).items():
        if isinstance(bounds, ColumnLimit):
            out[col] = bounds
            continue
        try:
            low, high = bounds
            low = None if low is None else float(low)
            high = None if high is None else float(high)
        except (TypeError, ValueError):
            raise ValueError(f"limits['{col}'] must be a pair (min, max) of numbers or None, "
                             f"not {bounds!r} (argument limits)") from None
        if low is not None and high is not None and low > high:
            raise ValueError(f"limits['{col}'] has min {low:g} above max {high:g} "
                             f"(argument limits)")
        out[col] = ColumnLimit(low, high)
    return out


CUSTOMER_TYPE_ALIASES: Mapping[str, str] = MappingProxyType({
    # DESIGN.md's Chinese names (三类工业客户), with and without 型
    "价格敏感型": "price_sensitive", "价格敏感": "price_sensitive",
    "附加价值型": "value_added", "附加价值": "value_added", "增值型": "value_added",
    "合作伙伴型": "partnership", "合作伙伴": "partnership", "伙伴型": "partnership",
})
"""Other names of the customer types → the type id. Besides these, an id is recognised in
any case and with spaces or hyphens for the underscore ("Price-sensitive", "value added")."""

LANGUAGE_ALIASES: Mapping[str, str] = MappingProxyType({
    "中文": "zh", "汉语": "zh", "简体中文": "zh", "chinese": "zh", "cn": "zh",
    "英文": "en", "英语": "en", "english": "en",
})
"""Other names of the survey languages → the language code; a code with a region
("zh-CN", "en_GB") is its language."""


def _key(value: str) -> str:
    """NFKC-normalised (full-width → ASCII), case-folded, inner spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


def customer_type_id(value: str) -> str | None:
    """The customer type a name stands for (``"价格敏感型"`` → ``price_sensitive``), else None."""
    key = _key(value)
    if key in CUSTOMER_TYPE_ALIASES:
        return CUSTOMER_TYPE_ALIASES[key]
    key = re.sub(r"[\s-]+", "_", key)
    return key if key in CUSTOMER_TYPES else None


def language_code(value: str, languages: Sequence[str]) -> str | None:
    """The code of ``languages`` a name stands for (``"zh-CN"``, ``"中文"`` → ``zh``)."""
    key = _key(value).replace("_", "-")
    key = LANGUAGE_ALIASES.get(key, key)
    for candidate in (key, key.split("-", 1)[0]):
        if candidate in languages:
            return candidate
    return None


_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f,;<>()\[\]\\\"]+@[A-Za-z0-9\u0080-\uffff]"
                    r"(?:[A-Za-z0-9\u0080-\uffff-]*[A-Za-z0-9\u0080-\uffff])?"
                    r"(?:\.[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]*"
                    r"[A-Za-z0-9\u0080-\uffff])?)+")
MAX_EMAIL_LENGTH = 254


def clean_email(value: str) -> str | None:
    """The address with full-width characters typed through a Chinese input method made
    ASCII (``＠`` → ``@``) and the domain lower-cased; None when it is not an address
    (one ``@``, a dotted domain, no spaces, at most 254 characters)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(text):
        return None
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _header_errors(raw: pd.DataFrame, known: Collection[str], required: Sequence[str],
                   refused: Mapping[str, str]) -> list[CellError]:
    errors: list[CellError] = []
    for col in raw.columns:
        if col in refused:
            errors.append(CellError(1, col, refused[col]))
        elif col not in known:
            errors.append(CellError(1, col, f"unknown column (the columns are "
                                            f"{', '.join(known_order(known))})"))
    for col, k in Counter(raw.columns).items():
        if k > 1:
            errors.append(CellError(1, col, "column appears more than once"))
    for col in required:
        if col not in raw.columns:
            errors.append(CellError(1, col, "required column is missing"))
    return errors


def known_order(known: Collection[str]) -> list[str]:
    """Column names in a stable order for messages: the file format's order first."""
    order = {c: k for k, c in enumerate((*ACCOUNT_TEXT_COLUMNS, *ACCOUNT_NUMERIC_COLUMNS,
                                         *CONTACT_COLUMNS))}
    return sorted(known, key=lambda c: (order.get(c, len(order)), c))


def _check_ids(raw: pd.DataFrame, column: str, rows: np.ndarray,
               errors: list[CellError]) -> None:
    ids = raw[column]
    for blank in np.flatnonzero(ids.isna().to_numpy()):
        errors.append(CellError(int(rows[blank]), column, "blank"))
    first: dict[str, int] = {}
    for pos, value in enumerate(ids.tolist()):
        if value is pd.NA or value is None:
            continue
        if value in first:
            errors.append(CellError(int(rows[pos]), column,
                                    f"duplicate {column} '{value}' (first on row {first[value]})"))
        else:
            first[value] = int(rows[pos])


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_text(raw: pd.DataFrame, columns: Sequence[str], rows: np.ndarray,
                max_lengths: Mapping[str, int], errors: list[CellError]) -> None:
    """Text cells hold no control characters and fit their column's length."""
    for col in columns:
        if col not in raw.columns:
            continue
        limit = max_lengths.get(col)
        for pos, value in enumerate(raw[col].tolist()):
            if not isinstance(value, str):
                continue
            if _CONTROL.search(value):
                errors.append(CellError(int(rows[pos]), col, "contains a control character "
                                        "(a line break or tab inside the cell); remove it"))
            elif limit is not None and len(value) > limit:
                errors.append(CellError(int(rows[pos]), col,
                                        f"is {len(value)} characters long; at most {limit}"))


def check_accounts(raw: pd.DataFrame, extra_numeric: tuple[str, ...] = (),
                   source: str = "<accounts>",
                   limits: Mapping[str, ColumnLimit | tuple[float | None, float | None]]
                   | None = None, *,
                   required: Sequence[str] = ("account_id",),
                   refused: Mapping[str, str] | None = None,
                   owner_email: bool = False,
                   max_lengths: Mapping[str, int] | None = None,
                   ) -> tuple[pd.DataFrame, list[CellError]]:
    """The checks of :func:`validate_accounts`, returning the problems instead of raising.

    Problems with the header (an unknown, refused, repeated or missing required column)
    still raise :class:`InputFileError`: no cell can be read then. Otherwise returns the
    typed frame (a bad cell is missing in it) and the cell problems, sorted by row; a
    caller can then tell which rows are fine, e.g. to preview an import.

    Parameters
    ----------
    required : sequence of str
        Columns that must be present and never blank (``account_id`` always is).
    refused : mapping, optional
        Column → why it is not accepted here (said instead of "unknown column").
    owner_email : bool
        ``owner`` must be an email address (a user of the app); it is returned cleaned by
        :func:`clean_email`.
    max_lengths : mapping, optional
        Text column → the most characters it may hold.
    """
    rules = {col: [rule] for col, rule in ACCOUNT_LIMITS.items()}
    for col, rule in _extra_limits(limits).items():
        rules.setdefault(col, []).append(rule)
    required = tuple(dict.fromkeys(("account_id", *required)))
    known = set(ACCOUNT_TEXT_COLUMNS) | set(ACCOUNT_NUMERIC_COLUMNS) | set(extra_numeric)
    errors = _header_errors(raw, known, required, refused or {})
    if errors:
        raise InputFileError(source, errors)
    rows = _file_rows(raw)
    _check_ids(raw, "account_id", rows, errors)
    for col in required[1:]:
        for pos in np.flatnonzero(raw[col].isna().to_numpy()):
            errors.append(CellError(int(rows[pos]), col, "blank (a value is required)"))
    _check_text(raw, [c for c in raw.columns if c in ACCOUNT_TEXT_COLUMNS], rows,
                max_lengths or {}, errors)
    columns: dict[str, pd.Series] = {}
    for col in raw.columns:
        if col in ACCOUNT_TEXT_COLUMNS:
            columns[col] = raw[col].astype("string")
            continue
        text = raw[col]
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & values.isna()
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), col, not_a_number(text.iloc[pos])))
        x = values.to_numpy()
        for pos in np.flatnonzero(np.isinf(x)):
            errors.append(CellError(int(rows[pos]), col,
                                    f"'{text.iloc[pos]}' is not a finite number"))
        broken = np.isinf(x)
        for rule in rules.get(col, []):
            for mask, reason in rule.violations(x):
                broken |= mask
                for pos in np.flatnonzero(mask):
                    errors.append(CellError(int(rows[pos]), col,
                                            f"{text.iloc[pos]} {reason}"))
        columns[col] = values.mask(broken)
    out = pd.DataFrame(columns, index=raw.index)
    if "customer_type" in out.columns:
        given = out["customer_type"]
        mapped = given.map(lambda v: v if v is pd.NA else customer_type_id(v)).astype("string")
        for pos in np.flatnonzero((given.notna() & mapped.isna()).to_numpy()):
            errors.append(CellError(int(rows[pos]), "customer_type",
                                    f"'{given.iloc[pos]}' is not one of "
                                    f"{', '.join(CUSTOMER_TYPES)} (or 价格敏感型, 附加价值型, "
                                    f"合作伙伴型)"))
        out["customer_type"] = mapped
    if owner_email and "owner" in out.columns:
        given = out["owner"]
        mapped = given.map(lambda v: v if v is pd.NA else clean_email(v)).astype("string")
        for pos in np.flatnonzero((given.notna() & mapped.isna()).to_numpy()):
            errors.append(CellError(int(rows[pos]), "owner",
                                    f"'{given.iloc[pos]}' is not an email address (the owner "
                                    f"is the account manager's email, as they log in)"))
        out["owner"] = mapped.str.lower()
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return out.reset_index(drop=True), errors


def validate_accounts(raw: pd.DataFrame, extra_numeric: tuple[str, ...] = (),
                      source: str = "<accounts>",
                      limits: Mapping[str, ColumnLimit | tuple[float | None, float | None]]
                      | None = None, **options: object) -> pd.DataFrame:
    """Check an accounts table (text cells) and return it typed.

    Known columns: DESIGN.md's account columns, the objective service KPIs and
    ``extra_numeric`` (e.g. the stage model's indicators, for a manager's assessment kept
    in the accounts file). Numeric cells must be finite numbers within
    :data:`ACCOUNT_LIMITS` (the checks :func:`analysis.contribution.account_contribution`
    makes): ``margin`` in [−1, 1] (0.25 for 25 %), ``on_time_delivery`` in [0, 1],
    ``revenue``, ``cost_to_serve``, ``wallet``, ``revenue_prev``, ``referral_value``,
    ``ppm`` and ``complaints`` not negative, ``complaints`` whole. ``customer_type`` is one
    of :data:`CUSTOMER_TYPES`, by its id or one of :data:`CUSTOMER_TYPE_ALIASES`, and is
    returned as the id.

    Parameters
    ----------
    limits : mapping, optional
        Column → ``(min, max)`` (None = unbounded) or a :class:`ColumnLimit` for further
        columns, e.g. each stage indicator's range from the stage model, so that an
        out-of-range assessment is reported with its row here rather than later by the
        analysis.
    **options
        ``required``, ``refused``, ``owner_email``, ``max_lengths``: see
        :func:`check_accounts`.

    Raises
    ------
    InputFileError
        Naming every bad row and column; nothing is returned then.
    """
    frame, errors = check_accounts(raw, extra_numeric, source, limits,
                                   **options)  # type: ignore[arg-type]
    if errors:
        raise InputFileError(source, errors)
    return frame


def read_accounts(path: str | Path, extra_numeric: tuple[str, ...] = (),
                  limits: Mapping[str, ColumnLimit | tuple[float | None, float | None]]
                  | None = None,
                  ) -> pd.DataFrame:
    """Read and validate an accounts file (CSV or XLSX); see :func:`validate_accounts`."""
    return validate_accounts(read_table(path), extra_numeric, str(path), limits)


# --------------------------------------------------------------------------- contacts

CONTACT_COLUMNS = ("contact_id", "account_id", "name", "email", "role", "lang")

_ROLE_NAMES = ", ".join(
    f"{role} ({next(a for a, r in ROLE_ALIASES.items() if r == role)})" for role in BUYER_ROLES)


def check_contacts(raw: pd.DataFrame, source: str = "<contacts>", *,
                   accounts: Collection[str] | None = None,
                   languages: Sequence[str] = ("zh", "en"),
                   required: Sequence[str] = ("contact_id", "account_id"),
                   max_lengths: Mapping[str, int] | None = None,
                   ) -> tuple[pd.DataFrame, list[CellError]]:
    """Check a contacts table (text cells): the typed frame (bad cells missing) and the
    problems, sorted by row. Header problems raise :class:`InputFileError`.

    Columns: ``contact_id`` (required, unique), ``account_id`` (required; one of
    ``accounts`` when given), ``name``, ``email`` (an address, see :func:`clean_email`),
    ``role`` (a buying role by any of its names, as :func:`analysis.rollup.normalize_roles`
    reads them, returned as the role id; blank or ``unknown`` = no role) and ``lang`` (one
    of ``languages`` by code or name, see :func:`language_code`).

    Parameters
    ----------
    required : sequence of str
        Columns that must be present and never blank.
    """
    required = tuple(dict.fromkeys(("contact_id", "account_id", *required)))
    errors = _header_errors(raw, CONTACT_COLUMNS, required, {})
    if errors:
        raise InputFileError(source, errors)
    rows = _file_rows(raw)
    _check_ids(raw, "contact_id", rows, errors)
    for col in required[1:]:
        for pos in np.flatnonzero(raw[col].isna().to_numpy()):
            errors.append(CellError(int(rows[pos]), col, "blank (a value is required)"))
    _check_text(raw, list(raw.columns), rows, max_lengths or {}, errors)
    out = pd.DataFrame({c: raw[c].astype("string") for c in raw.columns}, index=raw.index)
    if accounts is not None:
        known = set(accounts)
        unknown = out["account_id"].notna() & ~out["account_id"].isin(known)
        for pos in np.flatnonzero(unknown.to_numpy()):
            errors.append(CellError(int(rows[pos]), "account_id",
                                    f"account '{out['account_id'].iloc[pos]}' does not exist "
                                    f"(import it with the accounts file first)"))
    if "email" in out.columns:
        given = out["email"]
        mapped = given.map(lambda v: v if v is pd.NA else clean_email(v)).astype("string")
        for pos in np.flatnonzero((given.notna() & mapped.isna()).to_numpy()):
            errors.append(CellError(int(rows[pos]), "email",
                                    f"'{given.iloc[pos]}' is not an email address"))
        out["email"] = mapped
    if "role" in out.columns:
        given = out["role"]
        mapped = normalize_roles(given).astype("string")
        said_unknown = given.map(lambda v: v is not pd.NA and _key(v) == UNKNOWN_ROLE)
        bad = given.notna() & (mapped == UNKNOWN_ROLE) & ~said_unknown.astype(bool)
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), "role",
                                    f"'{given.iloc[pos]}' is not a buying role (one of "
                                    f"{_ROLE_NAMES})"))
        out["role"] = mapped.mask(mapped == UNKNOWN_ROLE)
    if "lang" in out.columns:
        given = out["lang"]
        mapped = given.map(lambda v: v if v is pd.NA else language_code(v, languages)
                           ).astype("string")
        for pos in np.flatnonzero((given.notna() & mapped.isna()).to_numpy()):
            errors.append(CellError(int(rows[pos]), "lang",
                                    f"'{given.iloc[pos]}' is not a language of the survey "
                                    f"(one of {', '.join(languages)})"))
        out["lang"] = mapped
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return out.reset_index(drop=True), errors


def validate_contacts(raw: pd.DataFrame, source: str = "<contacts>",
                      **options: object) -> pd.DataFrame:
    """Check a contacts table and return it typed; see :func:`check_contacts`.

    Raises
    ------
    InputFileError
        Naming every bad row and column; nothing is returned then.
    """
    frame, errors = check_contacts(raw, source, **options)  # type: ignore[arg-type]
    if errors:
        raise InputFileError(source, errors)
    return frame


def read_contacts(path: str | Path, **options: object) -> pd.DataFrame:
    """Read and validate a contacts file (CSV or XLSX); see :func:`check_contacts`."""
    return validate_contacts(read_table(path), str(path), **options)
