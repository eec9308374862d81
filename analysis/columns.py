"""Numeric answer columns read without needless copies at a million rows.

Answers may arrive narrower than float64 (a stored run's frame holds them as float32, the
width they are stored in: every answer is a small whole number, exact in float32). Each
model widens only the columns it uses, and only where it does arithmetic; these helpers
read a column at its own width and widen a block of columns into one float64 array
without building the selected columns (or every row of them) as a frame first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# rows filled per pass when a block of columns is widened into one row-major array: a
# pass's rows stay in the cache while each column is written into them
_FILL_ROWS = 65_536


def stored_values(data: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as a numpy array of its own float width (no copy when it is one
    already); other numeric columns (whole numbers, nullable) as float64 with NaN."""
    series = data[column]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
        return series.to_numpy()
    return series.to_numpy(dtype="float64", na_value=np.nan)


def answered_rows(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Boolean mask of the rows with a finite value in every one of ``columns``."""
    keep = np.ones(len(data), dtype=bool)
    for column in columns:
        keep &= np.isfinite(stored_values(data, column))
    return keep


def as_float64(data: pd.DataFrame, columns: Sequence[str],
               rows: np.ndarray | None = None) -> np.ndarray:
    """``data[columns]`` (only ``rows``, a boolean mask, when given) as one C-ordered
    float64 array (rows × columns), filled from the frame's own columns.

    No copy of the selected columns is made first; the array is filled a band of rows at
    a time so that each column's values land in rows still in the cache (written column
    by column over the whole array, every column would stride through all of it)."""
    values = [stored_values(data, column) for column in columns]
    n = len(data) if rows is None else int(rows.sum())
    out = np.empty((n, len(columns)), dtype="float64")
    if rows is None:
        for start in range(0, n, _FILL_ROWS):
            band = slice(start, start + _FILL_ROWS)
            for j, column in enumerate(values):
                out[band, j] = column[band]  # widened on assignment
        return out
    filled = 0
    for start in range(0, len(data), _FILL_ROWS):
        band = slice(start, start + _FILL_ROWS)
        taken = rows[band]
        m = int(taken.sum())
        target = slice(filled, filled + m)
        for j, column in enumerate(values):
            out[target, j] = column[band][taken]
        filled += m
    return out
