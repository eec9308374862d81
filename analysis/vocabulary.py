"""The coded values the data files share: buying roles and customer types.

One definition for the readers (``analysis.frames`` validates ``customer_type`` against
:data:`CUSTOMER_TYPES`), the roll-up (:data:`BUYER_ROLES`, ``analysis.rollup``), the demo data
and the pages' display names. ``docs/METHODS.md`` sections 1.2 and 6.
"""

from __future__ import annotations

BUYER_ROLES = ("economic", "technical", "user", "financial", "coach", "influencer")
"""The six buying roles of a customer's buying centre (客户内部的六种买家), in report order."""

UNKNOWN_ROLE = "unknown"
"""The role of a respondent whose role is blank or fits none of the roles weighed."""

CUSTOMER_TYPES = ("price_sensitive", "value_added", "partnership")
"""The accounts file's ``customer_type`` values: price-sensitive, value-added, partnership."""
