"""The accounts list as a CSV a manager opens in Excel: headers in the reader's language
with the technical name beside them ("客户名称 (name)"), coded values as their labels
(价格敏感型, 孕育阶段), and names that say what is weighted how.

The figures are the list's own (already withheld under the minimum of answers: an empty
cell beside its n); text a spreadsheet would run as a formula is written as text
(:func:`services.scorecards.list_csv`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis import StageModel

from .. import labels
from ..services import scorecards

# list column → (technical name in the file, header in words); every NPS and gap says
# whether each respondent counts the same or each buying role does
COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("account_id", "account_id", _l("Account")),
    ("name", "name", _l("Account name")),
    ("industry", "industry", _l("Industry")),
    ("customer_type", "customer_type", _l("Customer type")),
    ("owner", "owner", _l("Owner")),
    ("stage", "stage", _l("Relationship stage")),
    ("abc", "abc", _l("ABC class")),
    ("nps.unweighted", "nps_per_respondent", _l("NPS, each respondent counted once")),
    ("nps", "nps_role_weighted", _l("NPS, role-weighted")),
    ("nps.n", "nps_n", _l("NPS answers (n)")),
    ("servqual.unweighted", "servqual_gap_role_weighted",
     _l("SERVQUAL gap (P − E), role-weighted")),
    ("servqual.weighted", "servqual_gap_importance_and_role_weighted",
     _l("SERVQUAL gap, importance- and role-weighted")),
    ("servqual.servperf", "servperf_role_weighted", _l("SERVPERF, role-weighted")),
    ("servqual.unweighted.n", "servqual_n", _l("SERVQUAL answers (n)")),
    ("contribution", "contribution", _l("Contribution")),
    ("invited", "invited", _l("Contacts invited")),
    ("responded", "responded", _l("Contacts answered")),
    ("previous_stage", "previous_stage", _l("Stage in the wave before")),
    ("flag.detractors", "flag_more_detractors", _l("More detractors than promoters")),
    ("flag.gap", "flag_large_negative_gap", _l("Large negative gap")),
    ("flag.economic_silent", "flag_economic_buyer_silent", _l("Economic buyer silent")),
    ("flag.stage_fell", "flag_stage_fell", _l("Stage fell")),
)
FLAG_COLUMNS = ("flag.detractors", "flag.gap", "flag.economic_silent", "flag.stage_fell")


def header(technical: str, words: Any) -> str:
    """'客户名称 (name)': what a reader knows it by, and the name scripts can rely on."""
    return f"{words} ({technical})"


def accounts_csv(rows: pd.DataFrame, stage_model: StageModel | None, lang: str) -> bytes:
    """The filtered list (:func:`services.scorecards.export_rows`) as CSV in ``lang``
    (the current locale's words; stage names from the stage file)."""
    table = pd.DataFrame(index=rows.index)
    yes, no = _("yes"), _("no")

    def stage_name(stage: Any) -> Any:
        if not isinstance(stage, str) or not stage:
            return None
        if stage_model is None:
            return stage
        try:
            return stage_model.stage(stage).name.get(lang) or stage
        except KeyError:  # a stage a newer stage file no longer has
            return stage

    for column, technical, words in COLUMNS:
        if column not in rows.columns:
            continue
        values = rows[column]
        if column == "customer_type":
            values = values.map(lambda v: str(labels.CUSTOMER_TYPES[v])
                                if v in labels.CUSTOMER_TYPES else v)
        elif column in ("stage", "previous_stage"):
            values = values.map(stage_name)
        elif column in FLAG_COLUMNS:
            values = values.map(lambda v: yes if bool(v) else no)
        table[header(technical, words)] = values
    return scorecards.list_csv(table)
