"""Reliability in the run: Cronbach's alpha of every construct (analysis.reliability)."""

from __future__ import annotations

from .context import RunContext
from .measures import reliability_summary


def run(ctx: RunContext) -> None:
    """``summary["reliability"]``, tables ``reliability`` and ``reliability_items``."""
    ctx.summary["reliability"], ctx.tables["reliability"], ctx.tables["reliability_items"] = \
        reliability_summary(ctx.questionnaire, ctx.answers, ctx.options.missing)
