"""Loyalty in the run: the four degrees and the loyalty index per respondent, for the
portfolio and rolled up to accounts with the role-weighted NPS (analysis.loyalty)."""

from __future__ import annotations

import pandas as pd

from .. import loyalty as loyalty_mod
from .common import num, rows_answering, subset
from .context import RunContext
from .detect import find_loyalty, find_nps_column


def run(ctx: RunContext) -> None:
    """``summary["loyalty"]``, table ``loyalty``; with accounts, each account's degrees,
    loyalty index and NPS."""
    inst = find_loyalty(ctx.questionnaire)
    if inst is None:
        return
    responses = ctx.responses
    nps_column = find_nps_column(ctx.questionnaire)
    rows = rows_answering(responses, inst.numeric_columns)
    scores = loyalty_mod.loyalty_scores(
        subset(responses, rows, [*inst.numeric_columns, *([nps_column] if nps_column else [])]),
        inst, nps_item=nps_column if nps_column in inst.numeric_columns else None)
    ctx.figures.loyalty_index = scores["loyalty_index"]
    degrees = {d: num(scores[d].mean()) for d in loyalty_mod.DEGREES if d in scores.columns}
    summary = {"n": int(scores["loyalty_index"].notna().sum()),
               "loyalty_index": num(scores["loyalty_index"].mean()), "degrees": degrees}
    ctx.summary["loyalty"] = summary
    ctx.tables["loyalty"] = pd.DataFrame(
        [{"measure": d, "mean": mean, "n": int(scores[d].notna().sum())}
         for d, mean in degrees.items()]
        + [{"measure": "loyalty_index", "mean": summary["loyalty_index"], "n": summary["n"]}])
    if not ctx.has_accounts:
        return
    keyed = scores[scores["account_id"].notna()]
    if not len(keyed):
        return
    present = [d for d in loyalty_mod.DEGREES if d in keyed.columns]
    by_account = loyalty_mod.account_loyalty(keyed, present,
                                             weights=ctx.options.role_weights)
    ctx.loyalty_by_account = by_account
    measures = [*present, "loyalty_index"]
    keep = [c for m in measures for c in (m, f"{m}.mean", f"{m}.n")] + [
        "nps", "nps.unweighted", "nps.n"]
    ctx.per_account.append(by_account[[c for c in keep if c in by_account.columns]])
