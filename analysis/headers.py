"""The header of a responses file: column maps, question-text headers, the header row, and
which columns are answers, metadata or the respondent's attributes.

An export's headers are renamed to the questionnaire's ids by, in this order: the user's
column map (a TOML or CSV file, or ``--map OLD=NEW``); the metadata columns' Chinese names
(:data:`META_ALIASES`); and a header that is an item's or open question's full text in any
of the instrument's languages (as 问卷星 and 腾讯问卷 write them, with or without their
numbering ``1.`` / ``Q1、`` in front). Every rename is said in a notice.

A column that is neither metadata nor an answer is kept as an attribute of the respondent
(gender, region, an export's own timestamp…), usable as a ``--by`` grouping. Only a column
that looks like an answer column but is not one — a known facet or allocation after an
unknown id (``sq99.p``), or an id that differs from an answer column only by case,
separators or leading zeros (``sq5.e`` for ``sq05.e``) — is an error.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .answers import cell_key
from .instrument import RESERVED_IDS, Questionnaire

META_ALIASES: Mapping[str, str] = {
    "问卷编号": "response_id", "答卷编号": "response_id", "答卷序号": "response_id",
    "序号": "response_id", "编号": "response_id", "回答编号": "response_id",
    "客户编号": "account_id", "客户代码": "account_id", "客户id": "account_id",
    "联系人编号": "contact_id", "联系人id": "contact_id",
    "角色": "role", "采购角色": "role", "购买角色": "role",
    "批次": "wave", "调查批次": "wave",
    "提交答卷时间": "submitted_at", "提交时间": "submitted_at", "答题时间": "submitted_at",
    "语言": "lang",
}
"""Chinese names of the metadata columns (keys compared as :func:`cell_key`)."""

_NUMBERING = re.compile(r"^\s*(?:[QqＱ]?\d+|[一二三四五六七八九十]+)\s*[.、:：．)）]\s*")


class ColumnMapError(ValueError):
    """A column map that cannot be read or used."""


def _question_key(header: str) -> str:
    """A header without its question numbering and trailing colon, for matching texts."""
    return cell_key(_NUMBERING.sub("", header)).rstrip(":：").strip()


def parse_map_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["问卷编号=response_id", …]`` (``--map OLD=NEW``) as a map."""
    out: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.rpartition("=")
        if not sep or not old.strip() or not new.strip():
            raise ColumnMapError(f"--map {pair!r}: expected OLD=NEW, e.g. 问卷编号=response_id")
        out[old.strip()] = new.strip()
    return out


