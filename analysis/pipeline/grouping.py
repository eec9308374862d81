"""Respondent figures summed per group once, then regrouped: by segment, by buying role.

A million respondents fall into tens of thousands of (account, role) pairs. Every figure
the segment and role tables show is a plain mean over respondents, so it is a ratio of a
sum to a count; both are taken once per pair with ``bincount`` and then added up into any
coarser grouping (an account, a customer type, an owner) without reading the rows again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..nps import nps_contribution
from .respondents import RespondentFigures


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of ``values`` in the order of their text (−1: missing) and the texts.

    A categorical column is read through its few categories, not its million cells.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw = np.asarray(values.cat.codes, dtype=np.int64)
        seen = np.zeros(len(values.cat.categories) + 1, dtype=bool)
        seen[raw] = True  # code −1 (missing) marks the last slot
        observed = np.flatnonzero(seen[:-1])
        names = np.asarray(values.cat.categories.astype(str), dtype=object)[observed]
        order = np.argsort(names, kind="stable")
        renumber = np.full(len(seen), -1, dtype=np.int64)
        renumber[observed[order]] = np.arange(len(observed))
        return renumber[raw], names[order]
    codes, uniques = pd.factorize(values.astype("string"), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def positions_of(index: pd.Index, labels: pd.Index) -> np.ndarray:
    """Positions in ``index`` (the responses' unique row labels) of ``labels``."""
    if labels.equals(index):
        return np.arange(len(index), dtype=np.int64)
    found = index.get_indexer(labels)
    if (found < 0).any():
        raise ValueError("respondent figures refer to rows that are not in the responses")
    return np.asarray(found, dtype=np.int64)


@dataclass
class GroupSums:
    """Per group 0..size-1: for each figure the sum of its values and how many there are.

    Figures: ``nps.promoters`` and ``nps.detractors`` (0/1 per answer, counted over the
    ``nps`` answers), ``servqual.<dim>.e|p|gap``, ``servqual.unweighted``,
    ``servqual.weighted``, ``satisfaction``, ``loyalty_index``.
    """

    size: int
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()

    @classmethod
    def of(cls, figures: RespondentFigures, index: pd.Index, codes: np.ndarray,
           size: int) -> GroupSums:
        """Sum every figure of ``figures`` per group; ``codes`` gives each responses row
        (a position in ``index``) its group, −1 for none."""
        out = cls(size)
        if figures.nps_answers is not None:
            bins = out.bins(codes[positions_of(index, figures.nps_answers.index)])
            score = nps_contribution(figures.nps_answers).to_numpy()
            out.add("nps.promoters", np.where(np.isnan(score), np.nan, score == 1), bins)
            out.add("nps.detractors", np.where(np.isnan(score), np.nan, score == -1), bins)
        scores, layout = figures.servqual, figures.servqual_layout
        if scores is not None and layout is not None:
            bins = out.bins(codes[positions_of(index, scores.index)])
            out.dimensions = layout.dimensions
            names = [f"{d}.{part}" for d in layout.dimensions for part in ("e", "p", "gap")]
            weighted = ("weighted",) if layout.allocation is not None else ()
            for name in (*names, "unweighted", *weighted):
                out.add(f"servqual.{name}", scores[name].to_numpy(
                    dtype="float64", na_value=np.nan), bins)
        for name, series in (("satisfaction", figures.satisfaction),
                             ("loyalty_index", figures.loyalty_index)):
            if series is not None:
                bins = out.bins(codes[positions_of(index, series.index)])
                out.add(name, series.to_numpy(dtype="float64", na_value=np.nan), bins)
        return out

    def bins(self, codes: np.ndarray) -> np.ndarray:
        """``codes`` with −1 (no group) sent to an extra last bin, dropped by :meth:`add`:
        rows outside every group need no masked copies."""
        return np.where(codes >= 0, codes, self.size)

    def add(self, name: str, values: np.ndarray, bins: np.ndarray) -> None:
        """Sum the finite ``values`` per group (``bins`` of :meth:`bins`)."""
        present = np.isfinite(values)
        self.sums[name] = np.bincount(bins, weights=np.where(present, values, 0.0),
                                      minlength=self.size + 1)[:self.size]
        self.counts[name] = np.bincount(bins, weights=present,
                                        minlength=self.size + 1)[:self.size].astype(np.int64)

    def merged(self, into: np.ndarray, size: int) -> GroupSums:
        """These groups added up into ``size`` coarser ones (``into``: each group's new
        code, −1 for none)."""
        out = GroupSums(size, dimensions=self.dimensions)
        keep = into >= 0
        for name, total in self.sums.items():
            out.sums[name] = np.bincount(into[keep], weights=total[keep], minlength=size)
            out.counts[name] = np.bincount(into[keep], weights=self.counts[name][keep],
                                           minlength=size).astype(np.int64)
        return out

    def mean(self, name: str) -> np.ndarray:
        """The figure's mean per group (NaN without a value)."""
        count = self.counts[name]
        out = np.full(self.size, np.nan)
        np.divide(self.sums[name], count, out=out, where=count > 0)
        return out

    def n(self, name: str) -> np.ndarray:
        return self.counts[name]
