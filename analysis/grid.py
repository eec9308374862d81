"""The twenty-five grid (二十五方格): where each key contact, and so the account, stands.

Per key contact the account manager rates the personal-relationship step 1–5
(寒暄 · 事实 · 观念 · 行为 · 价值观) against the company-relationship level E–A
(偏好 · 信任 · 价值 · 忠诚 · 战略), recorded as 1–5 (E = 1 … A = 5). A contact's cell is
written step then letter, e.g. ``"3C"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import numeric_column, require_column, require_frame

GRID_LETTERS = "EDCBA"  # company level 1..5


def _grid_values(grid: pd.DataFrame, step: str, level: str) -> tuple[np.ndarray, np.ndarray]:
    s = numeric_column(grid, step, "step", frame_name="grid", label_kind="row")
    lv = numeric_column(grid, level, "level", frame_name="grid", label_kind="row")
    for col, x, name in ((step, s, "step"), (level, lv, "level")):
        bad = np.isfinite(x) & ((x < 1) | (x > 5) | (x != np.round(x)))
        if bad.any():
            raise ValueError(f"column '{col}' holds {x[bad][0]:g}; the grid takes whole "
                             f"numbers 1–5 (argument {name})")
    return s, lv


def _cell_text(step: np.ndarray, level: np.ndarray) -> np.ndarray:
    letters = np.array(list(GRID_LETTERS), dtype=object)
    both = np.isfinite(step) & np.isfinite(level)
    s = np.where(both, step, 1).astype(int)
    lv = np.where(both, level, 1).astype(int)
    text = s.astype(str).astype(object) + letters[lv - 1]
    text[~both] = None
    return text


def grid_cells(grid: pd.DataFrame, step: str = "grid_step",
               level: str = "grid_level") -> pd.Series:
    """Each assessed contact's cell on the twenty-five grid: step then level letter, "3C".

    ``step`` 1–5 (寒暄, 事实, 观念, 行为, 价值观); ``level`` 1–5 for E, D, C, B, A
    (偏好, 信任, 价值, 忠诚, 战略). NA where either is blank.
    """
    require_frame(grid, "grid")
    s, lv = _grid_values(grid, step, level)
    return pd.Series(_cell_text(s, lv), index=grid.index, dtype="string", name="cell")


def account_grid(grid: pd.DataFrame, account: str = "account_id", step: str = "grid_step",
                 level: str = "grid_level") -> pd.DataFrame:
    """An account's position on the twenty-five grid from its key contacts' cells.

    Cells are ordered company level first, then personal step (``5E`` < ``1D``): the grid's
    rows are the company relationship the account manager is building, the personal step is
    how it is carried. ``top_cell`` is the most advanced contact's cell (where the
    relationship reaches furthest); ``modal_cell`` the most common cell (where it mostly
    stands), ties going to the more advanced cell. Expect one row per assessed contact (see
    :func:`latest_assessment` with keys account and contact).

    Returns
    -------
    DataFrame
        Indexed by account: ``contacts`` (contacts with both answers), ``modal_cell``,
        ``modal_n``, ``top_cell``, ``step_mean``, ``level_mean``.
    """
    require_frame(grid, "grid")
    require_column(grid, account, "account", "grid")
    s, lv = _grid_values(grid, step, level)
    both = np.isfinite(s) & np.isfinite(lv) & grid[account].notna().to_numpy()
    work = pd.DataFrame({"a": grid[account].to_numpy()[both],
                         "key": (lv[both] * 10 + s[both]).astype("int64"),
                         "s": s[both], "lv": lv[both]})
    counts = work.groupby(["a", "key"], sort=False).size().rename("count").reset_index()
    modal = (counts.sort_values(["a", "count", "key"], ascending=[True, False, False],
                                kind="mergesort")
             .drop_duplicates("a").set_index("a"))
    by = work.groupby("a", sort=True)
    top = by["key"].max()
    accounts_all = pd.Index(grid[account].dropna().unique()).sort_values()

    def cell(keys: pd.Series) -> pd.Series:
        k = keys.to_numpy(dtype="float64")
        return pd.Series(_cell_text(k % 10, np.floor(k / 10)), index=keys.index,
                         dtype="string")

    out = pd.DataFrame(index=accounts_all)
    out["contacts"] = by.size().reindex(accounts_all, fill_value=0).astype("int64")
    out["modal_cell"] = cell(modal["key"]).reindex(accounts_all)
    out["modal_n"] = modal["count"].reindex(accounts_all, fill_value=0).astype("int64")
    out["top_cell"] = cell(top).reindex(accounts_all)
    out["step_mean"] = by["s"].mean().reindex(accounts_all)
    out["level_mean"] = by["lv"].mean().reindex(accounts_all)
    out.index.name = account
    return out
