"""Pure analysis of B2B customer surveys: DataFrames in, DataFrames or numbers out.

No Flask, no database: only explicit readers and writers. See ``docs/METHODS.md`` for every
formula and its source.
"""

from .contribution import abc_classes, abc_summary, account_contribution, value_quadrant
from .drivers import (
    RelativeWeights,
    importance_performance,
    performance_scores,
    relative_weights,
    stated_importance,
)
from .frames import (
    META_COLUMNS,
    CellError,
    InputFileError,
    empty_responses,
    read_accounts,
    read_responses,
    read_table,
    reverse_keyed,
    validate_accounts,
    validate_responses,
)
from .grid import account_grid, grid_cells
from .instrument import (
    Instrument,
    InstrumentError,
    Questionnaire,
    load_instrument,
    loads_instrument,
)
from .loyalty import account_loyalty, jones_sasser, loyalty_scores
from .nps import NpsResult, nps, nps_contribution, nps_table
from .pipeline import AnalysisOptions, AnalysisResult, analyze
from .pls import ConvergenceError, PLSBootstrap, PLSResult, pls_pm
from .pls import bootstrap as pls_bootstrap
from .reliability import AlphaResult, cronbach_alpha, item_statistics, reliability_table
from .rollup import DEFAULT_ROLE_WEIGHTS, account_rollup, normalize_roles
from .scales import block_index, rescale_0_100
from .servqual import (
    ServqualLayout,
    construct_means,
    gap1,
    item_gaps,
    respondent_scores,
    summarize,
)
from .significance import (
    gap_significance,
    holm,
    holm_by_group,
    paired_t_by_group,
    wilcoxon_by_group,
)
from .stages import (
    StageModel,
    StagePlacement,
    StagesError,
    load_stage_model,
    place_accounts,
    stage_distribution,
    stage_indicators,
)
from .vocabulary import BUYER_ROLES, CUSTOMER_TYPES

__all__ = [
    "AlphaResult", "AnalysisOptions", "AnalysisResult", "BUYER_ROLES", "CUSTOMER_TYPES",
    "CellError", "ConvergenceError", "DEFAULT_ROLE_WEIGHTS", "InputFileError", "Instrument",
    "InstrumentError", "META_COLUMNS", "NpsResult", "PLSBootstrap", "PLSResult",
    "Questionnaire", "RelativeWeights", "ServqualLayout", "StageModel", "StagePlacement",
    "StagesError", "abc_classes", "abc_summary", "account_contribution", "account_grid",
    "account_loyalty", "account_rollup", "analyze", "block_index", "construct_means",
    "cronbach_alpha", "empty_responses", "gap1", "gap_significance", "grid_cells", "holm",
    "holm_by_group", "importance_performance", "item_gaps", "item_statistics", "jones_sasser",
    "load_instrument", "load_stage_model", "loads_instrument", "loyalty_scores",
    "normalize_roles", "nps", "nps_contribution", "nps_table", "paired_t_by_group",
    "performance_scores", "place_accounts", "pls_bootstrap", "pls_pm", "read_accounts",
    "read_responses", "read_table", "relative_weights", "reliability_table", "rescale_0_100",
    "respondent_scores", "reverse_keyed", "stage_distribution", "stage_indicators",
    "stated_importance", "summarize", "validate_accounts", "validate_responses",
    "value_quadrant", "wilcoxon_by_group",
]
