"""A stage criterion in words, as the web scorecard writes it: the indicator's name, the
account's value in the indicator's unit and what is needed ("钱包份额 16 %，需要 ≥ 30 %")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .labels import Labels

# the units of the shipped stage file's indicators (instruments/stages.toml); a run's own
# stage file can name others through ReportData.indicator_units
DEFAULT_UNITS = {"share_of_wallet": "share", "roles_covered": "count",
                 "loyalty_index": "index", "trust": "rating", "joint_planning": "rating",
                 "info_sharing": "rating", "exec_sponsor": "yes_no", "supplier_status": "rating",
                 "revenue_trend": "change", "contact_levels": "rating",
                 "contact_functions": "count"}
# the top of each rating's scale in the shipped stage file (supplier status runs 1–3)
DEFAULT_RATING_TOPS = {"supplier_status": 3.0, "contact_levels": 3.0}
OPS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}


def in_words(value: Any, unit: str, labels: Labels, top: float = 5.0) -> str:
    """45 %, +12 %, 3, 是, 4 / 5, 62 / 100: an indicator's value in its unit (a rating out
    of ``top``, the top of its own scale)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return labels("w.not_known")
    if pd.isna(number):
        return labels("w.not_known")
    if unit == "share":
        return f"{100 * number:.0f} %"
    if unit == "change":
        return f"{100 * number:+.0f} %"
    if unit == "count":
        return f"{number:.0f}"
    if unit == "yes_no":
        return labels("w.yes") if number >= 1 else labels("w.no")
    if unit == "rating":
        return f"{number:g} / {top:g}"
    if unit == "index":
        return f"{number:.0f} / 100"
    return f"{number:.3g}"


def criterion_words(row: Mapping[Any, Any], labels: Labels,
                    units: Mapping[str, str] | None = None) -> str:
    """An unmet criterion: "钱包份额 16 %，需要 ≥ 30 %" / "Share of wallet 16 %, needs ≥ 30 %"."""
    indicator = str(row["indicator"])
    unit = (units or {}).get(indicator) or DEFAULT_UNITS.get(indicator, "number")
    top = DEFAULT_RATING_TOPS.get(indicator, 5.0)
    threshold = in_words(row["threshold"], unit, labels, top)
    op = "" if unit == "yes_no" else OPS.get(str(row["op"]), str(row["op"])) + " "
    return labels("w.needs", name=labels.coded("ind", indicator),
                  value=in_words(row.get("value"), unit, labels, top), need=f"{op}{threshold}")


def unmet_words(rows: pd.DataFrame | None, labels: Labels,
                units: Mapping[str, str] | None = None) -> str:
    """What the account's next stage still needs, one criterion after another."""
    if rows is None or rows.empty or "next" not in rows:
        return ""
    unmet = rows[rows["next"].astype(bool) & ~rows["met"].astype(bool)]
    sep = "；" if labels.lang == "zh" else "; "
    return sep.join(criterion_words(r, labels, units) for r in unmet.to_dict(orient="records"))
