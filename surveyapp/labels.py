"""Display names of coded values (buyer roles, customer types), translated."""

from flask_babel import lazy_gettext as _l

ROLES = {
    "economic": _l("Economic buyer"),
    "technical": _l("Technical buyer"),
    "user": _l("User buyer"),
    "financial": _l("Financial buyer"),
    "coach": _l("Coach"),
    "influencer": _l("Influencer"),
    "unknown": _l("Unknown role"),
}

CUSTOMER_TYPES = {
    "price_sensitive": _l("Price-sensitive"),
    "value_added": _l("Value-added"),
    "partnership": _l("Partnership"),
}

SCORES = {
    "unweighted": _l("SERVQUAL (unweighted)"),
    "weighted": _l("SERVQUAL (importance-weighted)"),
    "servperf": _l("SERVPERF (perception only)"),
}

QUADRANTS = {
    "loyalist": _l("Loyalist (satisfied and loyal)"),
    "mercenary": _l("Mercenary (satisfied, not loyal)"),
    "hostage": _l("Hostage (loyal, not satisfied)"),
    "defector": _l("Defector (neither satisfied nor loyal)"),
}

CRITERION_STATUS = {
    "met": _l("met"),
    "not met": _l("not met"),
    "unknown": _l("unknown (counts as not met)"),
}
