"""Wide response frames: read CSV/XLSX, validate against a questionnaire, all or nothing.

One row per response. Metadata columns (all optional but ``response_id``) come first, then
one column per answer: ``<item>``, ``<item>.<facet>``, ``<allocation>.<construct>`` and
``<open>``. Blank cells are missing (NaN), never zero.

CSV/TXT files may be UTF-8 (with or without BOM), GB18030/GBK (Chinese Excel's "CSV") or
UTF-16 with a BOM (Excel's "Unicode text"), separated by commas, semicolons or tabs.
A file that does not check out is rejected whole, naming every bad row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from .instrument import Questionnaire

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
        shown = [str(e) for e in errors[:MAX_ERRORS_LISTED]]
        more = len(errors) - len(shown)
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(f"{source}: {len(errors)} problem(s); nothing was imported:\n  "
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


def _read_text_table(path: Path) -> pd.DataFrame:
    text = decode_text(path.read_bytes())
    delimiter = sniff_delimiter(text)
    first_data_row = 2
    if _sep_line(text) is not None:
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first_data_row = 3  # Excel's "sep=;" line comes before the header
    # blank lines are kept (and dropped by read_table) so error rows match the file's rows
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                        skip_blank_lines=False)
    frame.attrs["first_data_row"] = first_data_row
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:  # pandas would rename the second one ("x.1") and hide the mistake
        raise InputFileError(str(path), [CellError(first_data_row - 1, n,
                                                   "column appears more than once")
                                         for n in repeated])
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the first field(s) as row labels when the data rows have more fields
        # than the header: every value would land one column to the right
        name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
        raise ValueError(f"the data rows have more fields than the header line "
                         f"({len(frame.columns)} fields, {name}-separated); remove the "
                         f"extra separators or cells")
    return frame


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TXT or XLSX file as text cells (blank → NA), keeping every value as typed.

    Text files are decoded by :func:`decode_text` (UTF-8, else GB18030/GBK) and split on the
    separator :func:`sniff_delimiter` finds in the header line (comma, semicolon or tab).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            frame = _read_text_table(path)
        else:
            raise InputFileError(str(path), [CellError(None, None,
                                 f"unsupported file type '{suffix}' (use .csv or .xlsx)")])
    except UnicodeDecodeError as exc:  # decode_text's reason names the encodings tried
        reason = exc.reason if suffix in (".csv", ".txt") else str(exc)
        raise InputFileError(str(path), [CellError(None, None,
                             f"cannot read: {reason}")]) from exc
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(str(path), [CellError(None, None, f"cannot read: {exc}")]) from exc
    first_data_row = frame.attrs.get("first_data_row", 2)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip()).replace("", pd.NA)
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


def validate_responses(raw: pd.DataFrame, questionnaire: Questionnaire,
                       source: str = "<responses>") -> pd.DataFrame:
    """Check a frame of text cells against ``questionnaire`` and return typed answers.

    Numeric answers become float64 (NaN where blank); metadata and free text stay strings.
    Raises :class:`InputFileError` listing every unknown column, duplicate id, non-integer
    or out-of-scale value and allocation that does not add up; nothing is returned half-done.
    """
    errors: list[CellError] = []
    numeric = questionnaire.numeric_columns
    known = set(META_COLUMNS) | set(numeric) | set(questionnaire.text_columns)
    columns = list(raw.columns)
    for col in columns:
        if col not in known:
            errors.append(CellError(1, col, "unknown column (not metadata and not an answer "
                                            "of the questionnaire)"))
    dupes = [c for c in set(columns) if columns.count(c) > 1]
    for col in dupes:
        errors.append(CellError(1, col, "column appears more than once"))
    if "response_id" not in columns:
        errors.append(CellError(1, "response_id", "required column is missing"))
    if errors:
        raise InputFileError(source, errors)

    rows = _file_rows(raw)  # spreadsheet rows: the header is row 1
    ids = raw["response_id"]
    for pos in np.flatnonzero(ids.isna().to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id", "blank"))
    dup_mask = ids.duplicated(keep="first") & ids.notna()
    for pos in np.flatnonzero(dup_mask.to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id",
                                f"duplicate response_id '{ids.iloc[pos]}'"))

    # columns are gathered first and framed once: a frame grown column by column would be
    # fragmented into hundreds of blocks for a large questionnaire
    meta = {col: raw[col].astype("string") for col in META_COLUMNS if col in raw.columns}
    answers: dict[str, pd.Series] = {}
    for col in numeric:
        if col not in raw.columns:
            answers[col] = pd.Series(np.nan, index=raw.index, dtype="float64")
            continue
        text = raw[col]
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad_number = text.notna() & values.isna()
        lo, hi = questionnaire.column_range(col)
        finite = values.notna()
        not_whole = finite & (values != np.round(values))
        out_of_range = finite & ((values < lo) | (values > hi))
        for pos in np.flatnonzero(bad_number.to_numpy()):
            errors.append(CellError(int(rows[pos]), col, not_a_number(text.iloc[pos])))
        for pos in np.flatnonzero((not_whole & ~out_of_range).to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is not a whole number"))
        for pos in np.flatnonzero(out_of_range.to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is outside the scale {lo}–{hi}"))
        answers[col] = values
    for allocation in questionnaire.allocations:
        cols = list(allocation.columns)
        block = pd.DataFrame({c: answers[c] for c in cols})
        answered = block.notna().any(axis=1)
        sums = block.sum(axis=1, min_count=1)
        bad = answered & (sums != allocation.total)
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), f"{allocation.id}.*",
                                    f"allocation points add up to {sums.iloc[pos]:g}, "
                                    f"not {allocation.total}"))
    texts = {col: raw[col].astype("string") if col in raw.columns else pd.Series(
        pd.NA, index=raw.index, dtype="string") for col in questionnaire.text_columns}
    out = pd.concat([pd.DataFrame(meta, index=raw.index),
                     pd.DataFrame(answers, index=raw.index),
                     pd.DataFrame(texts, index=raw.index)], axis=1)
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise InputFileError(source, errors)
    return out.reset_index(drop=True)


def read_responses(path: str | Path, questionnaire: Questionnaire) -> pd.DataFrame:
    """Read and validate a wide responses file (CSV or XLSX)."""
    return validate_responses(read_table(path), questionnaire, str(path))


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
    out = responses.copy()
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
CUSTOMER_TYPES = ("price_sensitive", "value_added", "partnership")


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


def _extra_limits(limits: Mapping[str, tuple[float | None, float | None]] | None
                  ) -> dict[str, ColumnLimit]:
    out: dict[str, ColumnLimit] = {}
    for col, bounds in (limits or {}).items():
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


def validate_accounts(raw: pd.DataFrame, extra_numeric: tuple[str, ...] = (),
                      source: str = "<accounts>",
                      limits: Mapping[str, tuple[float | None, float | None]] | None = None,
                      ) -> pd.DataFrame:
    """Check an accounts table (text cells) and return it typed.

    Known columns: DESIGN.md's account columns, the objective service KPIs and
    ``extra_numeric`` (e.g. the stage model's indicators, for a manager's assessment kept
    in the accounts file). Numeric cells must be finite numbers within
    :data:`ACCOUNT_LIMITS` (the checks :func:`analysis.contribution.account_contribution`
    makes): ``margin`` in [−1, 1] (0.25 for 25 %), ``on_time_delivery`` in [0, 1],
    ``revenue``, ``cost_to_serve``, ``wallet``, ``revenue_prev``, ``referral_value``,
    ``ppm`` and ``complaints`` not negative, ``complaints`` whole.

    Parameters
    ----------
    limits : mapping, optional
        Column → ``(min, max)`` (None = unbounded) for further columns, e.g. each stage
        indicator's range from the stage model, so that an out-of-range assessment is
        reported with its row here rather than later by the analysis.

    Raises
    ------
    InputFileError
        Naming every bad row and column; nothing is returned then.
    """
    rules = {col: [rule] for col, rule in ACCOUNT_LIMITS.items()}
    for col, rule in _extra_limits(limits).items():
        rules.setdefault(col, []).append(rule)
    errors: list[CellError] = []
    known = set(ACCOUNT_TEXT_COLUMNS) | set(ACCOUNT_NUMERIC_COLUMNS) | set(extra_numeric)
    for col in raw.columns:
        if col not in known:
            errors.append(CellError(1, col, "unknown column"))
    columns = list(raw.columns)
    for col in dict.fromkeys(c for c in columns if columns.count(c) > 1):
        errors.append(CellError(1, col, "column appears more than once"))
    if "account_id" not in raw.columns:
        errors.append(CellError(1, "account_id", "required column is missing"))
    if errors:
        raise InputFileError(source, errors)
    rows = _file_rows(raw)
    ids = raw["account_id"]
    for pos in np.flatnonzero(ids.isna().to_numpy()):
        errors.append(CellError(int(rows[pos]), "account_id", "blank"))
    for pos in np.flatnonzero((ids.duplicated() & ids.notna()).to_numpy()):
        errors.append(CellError(int(rows[pos]), "account_id",
                                f"duplicate account_id '{ids.iloc[pos]}'"))
    out = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        if col in ACCOUNT_TEXT_COLUMNS:
            out[col] = raw[col].astype("string")
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
        for rule in rules.get(col, []):
            for mask, reason in rule.violations(x):
                for pos in np.flatnonzero(mask):
                    errors.append(CellError(int(rows[pos]), col,
                                            f"{text.iloc[pos]} {reason}"))
        out[col] = values
    if "customer_type" in out.columns:
        bad = out["customer_type"].notna() & ~out["customer_type"].isin(CUSTOMER_TYPES)
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), "customer_type",
                                    f"'{out['customer_type'].iloc[pos]}' is not one of "
                                    f"{', '.join(CUSTOMER_TYPES)}"))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise InputFileError(source, errors)
    return out.reset_index(drop=True)


def read_accounts(path: str | Path, extra_numeric: tuple[str, ...] = (),
                  limits: Mapping[str, tuple[float | None, float | None]] | None = None,
                  ) -> pd.DataFrame:
    """Read and validate an accounts file (CSV or XLSX); see :func:`validate_accounts`."""
    return validate_accounts(read_table(path), extra_numeric, str(path), limits)
