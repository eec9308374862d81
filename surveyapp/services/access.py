"""Who may see which accounts and do what.

Three roles:

- **admin** — everything: every account, imports, waves, users, the audit log.
- **manager** — the accounts they own (``Account.owner_id``) and the portfolio views of
  them; may import, run waves and edit assessments.
- **leadership** — reads every account and downloads exports; changes nothing, opens no
  form that only changes data, and gets no survey link (they work as passwords) and no
  contact's personal data file.

Two kinds of rule live here, and nowhere else:

1. **What a request may do**, by endpoint (:func:`rule_for`): every route of the app has a
   rule, found by its endpoint or else by its blueprint; a route with no rule is refused
   (so a new route fails closed, and a test over the URL map names it). Reading (GET, HEAD,
   OPTIONS) and changing (any other method) have their own sets of roles.
2. **Which accounts a user sees** (:func:`account_filter`, :func:`can_see_account`,
   :func:`visible_codes`): a manager asking for another manager's account gets the same
   answer as for an account that does not exist (404), in pages, downloads and exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from ..models import Account

ADMIN, MANAGER, LEADERSHIP = "admin", "manager", "leadership"
ROLES = (ADMIN, MANAGER, LEADERSHIP)

EVERYONE_LOGGED_IN = frozenset(ROLES)
EDITORS = frozenset({ADMIN, MANAGER})  # change data: imports, waves, contacts, assessments
ADMINS = frozenset({ADMIN})
NOBODY: frozenset[str] = frozenset()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Person(Protocol):
    """What the rules read of a user (the logged-in ``User``)."""

    id: int
    role: str


@dataclass(frozen=True)
class Rule:
    """Roles that may read (safe methods) and change (other methods); ``public`` routes
    need no login at all."""

    read: frozenset[str]
    write: frozenset[str]
    public: bool = False

    def roles_for(self, method: str) -> frozenset[str]:
        return self.read if method.upper() in SAFE_METHODS else self.write


PUBLIC = Rule(NOBODY, NOBODY, public=True)
STAFF_READ_EDITORS_WRITE = Rule(EVERYONE_LOGGED_IN, EDITORS)
LOGGED_IN = Rule(EVERYONE_LOGGED_IN, EVERYONE_LOGGED_IN)
ADMIN_ONLY = Rule(ADMINS, ADMINS)
# pages that exist only to change data, and what works as a password: personal survey
# links (whoever holds one answers in that person's name) and a contact's personal data
EDITORS_ONLY = Rule(EDITORS, EDITORS)

# endpoints whose rule differs from their blueprint's
ENDPOINT_RULES: dict[str, Rule] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": LOGGED_IN,
    "auth.password": LOGGED_IN,
    "manage.wave_links": EDITORS_ONLY,
    "manage.wave_sheet": EDITORS_ONLY,
    "manage.wave_qr": EDITORS_ONLY,
    "manage.contact_data": EDITORS_ONLY,
    "manage.contact_edit": EDITORS_ONLY,
    "manage.contact_erase": EDITORS_ONLY,
    "manage.wave_new": EDITORS_ONLY,
    "manage.assessment_edit": EDITORS_ONLY,
}
# the rule of every other route of a blueprint
BLUEPRINT_RULES: dict[str, Rule] = {
    "survey": PUBLIC,  # a contact answering through their personal link
    "reports": STAFF_READ_EDITORS_WRITE,  # pages and downloads (POST: recompute)
    "manage": STAFF_READ_EDITORS_WRITE,  # imports, contacts, waves
    "auth": ADMIN_ONLY,  # users and the audit log
}


def rule_for(endpoint: str) -> Rule | None:
    """The rule of a route by its endpoint (``blueprint.view``); None = no rule (refuse)."""
    if endpoint in ENDPOINT_RULES:
        return ENDPOINT_RULES[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return BLUEPRINT_RULES.get(blueprint) if blueprint else None


def may(user: Person | None, endpoint: str, method: str) -> bool:
    """Whether ``user`` (None = not logged in) may call this endpoint with this method."""
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule.public:
        return True
    return user is not None and user.role in rule.roles_for(method)


def is_role(value: str) -> bool:
    return value in ROLES


def can_change_data(user: Person | None) -> bool:
    """Imports, waves, contacts, assessments (templates hide buttons with this)."""
    return user is not None and user.role in EDITORS


def can_manage_users(user: Person | None) -> bool:
    return user is not None and user.role == ADMIN


def sees_every_account(user: Person) -> bool:
    return user.role in (ADMIN, LEADERSHIP)


def account_filter(user: Person) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Account` keeping the accounts ``user`` may see."""
    if sees_every_account(user):
        return true()
    if user.role == MANAGER:
        return Account.owner_id == user.id
    return Account.id.is_(None)  # an unknown role sees nothing (never true)


def can_see_account(user: Person, account: Any) -> bool:
    """Whether ``user`` may see this account (an ``Account`` or anything with ``owner_id``)."""
    if sees_every_account(user):
        return True
    return user.role == MANAGER and account is not None and account.owner_id == user.id


def visible_codes(session: Session, user: Person) -> frozenset[str] | None:
    """The codes (the file format's ``account_id``) of the accounts ``user`` may see;
    None = every account, so callers can skip filtering."""
    if sees_every_account(user):
        return None
    return frozenset(session.scalars(select(Account.code).where(account_filter(user))))


def visible_account_ids(session: Session, user: Person) -> frozenset[int] | None:
    """As :func:`visible_codes`, by database id."""
    if sees_every_account(user):
        return None
    return frozenset(session.scalars(select(Account.id).where(account_filter(user))))


def wave_within_reach(session: Session, user: Person, campaign_id: int) -> bool:
    """Whether every account invited to the wave is one ``user`` may see — so that sending,
    reminding or reissuing links for the wave touches no one else's contacts."""
    from ..models import Contact, Invitation

    if sees_every_account(user):
        return True
    outside = session.scalar(
        select(Invitation.id).join(Contact, Invitation.contact_id == Contact.id)
        .join(Account, Contact.account_id == Account.id)
        .where(Invitation.campaign_id == campaign_id, ~account_filter(user)).limit(1))
    return outside is None


def keep_visible(codes: Iterable[str], visible: frozenset[str] | None) -> list[str]:
    """``codes`` that are visible (all of them when ``visible`` is None), in order."""
    return list(codes) if visible is None else [c for c in codes if c in visible]
