"""The portfolio's respondent-level figures per segment: customer type, industry, owner.

A segment value (``customer_type = partnership``, ``owner = li@example.com``…) is the set of
accounts with that value in the accounts frame; its figures are the portfolio's own —
the NPS (:func:`analysis.nps.nps_table`), the SERVQUAL dimension E, P and gap means with
their Holm-adjusted tests (:func:`analysis.significance.gap_significance`), the
unweighted and weighted SERVQUAL scores, the satisfaction and loyalty indices — computed
on the customers' responses of those accounts. Plain means over respondents, as the
portfolio summary's; a segment value with no answers has no row, an account without a
value is in no segment of that column. Every figure carries its n: pages decide whether it
rests on enough answers to be shown (docs/METHODS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..nps import nps_table
from ..significance import gap_significance
from .grouping import group_means, positions_of, text_codes
from .respondents import RespondentFigures

SEGMENT_COLUMNS = ("customer_type", "industry", "owner")
ITEM_COLUMNS = ("segment", "value", "dimension", "item", "e", "p", "gap", "n")
NPS_FIELDS = ("moe", "n", "promoters", "passives", "detractors")


@dataclass
class RespondentArrays:
    """The respondent figures as arrays, each with the positions of its rows in the
    responses, read once and regrouped by any number of groupings."""

    columns: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    positions: dict[str, np.ndarray] = field(default_factory=dict)
    nps_answers: np.ndarray | None = None
    dimensions: tuple[str, ...] = ()
    weighted: bool = False

    @classmethod
    def of(cls, figures: RespondentFigures, index: pd.Index) -> RespondentArrays:
        out = cls()
        if figures.nps_answers is not None:
            out.positions["nps"] = positions_of(index, figures.nps_answers.index)
            out.nps_answers = figures.nps_answers.to_numpy(dtype="float64", na_value=np.nan)
        scores, layout = figures.servqual, figures.servqual_layout
        if scores is not None and layout is not None:
            out.positions["servqual"] = positions_of(index, scores.index)
            out.dimensions, out.weighted = layout.dimensions, layout.allocation is not None
            names = [f"{d}.{part}" for d in layout.dimensions for part in ("e", "p", "gap")]
            for name in (*names, "unweighted", *(("weighted",) if out.weighted else ())):
                out.columns[f"servqual.{name}"] = ("servqual", scores[name].to_numpy(
                    dtype="float64", na_value=np.nan))
        for name, series in (("satisfaction", figures.satisfaction),
                             ("loyalty_index", figures.loyalty_index)):
            if series is not None:
                out.positions[name] = positions_of(index, series.index)
                out.columns[name] = (name, series.to_numpy(dtype="float64", na_value=np.nan))
        return out


def grouped_figures(arrays: RespondentArrays, codes: np.ndarray, size: int,
                    tests: bool = True) -> dict[str, np.ndarray]:
    """Every respondent figure's group mean and n, per group code 0..size-1.

    ``codes`` gives each row of the responses its group, −1 for none. ``tests`` adds each
    dimension's Holm-adjusted Wilcoxon (``p_holm``) and t (``p_t_holm``) p-values within
    the group, as the portfolio's gap table has them.
    """
    out: dict[str, np.ndarray] = {}
    at = {source: codes[where] for source, where in arrays.positions.items()}
    if arrays.nps_answers is not None:
        mine = at["nps"] >= 0
        frame = pd.DataFrame({"group": at["nps"][mine], "answer": arrays.nps_answers[mine]})
        table = nps_table(frame, "answer", by="group").reindex(range(size))
        out["nps"] = table["nps"].to_numpy(dtype="float64")
        for name in NPS_FIELDS:
            column = table[name]
            out[f"nps.{name}"] = (column.to_numpy(dtype="float64") if name == "moe" else
                                  column.fillna(0).to_numpy(dtype="int64"))
    for name, (source, values) in arrays.columns.items():
        mean, n = group_means(values, at[source], size)
        out[name] = mean
        if name.endswith(".gap"):
            out[f"{name.removesuffix('.gap')}.n"] = n
        elif not name.endswith((".e", ".p")):
            out[f"{name}.n"] = n
    if tests and arrays.dimensions:
        _add_gap_tests(out, arrays, at["servqual"], size)
    return out


def _add_gap_tests(out: dict[str, np.ndarray], arrays: RespondentArrays, at: np.ndarray,
                   size: int) -> None:
    """The gap table's tests within each group: one Holm family per group."""
    for d in arrays.dimensions:
        out[f"servqual.{d}.p_holm"] = np.full(size, np.nan)
        out[f"servqual.{d}.p_t_holm"] = np.full(size, np.nan)
    keep = at >= 0
    if not keep.any():
        return
    frame = pd.DataFrame({f"{d}.gap": arrays.columns[f"servqual.{d}.gap"][1][keep]
                          for d in arrays.dimensions})
    frame["_group"] = at[keep]
    tests = gap_significance(frame, arrays.dimensions, by="_group")
    groups = tests["_group"].to_numpy(dtype=np.int64)
    for d in arrays.dimensions:
        mine = (tests["dimension"] == d).to_numpy()
        out[f"servqual.{d}.p_holm"][groups[mine]] = tests.loc[mine, "p_holm"].to_numpy()
        out[f"servqual.{d}.p_t_holm"][groups[mine]] = tests.loc[mine, "p_t_holm"].to_numpy()