def load_column_map(path: str | Path) -> dict[str, str]:
    """A column map file: TOML (``"问卷编号" = "response_id"``, at the top or under
    ``[columns]``) or CSV (two columns, export header then questionnaire id; a first row
    ``from,to`` is a header)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ColumnMapError(f"{path}: cannot read the column map: {exc.strerror}") from None
    if path.suffix.lower() == ".toml":
        try:
            table = tomllib.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ColumnMapError(f"{path}: not a TOML column map: {exc}") from None
        table = table.get("columns", table)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise ColumnMapError(f'{path}: every entry must be "export header" = "id"')
        return {k.strip(): v.strip() for k, v in table.items()}
    from .frames import decode_text  # the same encodings as a responses file

    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        raise ColumnMapError(f"{path}: {exc.reason}") from None
    out: dict[str, str] = {}
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1] or any(cells[2:]):
            raise ColumnMapError(f"{path}: line {line} must hold two cells: the export's "
                                 f"header and the questionnaire's id")
        if line == 1 and [c.casefold() for c in cells[:2]] == ["from", "to"]:
            continue
        out[cells[0]] = cells[1]
    return out


def known_columns(questionnaire: Questionnaire) -> set[str]:
    """The metadata and answer columns of a responses file for ``questionnaire``."""
    return set(RESERVED_IDS) | set(questionnaire.numeric_columns) | set(
        questionnaire.text_columns)


def question_texts(questionnaire: Questionnaire) -> dict[str, str]:
    """Question text key → answer column, for single-answer items and open questions in
    every language (a text shared by two columns is left out)."""
    found: dict[str, set[str]] = {}
    for inst in questionnaire.instruments:
        for item in inst.items:
            if item.facets:
                continue
            for text in item.text.by_lang.values():
                found.setdefault(_question_key(text), set()).add(item.id)
        for question in inst.open:
            for text in question.text.by_lang.values():
                found.setdefault(_question_key(text), set()).add(question.id)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and k}


def rename_columns(columns: Sequence[str], questionnaire: Questionnaire,
                   column_map: Mapping[str, str] | None = None
                   ) -> tuple[list[str], list[str]]:
    """The columns renamed (see the module docstring) and the notices saying how.

    Raises
    ------
    ColumnMapError
        When the map names an id that is not a column of the questionnaire.
    """
    known = known_columns(questionnaire)
    user = dict(column_map or {})
    for new in set(user.values()):
        if new not in known:
            raise ColumnMapError(f"the column map renames to '{new}', which is not a "
                                 f"metadata or answer column of the questionnaire")
    texts = question_texts(questionnaire)
    meta = {cell_key(k): v for k, v in META_ALIASES.items()}
    # "Response ID", "ACCOUNT_ID", "Role": the metadata columns in another case or spacing
    meta.update({_shape(c): c for c in RESERVED_IDS})
    out: list[str] = []
    by_map: list[str] = []
    by_name: list[str] = []
    # a name is given once: by the file itself or the map first, then by the first header
    # recognised as it (a second one stays as it is, for the user to map)
    taken = {user.get(c, c) for c in columns} & known
    for col in columns:
        key = cell_key(col) if cell_key(col) in meta else _shape(col)
        if col in user:
            out.append(user[col])
            by_map.append(f"{col} → {user[col]}")
        elif col in known:
            out.append(col)
        elif key in meta and meta[key] not in taken:
            out.append(meta[key])
            taken.add(meta[key])
            by_name.append(f"{col} → {meta[key]}")
        elif _question_key(col) in texts and texts[_question_key(col)] not in taken:
            out.append(texts[_question_key(col)])
            taken.add(texts[_question_key(col)])
            by_name.append(f"{_short(col)} → {texts[_question_key(col)]}")
        else:
            out.append(col)
    notices = []
    if by_map:
        notices.append(f"columns renamed by the column map: {', '.join(by_map)}")
    if by_name:
        notices.append(f"columns recognised by name or question text: {', '.join(by_name)}")
    return out, notices


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shape(column_id: str) -> str:
    """An id without case, separators and leading zeros: ``SQ_5.E`` and ``sq05.e`` alike."""
    key = re.sub(r"[\s_\-]+", "", column_id.casefold())
    return re.sub(r"(?<!\d)0+(?=\d)", "", key)


def near_misses(columns: Iterable[str], questionnaire: Questionnaire) -> dict[str, str]:
    """Unknown columns that look like answer columns → why they are an error."""
    known = known_columns(questionnaire)
    shapes: dict[str, str] = {}
    for col in known:
        shapes.setdefault(_shape(col), col)
    facets = {f for inst in questionnaire.instruments for f in inst.facets}
    allocations = {a.id: a for a in questionnaire.allocations}
    items = {i.id: i for inst in questionnaire.instruments for i in inst.items}
    some = ", ".join(sorted(known - {"lang"})[:8])
    out: dict[str, str] = {}
    for col in columns:
        if col in known:
            continue
        base, dot, suffix = col.partition(".")
        if _shape(col) in shapes:
            out[col] = (f"unknown column; did you mean '{shapes[_shape(col)]}'? (rename it "
                        f"with --map '{col}={shapes[_shape(col)]}')")
        elif dot and base in items:
            out[col] = (f"unknown column: item '{base}' has no facet '{suffix}' (its columns "
                        f"are {', '.join(items[base].columns)})")
        elif dot and base in allocations:
            out[col] = (f"unknown column: allocation '{base}' has no construct '{suffix}' "
                        f"(its columns are {', '.join(allocations[base].columns)})")
        elif dot and suffix in facets and re.fullmatch(r"[A-Za-z][\w-]*", base):
            out[col] = (f"unknown column: '{base}' is not an item of the questionnaire "
                        f"(its columns are {some} …)")
    return out


def find_header_row(rows: Sequence[Sequence[str]], questionnaire: Questionnaire,
                    column_map: Mapping[str, str] | None = None) -> int:
    """Which of the first rows (0-based) is the header: the one naming the most columns of
    the questionnaire (after the column map), a title row or merged header above it skipped;
    row 0 when none names any."""
    best, best_count = 0, 0
    for n, row in enumerate(rows):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if not cells:
            continue
        try:
            named, _ = rename_columns(cells, questionnaire, column_map)
        except ColumnMapError:
            return 0  # the map's own error is said when the header is used
        count = len(set(named) & known_columns(questionnaire))
        if count > best_count:
            best, best_count = n, count
    return best


def map_template(questionnaire: Questionnaire) -> str:
    """A TOML column map to fill in: every metadata and answer column with its question text
    as the export header to replace (``surveyapp analyze --map-template``)."""
    lines = ["# Column map for surveyapp analyze --column-map FILE.",
             "# Left: the header in your export (replace it); right: the questionnaire's id.",
             "# Lines for columns your export does not have can stay or be deleted.",
             "[columns]"]
    used: set[str] = set()

    def entry(header: str, column: str) -> str:
        # a TOML key is given once: a text shared by two columns is told apart by the id
        key = header if header not in used else f"{header} ({column})"
        used.add(key)
        return f"{_toml_string(key)} = {_toml_string(column)}"

    meta_names: dict[str, str] = {}
    for alias, target in META_ALIASES.items():
        meta_names.setdefault(target, alias)
    for target, alias in meta_names.items():
        lines.append(entry(alias, target))
    for inst in questionnaire.instruments:
        lines.append(f"# {inst.id}: {inst.title.get(inst.languages[0])}")
        for item in inst.items:
            text = item.text.get(inst.languages[0])
            for col in item.columns:
                facet = col.partition(".")[2]
                label = f"{text} [{inst.facets[facet].label.get(inst.languages[0])}]" \
                    if facet else text
                lines.append(entry(label, col))
        for allocation in inst.allocations:
            for col, construct in zip(allocation.columns, allocation.constructs, strict=True):
                name = inst.construct(construct).name.get(inst.languages[0])
                lines.append(entry(f"{allocation.id}: {name}", col))
        for question in inst.open:
            lines.append(entry(question.text.get(inst.languages[0]), question.id))
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'
