"""A scorecard reads its account's rows of a run table as a slice of the table sorted once."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal

from surveyapp.services.scorecards import _account_rows


class FakeFigures:
    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.cache: dict[str, object] = {}
        self.builds = 0

    def table(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())

    def derived(self, key, build):  # type: ignore[no-untyped-def]
        if key not in self.cache:
            self.builds += 1
            self.cache[key] = build()
        return self.cache[key]


def test_each_accounts_rows_are_its_rows_in_their_order():
    table = pd.DataFrame({
        "account_id": pd.array(["B", "A", None, "B", "C", "A", "B"], dtype="string"),
        "role": ["economic", "user", "user", "technical", "user", "economic", "user"],
        "n": [1, 2, 3, 4, 5, 6, 7]})
    figures = FakeFigures({"account_roles": table})
    for code in ("A", "B", "C"):
        # the old way: a boolean mask keeps the table's order within the account
        expected = table[table["account_id"] == code].reset_index(drop=True)
        assert_frame_equal(_account_rows(figures, "account_roles", code), expected)
    assert _account_rows(figures, "account_roles", "Z").empty  # an account with no rows
    assert figures.builds == 1  # sorted once, then sliced


def test_a_table_without_accounts_gives_no_rows():
    figures = FakeFigures({"stage_evidence": pd.DataFrame({"stage": ["early"]})})
    assert _account_rows(figures, "stage_evidence", "A").empty
    assert _account_rows(figures, "missing", "A").empty
