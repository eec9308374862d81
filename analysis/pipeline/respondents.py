"""The per-respondent figures the portfolio's own figures are means of.

The model steps leave them here so that the segment and buying-role tables regroup the
very numbers the portfolio summary averages, rather than recomputing them another way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..servqual import ServqualLayout


@dataclass
class RespondentFigures:
    """Each field is indexed by row labels of the responses frame (a subset of them).

    ``nps_answers`` — the 0–10 recommend answers; ``servqual`` — the respondent scores of
    :func:`analysis.servqual.respondent_scores` (``<dim>.e|p|gap``, ``unweighted``,
    ``weighted``) with ``servqual_layout``, and ``servqual_tests`` (the portfolio's gap
    tests, one row per dimension, as :func:`analysis.significance.gap_significance` returns
    them);
    ``satisfaction`` — the 0–100 satisfaction index of
    :func:`analysis.pipeline.measures.satisfaction_index`; ``loyalty_index`` — of
    :func:`analysis.loyalty.loyalty_scores`.
    """

    nps_answers: pd.Series | None = None
    servqual: pd.DataFrame | None = None
    servqual_layout: ServqualLayout | None = None
    servqual_tests: pd.DataFrame | None = None
    satisfaction: pd.Series | None = None
    loyalty_index: pd.Series | None = None
