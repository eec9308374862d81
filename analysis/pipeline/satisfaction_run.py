"""The satisfaction index model in the run: the path model (PLS-PM) with its key drivers,
the derived importance of the service dimensions, and each respondent's and account's
satisfaction index."""

from __future__ import annotations

import pandas as pd

from ..rollup import account_rollup
from .common import rows_answering
from .context import RunContext
from .measures import satisfaction_index, satisfaction_model_summary
from .servqual_run import derived_importance


def run(ctx: RunContext) -> None:
    """``summary["model"]`` and the ``model_*`` tables from the first instrument with a
    ``[model]``; with accounts, the satisfaction index per account."""
    inst = next((i for i in ctx.questionnaire.instruments if i.model is not None), None)
    if inst is None:
        return
    answers, responses = ctx.answers, ctx.responses
    summary, tables, weights = satisfaction_model_summary(inst, answers, ctx.options)
    ctx.summary["model"] = summary
    ctx.tables.update(tables)
    sat = inst.satisfaction_construct
    if sat is None:
        return
    if ctx.servqual is not None and ctx.servqual_scores is not None:
        derived = derived_importance(ctx.servqual, ctx.servqual_scores, answers, inst, sat,
                                     weights)
        if derived is not None:
            ctx.summary["servqual"]["derived_importance"], \
                ctx.tables["servqual_derived_importance"] = derived
    if not ctx.has_accounts:
        return
    rows = rows_answering(responses, inst.single_columns(sat))
    frame = responses.loc[rows, ["account_id"]].copy()
    frame["role"] = responses.loc[rows, "role"] if "role" in responses.columns else \
        pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["satisfaction"] = satisfaction_index(answers.loc[rows, inst.single_columns(sat)],
                                               inst, sat, weights)
    ctx.figures.satisfaction = frame["satisfaction"]
    frame = frame[frame["account_id"].notna()]
    if len(frame):
        ctx.satisfaction_by_account = by_account = account_rollup(
            frame, ["satisfaction"], weights=ctx.options.role_weights)
        ctx.per_account.append(by_account[["satisfaction", "satisfaction.mean",
                                           "satisfaction.n"]])
