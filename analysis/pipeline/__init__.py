"""Run every model whose instrument is present, on any questionnaire and responses frame.

Which model runs is decided by the instruments, never by their file names:

* SERVQUAL — an instrument with facets ``e`` and ``p`` (gaps, scores, significance);
* Gap 1 — an instrument asking the SERVQUAL dimensions with facet ``e`` only, answered by
  managers;
* the satisfaction index model (PLS-PM) — an instrument with a ``[model]`` section;
* loyalty — an instrument with the four degree constructs (NPS from an item ``nps``);
* the manager's relationship assessment — an instrument whose items are stage indicators;
* the twenty-five grid — an instrument with items ``grid_step`` and ``grid_level``;
* contribution and stages — when an accounts frame is given.

Each model uses the rows that answered its instrument, so customers' and managers' answers
can share one file. The result is a JSON-ready summary (keys documented in the README) and
tables for the workbook. Pure: frames in, frames out.

The run (:mod:`.run`) is a loop over steps, one module per model, each ``run(ctx)`` on a
:class:`~.context.RunContext`: ``reliability_run``, ``servqual_run``, ``satisfaction_run``,
``nps_run``, ``loyalty_run``, ``importance_run``, ``free_text_run``, ``notices`` (warnings),
then ``accounts`` (the account table), ``roles`` (each buying role's view of its account)
and ``segments`` (the portfolio's figures per customer type, industry and owner). The
models' arithmetic lives in ``analysis.*`` and in ``measures``, ``servqual_run``,
``account_detail``; ``detect`` finds which instruments are present.
"""

from .common import AnalysisOptions, AnalysisResult, jsonable
from .measures import satisfaction_index
from .run import analyze

__all__ = ["AnalysisOptions", "AnalysisResult", "analyze", "jsonable", "satisfaction_index"]