def account_positions(account_ids: pd.Series, accounts: pd.DataFrame) -> np.ndarray:
    """Each response row's position in ``accounts`` (−1: no account, or not in the frame)."""
    codes, names = text_codes(account_ids)
    known = pd.Index(accounts["account_id"].astype("string"))
    at = np.asarray(known.get_indexer(pd.Index(names, dtype="string")), dtype=np.int64)
    return np.where(codes >= 0, at[codes], -1) if len(at) else np.full(len(codes), -1)


def segment_values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per account its value's code (−1: blank) and the values, sorted as text."""
    text = column.astype("string").str.strip()
    return text_codes(text.mask(text == ""))


def segment_tables(figures: RespondentFigures, index: pd.Index, row_account: np.ndarray,
                   accounts: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``segments`` and ``segment_items`` tables.

    Parameters
    ----------
    figures : RespondentFigures
        The respondent figures of the run.
    index : Index
        The responses' row labels (unique).
    row_account : ndarray
        Per response row, the position of its account in ``accounts``; −1 for rows that
        are not a customer's answers for a known account.
    accounts : DataFrame or None
        The accounts frame with any of :data:`SEGMENT_COLUMNS`.
    """
    if accounts is None:
        return _empty_segments(), _empty_items()
    arrays = RespondentArrays.of(figures, index)
    segments, groupings = [], []
    for column in (c for c in SEGMENT_COLUMNS if c in accounts.columns):
        value_of_account, values = segment_values(accounts[column])
        codes = np.where(row_account >= 0, value_of_account[np.maximum(row_account, 0)], -1)
        size = len(values)
        responses = np.bincount(codes[codes >= 0], minlength=size)
        answered = np.unique(row_account[codes >= 0])
        counted = pd.DataFrame({
            "segment": column, "value": pd.array(values, dtype="string"),
            "accounts": np.bincount(value_of_account[answered], minlength=size),
            "responses": responses})
        part = counted.assign(**grouped_figures(arrays, codes, size))
        segments.append(part[responses > 0])
        groupings.append((column, values, codes))
    if not segments:
        return _empty_segments(), _empty_items()
    table = pd.concat(segments, ignore_index=True)
    table = table.astype({"segment": "string", "value": "string", "accounts": "int64",
                          "responses": "int64"})
    return table, _segment_items(figures, index, groupings)


def _segment_items(figures: RespondentFigures, index: pd.Index,
                   groupings: list[tuple[str, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Per segment value and item: mean E, P, gap (respondents with both) and n, as
    :func:`analysis.servqual.item_gaps` over the value's SERVQUAL respondents. Each item's
    answers are read once for every grouping."""
    layout, answers, scores = figures.servqual_layout, figures.servqual_answers, \
        figures.servqual
    if layout is None or answers is None or scores is None or not groupings:
        return _empty_items()
    where = positions_of(index, scores.index)
    rows = positions_of(answers.index, scores.index)
    every_row = len(rows) == len(answers) and bool((rows == np.arange(len(rows))).all())
    at = [codes[where] for _, _, codes in groupings]
    groups = [np.flatnonzero(np.bincount(a[a >= 0], minlength=len(values)))
              for a, (_, values, _) in zip(at, groupings, strict=True)]
    parts: list[list[pd.DataFrame]] = [[] for _ in groupings]
    for d in layout.dimensions:
        for e_col, p_col in zip(layout.e_columns[d], layout.p_columns[d], strict=True):
            e = answers[e_col].to_numpy(dtype="float64", na_value=np.nan)
            p = answers[p_col].to_numpy(dtype="float64", na_value=np.nan)
            if not every_row:
                e, p = e[rows], p[rows]
            q = p - e
            for k, (_, values, _) in enumerate(groupings):
                size, present = len(values), groups[k]
                e_mean, _ = group_means(e, at[k], size)
                p_mean, _ = group_means(p, at[k], size)
                gap, n = group_means(q, at[k], size)
                parts[k].append(pd.DataFrame({
                    "group": present, "dimension": d, "item": e_col.rsplit(".", 1)[0],
                    "e": e_mean[present], "p": p_mean[present], "gap": gap[present],
                    "n": n[present]}))
    tables = []
    for k, (column, values, _) in enumerate(groupings):
        table = pd.concat(parts[k], ignore_index=True).sort_values("group", kind="stable")
        table.insert(0, "value", pd.array(values[table.pop("group").to_numpy()],
                                          dtype="string"))
        table.insert(0, "segment", column)
        tables.append(table)
    out = pd.concat(tables, ignore_index=True)
    return out.astype({"segment": "string", "dimension": "string", "item": "string",
                       "n": "int64"})


def _empty_segments() -> pd.DataFrame:
    return pd.DataFrame({"segment": pd.Series([], dtype="string"),
                         "value": pd.Series([], dtype="string"),
                         "accounts": pd.Series([], dtype="int64"),
                         "responses": pd.Series([], dtype="int64")})


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="string" if c in (
        "segment", "value", "dimension", "item") else "int64" if c == "n" else "float64")
                         for c in ITEM_COLUMNS})
