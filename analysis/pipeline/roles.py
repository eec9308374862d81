"""Each buying role's view of its account: who answered and what they said.

``account_roles`` has one row per account and buying role that answered (``account_id,
role, n``) and the role's own figures, plain means over its respondents: NPS
(:func:`analysis.nps.nps_table`), satisfaction and loyalty indices, each SERVQUAL
dimension's gap and the unweighted SERVQUAL score, each with its n. In an anonymous wave
(``min_answers`` > 0) roles with fewer answers in an account are merged into ``other``
(:func:`analysis.pipeline.account_detail.merge_small_roles`), and a group that is still
smaller than the minimum shows its n but no figure, so no figure can be traced to the one
or two people behind it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..rollup import BUYER_ROLES, UNKNOWN_ROLE
from .account_detail import MERGED_ROLE, merge_small_roles
from .grouping import positions_of, text_codes
from .respondents import RespondentFigures
from .segments import RespondentArrays, grouped_figures

ROLE_ORDER = (*BUYER_ROLES, MERGED_ROLE, UNKNOWN_ROLE)


def role_figure_columns(figures: RespondentFigures) -> list[str]:
    """The figure columns of ``account_roles`` for the models the run has."""
    columns: list[str] = []
    if figures.nps_answers is not None:
        columns += ["nps", "nps.n"]
    for name, series in (("satisfaction", figures.satisfaction),
                         ("loyalty_index", figures.loyalty_index)):
        if series is not None:
            columns += [name, f"{name}.n"]
    layout = figures.servqual_layout
    if figures.servqual is not None and layout is not None:
        columns += [c for d in layout.dimensions
                    for c in (f"servqual.{d}.gap", f"servqual.{d}.n")]
        columns += ["servqual.unweighted", "servqual.unweighted.n"]
    return columns


def account_role_table(figures: RespondentFigures, index: pd.Index, customers: pd.DataFrame,
                       min_answers: int = 0,
                       weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """``account_roles``: per account and buying role, ``n`` and the role's figures.

    Parameters
    ----------
    figures : RespondentFigures
        The respondent figures of the run.
    index : Index
        The responses' row labels (unique).
    customers : DataFrame
        The customers' rows (``account_id`` and ``role``; labels of ``index``).
    min_answers : int
        Anonymous waves: the fewest answers a role shows on its own (0: every role).
    weights : mapping, optional
        The role weights, whose keys name the buying roles.
    """
    roles = merge_small_roles(customers["account_id"], customers["role"], min_answers,
                              weights)
    account_codes, account_names = text_codes(customers["account_id"])
    role_values, role_names = pd.factorize(roles, use_na_sentinel=False)
    rank = {r: k for k, r in enumerate(ROLE_ORDER)}
    order = sorted(range(len(role_names)),
                   key=lambda k: (rank.get(str(role_names[k]), len(rank)), str(role_names[k])))
    role_rank = np.empty(len(role_names), dtype=np.int64)
    role_rank[order] = np.arange(len(order))
    n_roles = max(len(role_names), 1)
    pair = np.where(account_codes >= 0,
                    account_codes * n_roles + role_rank[np.asarray(role_values)], -1)
    size = len(account_names) * n_roles
    counts = np.bincount(pair[pair >= 0], minlength=size)
    present = np.flatnonzero(counts)  # sorted: by account, then by role order
    codes = np.full(len(index), -1, dtype=np.int64)
    codes[positions_of(index, customers.index)] = pair
    # only the pairs that answered are groups: renumber them 0..len(present)-1
    renumber = np.full(size, -1, dtype=np.int64)
    renumber[present] = np.arange(len(present))
    codes = np.where(codes >= 0, renumber[np.maximum(codes, 0)], -1)
    values = grouped_figures(RespondentArrays.of(figures, index), codes, len(present),
                             tests=False)
    n = counts[present].astype(np.int64)
    ordered_names = np.asarray([str(role_names[k]) for k in order], dtype=object)
    table = pd.DataFrame({
        "account_id": pd.array(account_names[present // n_roles], dtype="string"),
        "role": pd.array(ordered_names[present % n_roles] if len(present) else [],
                         dtype="string"),
        "n": n})
    hidden = n < min_answers  # a merged group still too small to show
    for column in role_figure_columns(figures):
        value = values[column]
        if not column.endswith(".n"):
            value = np.where(hidden, np.nan, value)
        table[column] = value
    return table
