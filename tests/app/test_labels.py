"""Every coded value the analysis knows has a display name on the pages, and no other."""

from analysis.vocabulary import BUYER_ROLES, CUSTOMER_TYPES, UNKNOWN_ROLE
from surveyapp import labels


def test_every_customer_type_has_a_display_name():
    assert set(labels.CUSTOMER_TYPES) == set(CUSTOMER_TYPES)


def test_every_buying_role_has_a_display_name():
    assert set(labels.ROLES) == {*BUYER_ROLES, UNKNOWN_ROLE}
