"""Pure analysis of B2B customer surveys: DataFrames in, DataFrames or numbers out.

No Flask, no database: only explicit readers and writers. See ``docs/METHODS.md`` for every
formula and its source.
"""

from .frames import (
    META_COLUMNS,
    CellError,
    InputFileError,
    empty_responses,
    read_responses,
    read_table,
    validate_responses,
)
from .instrument import (
    Instrument,
    InstrumentError,
    Questionnaire,
    load_instrument,
    loads_instrument,
)
from .rollup import DEFAULT_ROLE_WEIGHTS, account_rollup
from .servqual import ServqualLayout, item_gaps, respondent_scores, summarize

__all__ = [
    "DEFAULT_ROLE_WEIGHTS",
    "META_COLUMNS",
    "CellError",
    "InputFileError",
    "Instrument",
    "InstrumentError",
    "Questionnaire",
    "ServqualLayout",
    "account_rollup",
    "empty_responses",
    "item_gaps",
    "load_instrument",
    "loads_instrument",
    "read_responses",
    "read_table",
    "respondent_scores",
    "summarize",
    "validate_responses",
]
