"""Wide response frames: read CSV/XLSX, validate against a questionnaire, all or nothing.

One row per response. Metadata columns (all optional but ``response_id``) come first, then
one column per answer: ``<item>``, ``<item>.<facet>``, ``<allocation>.<construct>`` and
``<open>``. Blank cells are missing (NaN), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XLSX file as text cells (blank → NA), keeping every value as typed."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise InputFileError(str(path), [CellError(None, None,
                                 f"unsupported file type '{suffix}' (use .csv or .xlsx)")])
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(str(path), [CellError(None, None, f"cannot read: {exc}")]) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda s: s.str.strip()).replace("", pd.NA)


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

    rows = np.arange(len(raw)) + 2  # spreadsheet rows: the header is row 1
    ids = raw["response_id"]
    for pos in np.flatnonzero(ids.isna().to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id", "blank"))
    dup_mask = ids.duplicated(keep="first") & ids.notna()
    for pos in np.flatnonzero(dup_mask.to_numpy()):
        errors.append(CellError(int(rows[pos]), "response_id",
                                f"duplicate response_id '{ids.iloc[pos]}'"))

    out = pd.DataFrame(index=raw.index)
    for col in META_COLUMNS:
        if col in raw.columns:
            out[col] = raw[col].astype("string")
    for col in numeric:
        if col not in raw.columns:
            out[col] = np.nan
            continue
        text = raw[col]
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad_number = text.notna() & values.isna()
        lo, hi = questionnaire.column_range(col)
        finite = values.notna()
        not_whole = finite & (values != np.round(values))
        out_of_range = finite & ((values < lo) | (values > hi))
        for pos in np.flatnonzero(bad_number.to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"'{text.iloc[pos]}' is not a number"))
        for pos in np.flatnonzero((not_whole & ~out_of_range).to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is not a whole number"))
        for pos in np.flatnonzero(out_of_range.to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"{text.iloc[pos]} is outside the scale {lo}–{hi}"))
        out[col] = values
    for allocation in questionnaire.allocations:
        cols = list(allocation.columns)
        block = out[cols]
        answered = block.notna().any(axis=1)
        sums = block.sum(axis=1, min_count=1)
        bad = answered & (sums != allocation.total)
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), f"{allocation.id}.*",
                                    f"allocation points add up to {sums.iloc[pos]:g}, "
                                    f"not {allocation.total}"))
    for col in questionnaire.text_columns:
        out[col] = raw[col].astype("string") if col in raw.columns else pd.Series(
            pd.NA, index=raw.index, dtype="string")
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


def validate_accounts(raw: pd.DataFrame, extra_numeric: tuple[str, ...] = (),
                      source: str = "<accounts>") -> pd.DataFrame:
    """Check an accounts table (text cells) and return it typed.

    Known columns: DESIGN.md's account columns, the objective service KPIs and
    ``extra_numeric`` (e.g. the stage model's indicators, for a manager's assessment kept
    in the accounts file). Raises :class:`InputFileError` naming every bad row and column.
    """
    errors: list[CellError] = []
    known = set(ACCOUNT_TEXT_COLUMNS) | set(ACCOUNT_NUMERIC_COLUMNS) | set(extra_numeric)
    for col in raw.columns:
        if col not in known:
            errors.append(CellError(1, col, "unknown column"))
    if "account_id" not in raw.columns:
        errors.append(CellError(1, "account_id", "required column is missing"))
    if errors:
        raise InputFileError(source, errors)
    rows = np.arange(len(raw)) + 2
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
        values = pd.to_numeric(raw[col], errors="coerce").astype("float64")
        bad = raw[col].notna() & values.isna()
        for pos in np.flatnonzero(bad.to_numpy()):
            errors.append(CellError(int(rows[pos]), col,
                                    f"'{raw[col].iloc[pos]}' is not a number"))
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


def read_accounts(path: str | Path, extra_numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read and validate an accounts file (CSV or XLSX)."""
    return validate_accounts(read_table(path), extra_numeric, str(path))
