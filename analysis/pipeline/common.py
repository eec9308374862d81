"""What every part of the analysis run shares: options, result, row selection, JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..frames import META_COLUMNS
from ..stages import (
    StageModel,
)

GRID_ITEMS = ("grid_step", "grid_level")


@dataclass(frozen=True)
class AnalysisOptions:
    """Choices a user can make; defaults follow docs/METHODS.md (9.4)."""

    role_weights: Mapping[str, float] | None = None
    stage_model: StageModel | None = None
    scaled: bool = True  # PLS indicators standardized (False: centred only)
    n_boot: int = 0  # bootstrap resamples for the path intervals (0: none)
    seed: int = 2026
    by: Sequence[str] = ()  # extra groupings for SERVQUAL (role, wave, customer_type, owner…)
    # anonymous waves: per-role views merge roles with fewer answers than this in an account
    min_role_answers: int = 0
    # reliability's missing answers: "listwise" (METHODS.md 3.2) or "pairwise" (R psych's)
    missing: str = "listwise"
    # the path model's missing answers: "listwise", or "mean" (an item's mean over the rows
    # that answered the model replaces a missing answer)
    model_missing: str = "listwise"
    scheme: str = "path"  # PLS inner weighting: "path", "centroid" or "factorial"
    # a table of the free-text answers (the file analysis' workbook; stored runs need none)
    free_text: bool = False


@dataclass
class AnalysisResult:
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def rows_answering(responses: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Rows that answered at least one of ``columns``."""
    cols = [c for c in columns if c in responses.columns]
    if not cols:
        return pd.Series(False, index=responses.index)
    # column by column: no copy of the selected columns (a million rows × dozens)
    answered = np.zeros(len(responses), dtype=bool)
    for column in cols:
        answered |= responses[column].notna().to_numpy()
    return pd.Series(answered, index=responses.index)


def subset(responses: pd.DataFrame, rows: pd.Series,
           columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows selected, without copying the frame when every row is; with ``columns``,
    only those and the metadata (a model reads its own columns: a million rows of every
    instrument's answers are not copied for it)."""
    if columns is not None:
        wanted = [c for c in (*META_COLUMNS, *columns) if c in responses.columns]
        wanted = list(dict.fromkeys(wanted))
        if len(wanted) < len(responses.columns):
            return responses.loc[rows, wanted] if not bool(rows.all()) else responses[wanted]
    return responses if bool(rows.all()) else responses.loc[rows]


def num(value: Any) -> float | None:
    """A JSON number, or None for missing."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def as_count(value: Any) -> int:
    number = num(value)
    return 0 if number is None else int(number)


def jsonable(value: Any) -> Any:
    """Nested data with NaN → None and numpy scalars → Python numbers."""
    kind = type(value)  # the plain types first: a portfolio's summary holds 10⁵ of them
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return num(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
