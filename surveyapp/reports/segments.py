"""Whose figures the dashboard shows: a segment's, a manager's own accounts', or the wave's.

The run stores NPS, gaps, satisfaction and loyalty per customer type, per industry and per
owner (:data:`~surveyapp.services.figures.SEGMENTS_TABLE`), each computed from that
segment's own answers. With exactly one of those filters set the page shows that
segment's figures with the whole wave's beside them; a manager sees their own accounts'
(the owner segment of their email) beside the portfolio's. Combinations of filters are not
stored (a run would need every product of types, industries and owners), so with two or
more filters the respondent-level figures stay the whole wave's and the page says so.
Nothing is computed here: values are read from the run and shaped for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l

from ..services.figures import SEGMENT_KINDS, WaveFigures, enough, segment_row

SIGNIFICANCE = 0.05  # Holm-adjusted p below this reads as "significant"

WAVE, SEGMENT, OWN, COMBINED = "wave", "segment", "own", "combined"
# a segment kind in a sentence ("those of the customer type “partnership”")
SEGMENT_NAMES = {"customer_type": _l("the customer type"), "industry": _l("the industry"),
                 "owner": _l("the accounts of")}


@dataclass(frozen=True)
class Scope:
    """Whose respondent-level figures a page shows."""

    kind: str  # WAVE, SEGMENT (one filter), OWN (a manager's accounts), COMBINED
    segment: str | None = None  # one of SEGMENT_KINDS
    value: str | None = None
    narrower: bool = False  # OWN with a filter: the accounts shown are fewer than the figures'

    @property
    def scoped(self) -> bool:
        """Whether the figures are a segment's (the wave's are shown beside them)."""
        return self.kind in (SEGMENT, OWN)


def scope_of(filters: dict[str, str | None], own: str | None) -> Scope:
    """The scope of a dashboard filtered by ``filters`` (segment kind → value or None) for a
    manager whose email is ``own`` (None for roles that see the whole portfolio)."""
    chosen = {k: v for k, v in filters.items() if v and k in SEGMENT_KINDS}
    if own:
        others = {k: v for k, v in chosen.items() if not (k == "owner" and v == own)}
        return Scope(OWN, "owner", own, narrower=bool(others))
    if not chosen:
        return Scope(WAVE)
    if len(chosen) == 1:
        ((segment, value),) = chosen.items()
        return Scope(SEGMENT, segment, value)
    return Scope(COMBINED)


def value(raw: Any) -> float | None:
    """A run value as a plain float (missing → None)."""
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def count(raw: Any) -> int:
    number = value(raw)
    return 0 if number is None else int(number)


def p_text(p: float | None) -> str:
    """A p-value as a reader takes it in: "< 0.001" rather than "0.000"."""
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def nps_figure(values: dict[str, Any]) -> dict[str, Any]:
    """NPS with its margin, counts and n, from the summary's ``nps`` entry or a segment
    row's ``nps.*`` columns (already renamed without the prefix)."""
    n = count(values.get("n"))
    return {"nps": value(values.get("nps")), "moe": value(values.get("moe")), "n": n,
            "promoters": count(values.get("promoters")),
            "passives": count(values.get("passives")),
            "detractors": count(values.get("detractors")), "enough": enough(n)}


def segment_nps(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return nps_figure({"nps": row.get("nps"), **{
        part: row.get(f"nps.{part}")
        for part in ("moe", "n", "promoters", "passives", "detractors")}})


def gap_figure(dimension: str, name: str, e: Any, p: Any, gap: Any, n: Any,
               p_holm: Any) -> dict[str, Any]:
    p_adjusted = value(p_holm)
    return {"dimension": dimension, "name": name, "e": value(e), "p": value(p),
            "gap": value(gap), "n": count(n), "enough": enough(n), "p_holm": p_adjusted,
            "significant": p_adjusted is not None and p_adjusted < SIGNIFICANCE,
            "p_text": p_text(p_adjusted)}


def segment_gaps(row: dict[str, Any] | None, dimensions: list[str], names: dict[str, str]
                 ) -> list[dict[str, Any]]:
    row = row or {}
    return [gap_figure(d, names.get(d, d), *(row.get(f"servqual.{d}.{part}")
                                             for part in ("e", "p", "gap", "n", "p_holm")))
            for d in dimensions]


def index_figure(raw: Any, n: Any) -> dict[str, Any]:
    return {"value": value(raw), "n": count(n), "enough": enough(n)}


def segment_indices(row: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Satisfaction and loyalty index (0–100) of a segment, each with its n."""
    row = row or {}
    return {m: index_figure(row.get(m), row.get(f"{m}.n"))
            for m in ("satisfaction", "loyalty_index")}


def wave_indices(figures: WaveFigures) -> dict[str, dict[str, Any]]:
    """The whole wave's satisfaction and loyalty index: the run's ``all`` segment row when it
    has one (computed as the segments are), else the loyalty index of the run's summary."""
    whole = segment_row(figures, "all", "")
    if whole is not None:
        return segment_indices(whole)
    loyalty = figures.summary.get("loyalty") or {}
    return {"satisfaction": index_figure(None, 0),
            "loyalty_index": index_figure(loyalty.get("loyalty_index"), loyalty.get("n"))}


def scoped_row(figures: WaveFigures, scope: Scope) -> dict[str, Any] | None:
    """The run's row of the scope's segment (None: nobody in it answered, or no segment)."""
    if not scope.scoped or scope.segment is None or scope.value is None:
        return None
    return segment_row(figures, scope.segment, scope.value)


__all__ = ["COMBINED", "OWN", "SEGMENT", "SEGMENT_NAMES", "WAVE", "Scope", "gap_figure",
           "nps_figure",
           "scope_of", "scoped_row", "segment_gaps", "segment_indices", "segment_nps",
           "wave_indices"]
