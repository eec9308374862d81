"""Raw exports: text a spreadsheet would run as a formula is neutralised in every CSV."""

from __future__ import annotations

import pytest

from surveyapp.services.exports import ExportFilters, _neutralise


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","click")', "@SUM(1)", "+1", "-1",
                                  "\t=1"])
def test_formula_looking_text_gets_a_leading_apostrophe(text):
    assert _neutralise(text) == "'" + text


def test_plain_text_and_numbers_are_unchanged():
    assert _neutralise("good service") == "good service"
    assert _neutralise(-1.5) == -1.5


def test_filters_describe_what_they_keep():
    import pandas as pd

    accounts = pd.DataFrame({"customer_type": ["partnership", "value_added"],
                             "owner": ["a@x", "b@x"], "industry": ["钢铁", "化工"]})
    keep = ExportFilters(customer_type="Partnership").keep(accounts)
    assert keep.tolist() == [True, False]
    assert ExportFilters(owner="b@x").describe() == "owner = b@x"
