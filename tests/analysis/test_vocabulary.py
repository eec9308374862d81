"""The coded values have one definition that every reader uses."""

from __future__ import annotations

import analysis
from analysis import rollup, vocabulary


def test_one_definition_of_roles_and_customer_types():
    assert vocabulary.CUSTOMER_TYPES == ("price_sensitive", "value_added", "partnership")
    assert vocabulary.BUYER_ROLES == ("economic", "technical", "user", "financial", "coach",
                                      "influencer")
    # the roll-up weighs exactly these roles by default, and re-exports the same objects
    assert tuple(rollup.DEFAULT_ROLE_WEIGHTS) == vocabulary.BUYER_ROLES
    assert rollup.BUYER_ROLES is vocabulary.BUYER_ROLES
    assert rollup.UNKNOWN_ROLE is vocabulary.UNKNOWN_ROLE
    assert analysis.CUSTOMER_TYPES is vocabulary.CUSTOMER_TYPES
