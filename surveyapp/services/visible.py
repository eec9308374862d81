"""A wave's stored figures as one user may see them: only the rows of their accounts.

:func:`restrict` wraps a :class:`~.figures.WaveFigures` so that every table with an
``account_id`` column keeps only the accounts in ``codes`` (see
:func:`.access.visible_codes`); the pages, downloads and exports read it exactly as they
read the whole run. Portfolio-level tables (the five dimension gaps, the path model,
reliability…) have no account column: they describe the portfolio the run scored and are
kept as they are — no single account can be read from them.

Nothing is recomputed: a table is filtered once per run and set of accounts, and kept in
the same per-process cache as the run's own tables.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from .figures import Freshness, WaveFigures, cached

ACCOUNT_COLUMN = "account_id"


class VisibleFigures(WaveFigures):
    """The figures of ``base`` limited to the accounts ``codes`` (the same interface)."""

    def __init__(self, base: WaveFigures, codes: frozenset[str]) -> None:
        super().__init__(base.session, base.campaign, base.run)
        self.base = base
        self.codes = codes
        digest = hashlib.sha256("\n".join(sorted(codes)).encode("utf-8")).hexdigest()[:16]
        # its own cache entries: another user's view of the same run never mixes with it
        self.key = None if base.key is None else (  # type: ignore[assignment]
            *base.key, "accounts", digest)

    # what is not about single accounts is the run's own
    @property
    def available(self) -> bool:
        return self.base.available

    @property
    def summary(self) -> dict[str, Any]:
        return self.base.summary

    @property
    def inputs(self) -> dict[str, Any]:
        return self.base.inputs

    def names(self) -> list[str]:
        return self.base.names()

    def freshness(self) -> Freshness:
        return self.base.freshness()

    def keep(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` about visible accounts (tables without an account column
        are returned whole)."""
        if table.empty or ACCOUNT_COLUMN not in table.columns:
            return table
        kept = table[table[ACCOUNT_COLUMN].astype("string").isin(self.codes)
                     .fillna(False).to_numpy(dtype=bool)]
        return kept.reset_index(drop=True)

    def table(self, name: str) -> pd.DataFrame:
        if self.key is None:
            return self.keep(self.base.table(name))
        return cached(self.key, f"table:{name}", lambda: self.keep(self.base.table(name)))


def restrict(figures: WaveFigures, codes: frozenset[str] | None) -> WaveFigures:
    """``figures`` limited to ``codes``; ``None`` (a user who sees every account) returns
    ``figures`` itself."""
    return figures if codes is None else VisibleFigures(figures, frozenset(codes))


def rows_for(figures: WaveFigures, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` (with an ``account_id`` column, e.g. comments read from the
    database) that ``figures`` shows: all of them unless the figures are restricted."""
    return figures.keep(frame) if isinstance(figures, VisibleFigures) else frame
