"""R plspm's `satisfaction` example (tests/data/plspm_satisfaction.README.md): its blocks,
paths and data, shared by the reliability, path-model and pipeline tests."""

from __future__ import annotations

import pandas as pd

from tests.conftest import DATA

# plspm's call: blocks = list(1:5, 6:10, 11:15, 16:19, 20:23, 24:27)
BLOCKS = {
    "IMAG": [f"imag{i}" for i in range(1, 6)],
    "EXPE": [f"expe{i}" for i in range(1, 6)],
    "QUAL": [f"qual{i}" for i in range(1, 6)],
    "VAL": [f"val{i}" for i in range(1, 5)],
    "SAT": [f"sat{i}" for i in range(1, 5)],
    "LOY": [f"loy{i}" for i in range(1, 5)],
}
PATHS = [("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"),
         ("EXPE", "VAL"), ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"),
         ("SAT", "LOY")]


def load_satisfaction() -> pd.DataFrame:
    """The 250 respondents, indexed by plspm's row id (with the `gender` column)."""
    return pd.read_csv(DATA / "plspm_satisfaction.csv", index_col=0)
