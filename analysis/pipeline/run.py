"""The analysis run: each model's step in turn, then the account tables.

Every step is one module with one signature, ``run(ctx: RunContext) -> None``
(:mod:`analysis.pipeline.context`); a step whose instrument is absent adds nothing. The
order matters only where a step reads what an earlier one left: the satisfaction step
reads the SERVQUAL scores (derived importance), the warnings read every model's summary,
the account table joins every step's per-account roll-up and counts the buying-role step's
groups, and the segment tables regroup that step's sums.
"""

from __future__ import annotations

import pandas as pd

from ..instrument import Questionnaire
from . import (
    accounts,
    free_text_run,
    importance_run,
    loyalty_run,
    notices,
    nps_run,
    reliability_run,
    roles,
    satisfaction_run,
    segments,
    servqual_run,
)
from .common import AnalysisOptions, AnalysisResult, jsonable
from .context import RunContext, Step

MODEL_STEPS: tuple[Step, ...] = (
    reliability_run.run,  # Cronbach's alpha of every construct
    servqual_run.run,  # gaps, tests, importance, Gap 1, each account's gaps
    satisfaction_run.run,  # the path model, drivers, derived importance, satisfaction index
    nps_run.run,  # the portfolio's NPS
    loyalty_run.run,  # the four degrees, the loyalty index, each account's NPS
    importance_run.run,  # rated importance against performance
    free_text_run.run,  # the comments, when asked for
    notices.run,  # what was skipped or weakened, in words
)
ACCOUNT_STEPS: tuple[Step, ...] = (
    roles.run,  # each buying role's view of its account (and who answered, for the next)
    accounts.run,  # one row per account: roll-ups, contribution, quadrant, grid, stage
    segments.run,  # the figures per customer type, industry and owner
)


def analyze(questionnaire: Questionnaire, responses: pd.DataFrame,
            accounts: pd.DataFrame | None = None,
            options: AnalysisOptions | None = None) -> AnalysisResult:
    """Run every model the questionnaire supports on ``responses`` (and ``accounts``).

    Parameters
    ----------
    questionnaire : Questionnaire
        The instruments the responses answer.
    responses : DataFrame
        Validated wide responses (:func:`analysis.frames.validate_responses`).
    accounts : DataFrame, optional
        One row per account (``account_id`` and the docs/METHODS.md account columns).
    options : AnalysisOptions, optional

    Returns
    -------
    AnalysisResult
        ``summary`` (JSON-ready) and ``tables`` (frames for a workbook).
    """
    ctx = RunContext.start(questionnaire, responses, accounts, options or AnalysisOptions())
    for step in MODEL_STEPS:
        step(ctx)
    if ctx.has_accounts or accounts is not None:
        for step in ACCOUNT_STEPS:
            step(ctx)
    ctx.summary["warnings"] = ctx.warnings  # always there: an empty list says nothing was weakened
    return AnalysisResult(jsonable(ctx.summary), ctx.tables)
