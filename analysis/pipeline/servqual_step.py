"""SERVQUAL in the run: gaps, tests and importance (``servqual_run``), Gap 1, and each
account's role-weighted gaps, tests and item gaps."""

from __future__ import annotations

from ..rollup import account_rollup
from ..servqual import SCORE_COLUMNS, ServqualLayout
from ..significance import gap_significance
from .account_detail import account_item_gaps
from .context import RunContext
from .detect import find_gap1, find_servqual
from .servqual_run import gap1_summary, servqual_summary


def run(ctx: RunContext) -> None:
    """``summary["servqual"]`` and the ``servqual_*`` tables, when an instrument asks E and P."""
    servqual = find_servqual(ctx.questionnaire)
    if servqual is None:
        return
    answers, options = ctx.answers, ctx.options
    summary, tables, scores = servqual_summary(servqual, answers, ctx.accounts, options)
    ctx.tables.update(tables)
    gap1_inst = find_gap1(ctx.questionnaire, servqual)
    if gap1_inst is not None:
        summary["gap1"], ctx.tables["servqual_gap1"] = gap1_summary(
            gap1_inst, servqual, answers, scores.index)
    ctx.summary["servqual"] = summary
    ctx.servqual, ctx.servqual_scores = servqual, scores
    layout = ServqualLayout.of(servqual)
    figures = ctx.figures
    figures.servqual, figures.servqual_layout = scores, layout
    figures.servqual_tests = tables["servqual_tests"]
    if not ctx.has_accounts:
        return
    measures = [f"{d}.{part}" for d in layout.dimensions
                for part in ("e", "p", "gap")] + list(SCORE_COLUMNS)
    keyed = scores[scores["account_id"].notna()]
    if len(keyed):
        ctx.per_account.append(account_rollup(keyed, measures, weights=options.role_weights)
                               .drop(columns=["n", "roles"]).add_prefix("servqual."))
        ctx.tables["servqual_account_tests"] = gap_significance(keyed, layout.dimensions,
                                                                by="account_id")
        # the item gaps read their columns one at a time: no rows are copied
        ctx.tables["servqual_account_items"] = account_item_gaps(answers, layout,
                                                                 rows=keyed.index)
