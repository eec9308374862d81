"""Each buying role's view of its account: who answered and what they said.

``account_roles`` has one row per account and buying role that answered (``account_id,
role, n``) and the role's own figures, plain means over its respondents: NPS, the
satisfaction and loyalty indices, each SERVQUAL dimension's gap and the unweighted SERVQUAL
score, each with its n. In an anonymous wave (``min_answers`` > 0) roles with fewer answers
in an account are merged into ``other``
(:func:`analysis.pipeline.account_detail.merge_small_roles`), and a group that is still
smaller than the minimum shows its n but no figure, so no figure can be traced to the one
or two people behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..nps import nps_of_counts
from ..rollup import BUYER_ROLES, UNKNOWN_ROLE
from .account_detail import MERGED_ROLE, merge_small_roles
from .accounts import customer_rows
from .grouping import GroupSums, positions_of, text_codes

if TYPE_CHECKING:
    from .context import RunContext

ROLE_ORDER = (*BUYER_ROLES, MERGED_ROLE, UNKNOWN_ROLE)


@dataclass(frozen=True)
class BuyingGroups:
    """The customers' responses as (account, role) groups, numbered by account (as text)
    and then by the canonical role order: ``codes`` gives each responses row its group
    (−1: not a customer's answer for an account); ``account_of`` gives each group its
    account's number in ``account_names``, ``roles`` its role and ``n`` its responses."""

    codes: np.ndarray
    account_names: np.ndarray
    account_of: np.ndarray
    roles: np.ndarray
    n: np.ndarray

    @property
    def size(self) -> int:
        return len(self.n)

    @property
    def account_codes(self) -> np.ndarray:
        """Each responses row's account number (−1: none)."""
        if not self.size:
            return np.full(len(self.codes), -1, dtype=np.int64)
        return np.where(self.codes >= 0, self.account_of[np.maximum(self.codes, 0)], -1)

    @classmethod
    def of(cls, customers: pd.DataFrame, index: pd.Index, min_answers: int = 0,
           weights: Mapping[str, float] | None = None) -> BuyingGroups:
        """``customers``: the customers' rows (``account_id``, ``role``; labels of
        ``index``); ``min_answers`` and ``weights`` as :func:`merge_small_roles` takes them."""
        roles = merge_small_roles(customers["account_id"], customers["role"], min_answers,
                                  weights)
        account_codes, account_names = text_codes(customers["account_id"])
        role_values, role_names = pd.factorize(roles, use_na_sentinel=False)
        rank = {r: k for k, r in enumerate(ROLE_ORDER)}
        names = [str(r) for r in role_names]
        order = sorted(range(len(names)), key=lambda k: (rank.get(names[k], len(rank)),
                                                         names[k]))
        role_rank = np.empty(len(names), dtype=np.int64)
        role_rank[order] = np.arange(len(order))
        n_roles = max(len(names), 1)
        pair = np.where(account_codes >= 0,
                        account_codes * n_roles + role_rank[np.asarray(role_values)], -1)
        counts = np.bincount(pair[pair >= 0], minlength=len(account_names) * n_roles)
        present = np.flatnonzero(counts)  # sorted: by account, then by role order
        renumber = np.full(len(counts), -1, dtype=np.int64)
        renumber[present] = np.arange(len(present))
        codes = np.full(len(index), -1, dtype=np.int64)
        codes[positions_of(index, customers.index)] = np.where(
            pair >= 0, renumber[np.maximum(pair, 0)], -1)
        ordered = np.asarray([names[k] for k in order] or [""], dtype=object)
        return cls(codes, account_names, present // n_roles, ordered[present % n_roles],
                   counts[present].astype(np.int64))


def nps_counts(sums: GroupSums) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promoters, passives and detractors per group (whole numbers summed as floats)."""
    promoters = np.rint(sums.sums["nps.promoters"]).astype(np.int64)
    detractors = np.rint(sums.sums["nps.detractors"]).astype(np.int64)
    return promoters, sums.n("nps.promoters") - promoters - detractors, detractors


def role_figures(sums: GroupSums) -> dict[str, np.ndarray]:
    """The ``account_roles`` figures of the models the run has, per group of ``sums``."""
    out: dict[str, np.ndarray] = {}
    if "nps.promoters" in sums.sums:
        out["nps"], _, out["nps.n"] = nps_of_counts(*nps_counts(sums))
    for name in ("satisfaction", "loyalty_index"):
        if name in sums.sums:
            out[name], out[f"{name}.n"] = sums.mean(name), sums.n(name)
    for d in sums.dimensions:
        out[f"servqual.{d}.gap"] = sums.mean(f"servqual.{d}.gap")
        out[f"servqual.{d}.n"] = sums.n(f"servqual.{d}.gap")
    if "servqual.unweighted" in sums.sums:
        out["servqual.unweighted"] = sums.mean("servqual.unweighted")
        out["servqual.unweighted.n"] = sums.n("servqual.unweighted")
    return out


def account_role_table(groups: BuyingGroups, sums: GroupSums,
                       min_answers: int = 0) -> pd.DataFrame:
    """``account_roles``: per account and buying role, ``n`` and the role's figures.

    ``sums`` are the respondent figures summed per group of ``groups``; ``min_answers``
    (anonymous waves) hides the figures of a group with fewer answers.
    """
    table = pd.DataFrame({
        "account_id": pd.array(groups.account_names[groups.account_of], dtype="string"),
        "role": pd.array(groups.roles, dtype="string"),
        "n": groups.n})
    hidden = groups.n < min_answers  # a merged group still too small to show
    for column, value in role_figures(sums).items():
        table[column] = value if column.endswith(".n") else np.where(hidden, np.nan, value)
    return table


def run(ctx: RunContext) -> None:
    """Table ``account_roles``; leaves the customers' rows, their groups and the groups'
    sums for the account and segment steps."""
    if not ctx.has_accounts:
        return
    options = ctx.options
    ctx.customers = customers = customer_rows(ctx.questionnaire, ctx.responses, options)
    index = ctx.responses.index
    ctx.groups = groups = BuyingGroups.of(customers, index, options.min_role_answers,
                                          options.role_weights)
    ctx.group_sums = sums = GroupSums.of(ctx.figures, index, groups.codes, groups.size)
    ctx.tables["account_roles"] = account_role_table(groups, sums, options.min_role_answers)
