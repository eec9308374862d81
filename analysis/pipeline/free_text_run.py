"""Free-text answers in the run: a table of the comments, for the file analysis' workbook
(stored runs need none: ``AnalysisOptions.free_text``)."""

from __future__ import annotations

from .context import RunContext


def run(ctx: RunContext) -> None:
    """Table ``free_text``: every response with a comment, its ids and its comments."""
    responses = ctx.responses
    columns = [c for c in ctx.questionnaire.text_columns if c in responses.columns]
    if not columns or not ctx.options.free_text:
        return
    answered = responses[columns].notna().any(axis=1)
    if answered.any():
        meta = [c for c in ("response_id", "account_id", "role") if c in responses.columns]
        ctx.tables["free_text"] = responses.loc[answered, [*meta, *columns]] \
            .reset_index(drop=True)
