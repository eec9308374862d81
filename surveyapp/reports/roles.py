"""The buying centre, each role's view: what each buying role of an account said.

Values are the run's ``account_roles`` rows (one per account and role: n, NPS,
satisfaction, loyalty and the SERVQUAL gaps of that role's respondents). A figure resting on
fewer than :data:`~surveyapp.services.figures.MIN_ANSWERS` answers is not passed to the
page at all, so no template can show it by mistake; the page says "too few answers".
"""

from __future__ import annotations

from typing import Any

from ..services.figures import enough
from .segments import count, value


def figure(raw: Any, n: Any) -> dict[str, Any]:
    """A value with its n; the value is None when n is below the minimum."""
    answers = count(n)
    shown = enough(answers)
    return {"value": value(raw) if shown else None, "n": answers, "enough": shown}


def role_views(rows: list[dict[str, Any]], dimensions: list[str],
               names: dict[str, str]) -> list[dict[str, Any]]:
    """Each answering role's figures, in the run's role order. ``dimensions`` are the
    SERVQUAL dimension ids and ``names`` their names in the page's language. Where the run
    gives no n of its own for a measure (the loyalty index, the overall gap), the role's
    number of respondents stands for it."""
    views = []
    for row in rows:
        n = count(row.get("n"))
        views.append({
            "role": row.get("role"), "n": n, "enough": enough(n),
            "nps": figure(row.get("nps"), row.get("nps.n")),
            "satisfaction": figure(row.get("satisfaction"), row.get("satisfaction.n")),
            "loyalty_index": figure(row.get("loyalty_index"),
                                    row.get("loyalty_index.n", n)),
            "gap": figure(row.get("servqual.unweighted"),
                          row.get("servqual.unweighted.n", n)),
            "gaps": [{"dimension": d, "name": names.get(d, d),
                      **figure(row.get(f"servqual.{d}.gap"), row.get(f"servqual.{d}.n"))}
                     for d in dimensions if f"servqual.{d}.gap" in row]})
    return views
