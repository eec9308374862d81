"""The portfolio's respondent-level figures per segment: customer type, industry, owner.

A segment value (``customer_type = partnership``, ``owner = li@example.com``…) is the set of
accounts with that value in the accounts frame; its figures are the portfolio's own —
NPS with its margin of error, the SERVQUAL dimension E, P and gap means with their
Holm-adjusted tests (:func:`analysis.significance.gap_significance`), the unweighted and
weighted SERVQUAL scores, the satisfaction and loyalty indices — computed on the customers'
responses of those accounts: plain means over respondents, as in the portfolio summary.
A segment value with no answers has no row; an account without a value is in no segment
of that column. The row ``segment = "all"`` (value ``""``) is every customer's response
with an account, the like-for-like figure beside a segment's. Every figure carries its n:
pages decide whether it rests on enough answers to be shown (docs/METHODS.md).

The means are sums over (account, role) groups added up (:class:`GroupSums`), so a million
answers are read once for every segment column; only the tests read the respondents' gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..nps import nps_of_counts
from ..significance import gap_significance
from .grouping import GroupSums, positions_of, text_codes
from .respondents import RespondentFigures
from .roles import BuyingGroups, nps_counts

if TYPE_CHECKING:
    from .context import RunContext

SEGMENT_COLUMNS = ("customer_type", "industry", "owner")
ALL = "all"  # the segment of every customer's response with an account
ITEM_COLUMNS = ("segment", "value", "dimension", "item", "e", "p", "gap", "n")


def segment_figures(sums: GroupSums) -> dict[str, np.ndarray]:
    """The ``segments`` figure columns per group of ``sums`` (the tests are added apart)."""
    out: dict[str, np.ndarray] = {}
    if "nps.promoters" in sums.sums:
        promoters, passives, detractors = nps_counts(sums)
        out["nps"], out["nps.moe"], out["nps.n"] = nps_of_counts(promoters, passives,
                                                                 detractors)
        out.update({"nps.promoters": promoters, "nps.passives": passives,
                    "nps.detractors": detractors})
    for d in sums.dimensions:
        for part in ("e", "p", "gap"):
            out[f"servqual.{d}.{part}"] = sums.mean(f"servqual.{d}.{part}")
        out[f"servqual.{d}.n"] = sums.n(f"servqual.{d}.gap")
        out[f"servqual.{d}.p_holm"] = np.full(sums.size, np.nan)
        out[f"servqual.{d}.p_t_holm"] = np.full(sums.size, np.nan)
    for name in ("servqual.unweighted", "servqual.weighted", "satisfaction", "loyalty_index"):
        if name in sums.sums:
            out[name], out[f"{name}.n"] = sums.mean(name), sums.n(name)
    return out


def _add_gap_tests(out: dict[str, np.ndarray], figures: RespondentFigures, index: pd.Index,
                   codes: np.ndarray) -> None:
    """The gap table's tests within each group (one Holm family per group), as the
    portfolio's: Wilcoxon (``p_holm``) and t (``p_t_holm``)."""
    scores, layout = figures.servqual, figures.servqual_layout
    if scores is None or layout is None:
        return
    at = codes[positions_of(index, scores.index)]
    keep = at >= 0
    if not keep.any():
        return
    portfolio = figures.servqual_tests
    if portfolio is not None and keep.all() and not at.any():
        # one group of every SERVQUAL respondent: the portfolio's own tests
        tests = portfolio.set_index("dimension")
        for d in layout.dimensions:
            out[f"servqual.{d}.p_holm"][0] = tests.loc[d, "p_holm"]
            out[f"servqual.{d}.p_t_holm"][0] = tests.loc[d, "p_t_holm"]
        return
    frame = pd.DataFrame({f"{d}.gap": scores[f"{d}.gap"].to_numpy(
        dtype="float64", na_value=np.nan)[keep] for d in layout.dimensions})
    frame["_group"] = at[keep]
    tests = gap_significance(frame, layout.dimensions, by="_group")
    groups = tests["_group"].to_numpy(dtype=np.int64)
    for d in layout.dimensions:
        mine = (tests["dimension"] == d).to_numpy()
        out[f"servqual.{d}.p_holm"][groups[mine]] = tests.loc[mine, "p_holm"].to_numpy()
        out[f"servqual.{d}.p_t_holm"][groups[mine]] = tests.loc[mine, "p_t_holm"].to_numpy()


