"""A stage criterion in words, as the web scorecard writes it: the indicator's name, the
account's value in the indicator's unit and what is needed ("钱包份额 16 %，需要 ≥ 30 %")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class UnitWords:
    """The words an indicator's value is written with, in the reader's language (the
    workbook's own labels, or the web app's translations)."""

    unknown: str
    yes: str
    no: str
    out_of: Callable[[str, str], str]  # ("4", "5") → "4 / 5" or "4 of 5"
    number: str = ".3g"  # the format of a value in no known unit


def indicator_text(value: Any, unit: str, words: UnitWords, top: float = 5.0) -> str:
    """45 %, +12 %, 3, 是, 4 / 5, 62 / 100: an indicator's value in its unit (a rating out
    of ``top``, the top of its own scale)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return words.unknown
    if pd.isna(number):
        return words.unknown
    if unit == "share":
        return f"{100 * number:.0f} %"
    if unit == "change":
        return f"{100 * number:+.0f} %"
    if unit == "count":
        return f"{number:.0f}"
    if unit == "yes_no":
        return words.yes if number >= 1 else words.no
    if unit == "rating":
        return words.out_of(format(number, "g"), format(top, "g"))
    if unit == "index":
        return words.out_of(format(number, ".0f"), "100")
    return format(number, words.number)


def in_words(value: Any, unit: str, labels: Labels, top: float = 5.0) -> str:
    """An indicator's value in the workbook's words."""
    words = UnitWords(labels("w.not_known"), labels("w.yes"), labels("w.no"),
                      lambda v, t: f"{v} / {t}")
    return indicator_text(value, unit, words, top)


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
