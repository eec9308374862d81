"""NPS in the run: the portfolio's Net Promoter Score with its margin of error
(analysis.nps; the accounts' role-weighted NPS rolls up in the loyalty step)."""

from __future__ import annotations

import pandas as pd

from ..nps import nps
from .common import num
from .context import RunContext
from .detect import find_nps_column


def run(ctx: RunContext) -> None:
    """``summary["nps"]`` and table ``nps`` from the 0–10 recommend item, when asked."""
    column = find_nps_column(ctx.questionnaire)
    if column is None:
        return
    result = nps(ctx.responses[column])
    ctx.figures.nps_answers = ctx.responses[column]
    ctx.summary["nps"] = {"nps": num(result.nps), "moe": num(result.moe), "n": result.n,
                          "promoters": result.promoters, "passives": result.passives,
                          "detractors": result.detractors}
    ctx.tables["nps"] = pd.DataFrame([{"item": column, **ctx.summary["nps"]}])