def segment_values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per account its value's code (−1: blank) and the values, sorted as text."""
    text = column.astype("string").str.strip()
    return text_codes(text.mask(text == ""))


def segment_tables(figures: RespondentFigures, index: pd.Index, groups: BuyingGroups,
                   sums: GroupSums, accounts: pd.DataFrame | None,
                   account_items: pd.DataFrame | None = None,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``segments`` and ``segment_items`` tables.

    Parameters
    ----------
    figures : RespondentFigures
        The respondent figures of the run.
    index : Index
        The responses' row labels (unique).
    groups, sums : BuyingGroups, GroupSums
        The customers' (account, role) groups and the figures summed per group.
    accounts : DataFrame or None
        The accounts frame with any of :data:`SEGMENT_COLUMNS`.
    account_items : DataFrame, optional
        The per-account item gaps (``servqual_account_items``: ``account_id, item,
        dimension, e, p, gap, n, e.n, p.n``), summed up into the item table.
    """
    if accounts is None:
        return _empty_segments(), _empty_items()
    known = pd.Index(accounts["account_id"].astype("string"))
    # each answering account's row in the accounts frame (−1: not in it)
    account_row = np.asarray(known.get_indexer(pd.Index(groups.account_names, dtype="string")),
                             dtype=np.int64) if len(groups.account_names) else \
        np.zeros(0, dtype=np.int64)
    groupings = [(ALL, np.array([""], dtype=object), np.zeros(len(account_row), np.int64))]
    for column in (c for c in SEGMENT_COLUMNS if c in accounts.columns):
        value_of_row, values = segment_values(accounts[column])
        value_of_account = np.where(account_row >= 0,
                                    value_of_row[np.maximum(account_row, 0)], -1) \
            if len(value_of_row) else np.full(len(account_row), -1)
        groupings.append((column, values, value_of_account))
    by_account = sums.merged(groups.account_of, len(groups.account_names))
    account_codes = groups.account_codes
    items = _AccountItems.of(account_items, groups.account_names)
    segments, item_tables = [], []
    for column, values, value_of_account in groupings:
        size = len(values)
        merged = by_account.merged(value_of_account, size)
        of_group = value_of_account[groups.account_of]
        responses = np.bincount(of_group[of_group >= 0], weights=groups.n[of_group >= 0],
                                minlength=size).astype(np.int64)
        counted = pd.DataFrame({
            "segment": column, "value": pd.array(values, dtype="string"),
            "accounts": np.bincount(value_of_account[value_of_account >= 0],
                                    minlength=size),
            "responses": responses})
        out = segment_figures(merged)
        codes = np.where(account_codes >= 0, value_of_account[np.maximum(account_codes, 0)],
                         -1) if len(value_of_account) else account_codes
        _add_gap_tests(out, figures, index, codes)
        part = counted.assign(**out)
        segments.append(part[part["responses"] > 0])
        item_tables.append(_item_table(items, value_of_account, column, values,
                                       np.flatnonzero(responses)))
    table = pd.concat(segments, ignore_index=True)
    table = table.astype({"segment": "string", "value": "string", "accounts": "int64",
                          "responses": "int64"})
    return table, pd.concat(item_tables, ignore_index=True).astype(
        {"segment": "string", "value": "string", "dimension": "string", "item": "string",
         "n": "int64"})


class _AccountItems:
    """Each account's item sums and counts of E, P and the gap, from the per-account item
    table (mean × n: the answers are whole numbers, so the sums are exact)."""

    def __init__(self, account: np.ndarray, item: np.ndarray, names: pd.Index,
                 dimensions: np.ndarray, sums: dict[str, np.ndarray],
                 counts: dict[str, np.ndarray]) -> None:
        self.account, self.item, self.names, self.dimensions = account, item, names, dimensions
        self.sums, self.counts = sums, counts

    @classmethod
    def of(cls, table: pd.DataFrame | None,
           account_names: np.ndarray) -> _AccountItems | None:
        if table is None or table.empty:
            return None
        known = pd.Index(pd.array(account_names, dtype="string"))
        account = np.asarray(known.get_indexer(pd.Index(table["account_id"].astype("string"))),
                             dtype=np.int64)
        item, names = pd.factorize(table["item"], sort=False)  # the instrument's order
        first = np.unique(item, return_index=True)[1]
        dimensions = table["dimension"].to_numpy(dtype=object)[first]
        sums, counts = {}, {}
        for part, n in (("e", "e.n"), ("p", "p.n"), ("gap", "n")):
            count = table[n].to_numpy(dtype=np.int64)
            mean = table[part].to_numpy(dtype="float64", na_value=np.nan)
            sums[part] = np.where(count > 0, mean * count, 0.0)
            counts[part] = count
        return cls(account, np.asarray(item, dtype=np.int64), pd.Index(names), dimensions,
                   sums, counts)


def _item_table(items: _AccountItems | None, value_of_account: np.ndarray, column: str,
                values: np.ndarray, present: np.ndarray) -> pd.DataFrame:
    """Per value with answers (``present``) and item: E, P, gap means and n, as
    :func:`analysis.servqual.item_gaps` over the value's respondents."""
    if items is None or not len(present) or not len(value_of_account):
        return _empty_items()
    size, n_items = len(values), len(items.names)
    value = np.where(items.account >= 0, value_of_account[np.maximum(items.account, 0)], -1)
    keep = value >= 0
    cell = value[keep] * n_items + items.item[keep]
    means, counts = {}, {}
    for part in ("e", "p", "gap"):
        total = np.bincount(cell, weights=items.sums[part][keep], minlength=size * n_items)
        count = np.bincount(cell, weights=items.counts[part][keep],
                            minlength=size * n_items).astype(np.int64)
        mean = np.full(size * n_items, np.nan)
        np.divide(total, count, out=mean, where=count > 0)
        means[part], counts[part] = mean.reshape(size, n_items), count.reshape(size, n_items)
    rows = len(present) * n_items
    return pd.DataFrame({
        "segment": pd.array([column] * rows, dtype="string"),
        "value": pd.array(np.repeat(values[present], n_items), dtype="string"),
        "dimension": pd.array(np.tile(items.dimensions, len(present)), dtype="string"),
        "item": pd.array(np.tile(np.asarray(items.names, dtype=object), len(present)),
                         dtype="string"),
        "e": means["e"][present].ravel(), "p": means["p"][present].ravel(),
        "gap": means["gap"][present].ravel(), "n": counts["gap"][present].ravel()})


def _empty_segments() -> pd.DataFrame:
    return pd.DataFrame({"segment": pd.Series([], dtype="string"),
                         "value": pd.Series([], dtype="string"),
                         "accounts": pd.Series([], dtype="int64"),
                         "responses": pd.Series([], dtype="int64")})


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="string" if c in (
        "segment", "value", "dimension", "item") else "int64" if c == "n" else "float64")
                         for c in ITEM_COLUMNS})


def run(ctx: RunContext) -> None:
    """Tables ``segments`` and ``segment_items`` (after the buying-role step)."""
    if ctx.accounts is None or ctx.groups is None or ctx.group_sums is None:
        return
    ctx.tables["segments"], ctx.tables["segment_items"] = segment_tables(
        ctx.figures, ctx.responses.index, ctx.groups, ctx.group_sums, ctx.accounts,
        ctx.tables.get("servqual_account_items"))
