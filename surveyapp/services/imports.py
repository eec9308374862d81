"""Accounts and contacts in from CSV/XLSX files: first a plan of what would change, then
the plan applied in one transaction.

A file is checked whole by :mod:`analysis.frames` (the same readers and checks that
``surveyapp analyze`` uses). Any problem rejects the whole file — the plan then lists every
problem by row and column and cannot be applied. Rows are matched to what is stored by
their id (``account_id``, ``contact_id``): a new id is a new row, a known id is updated
where a cell differs, and importing the same file again changes nothing. A column the file
does not have leaves the stored values alone; a blank cell in a column it has clears the
value (a required one — ``name`` — cannot be blank).

The plan and its helpers are in :mod:`.import_plan`; what is particular to accounts (the
owner, the managers' assessment columns) in :mod:`.import_accounts`, to contacts (erased
contacts stay erased) in :mod:`.import_contacts`. This module is the entry point: plan,
apply in one transaction, or apply in the background.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import jobs
from ..db import get_session
from ..models import User
from . import audit, scoring
from .import_accounts import apply_accounts, plan_accounts
from .import_contacts import apply_contacts, plan_contacts
from .import_plan import KINDS, ImportPlan, ImportRejected, ImportSettings

# the names the import pages, the command line and the tests use, all from here
__all__ = ["BACKGROUND_ROWS", "KINDS", "ImportPlan", "ImportRejected", "ImportSettings",
           "apply_plan", "import_job", "plan_import", "recent_imports"]


# --------------------------------------------------------------------------- entry points


def plan_import(session: Session, kind: str, name: str, data: bytes | None,
                settings: ImportSettings, visible: Collection[str] | None = None
                ) -> ImportPlan:
    """The plan for a file of ``kind`` ("accounts" or "contacts"), read from ``data`` (an
    upload) or, when None, from the file ``name``; ``visible`` limits it to the accounts a
    manager may change (see :func:`access.visible_codes`; None = every account)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    planner = plan_accounts if kind == "accounts" else plan_contacts
    return planner(session, name, data, settings, visible)


def apply_plan(session: Session, plan: ImportPlan, actor: Any = audit.FROM_REQUEST
               ) -> ImportPlan:
    """Write the plan in one transaction and queue the figures' recompute.

    Raises :class:`ImportRejected` (nothing written) for a plan with problems, or when
    another change to the same rows got in first. ``actor``: who the audit log names
    (default: the logged-in user of the request, or the command line).
    """
    if not plan.ok:
        raise ImportRejected(plan)
    if not plan.changes_anything:
        return plan
    try:
        if plan.kind == "accounts":
            apply_accounts(session, plan)
        else:
            apply_contacts(session, plan)
        audit.record(session, "import", plan.source, {"kind": plan.kind, **plan.counts,
                                                       "new_owners": plan.new_owners},
                     actor=actor)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ImportRejected(plan, f"{plan.source}: another change to the same "
                                   "accounts or contacts was saved at the same time; "
                                   "nothing was written — import the file again") from None
    except OperationalError:  # e.g. SQLite still locked by another writer after its timeout
        session.rollback()
        raise ImportRejected(plan, f"{plan.source}: the database is busy; nothing was "
                                   "written — import the file again in a moment") from None
    except BaseException:
        session.rollback()
        raise
    scoring.request_recompute(session, None)
    return plan


BACKGROUND_ROWS = 2_000
"""A confirmed import of more rows than this is written by the background worker (about a
second of work per 5,000 rows on a small server), not inside the request."""


@jobs.job()
def import_job(kind: str, name: str, data: bytes, digest: str,
               visible: list[str] | None, actor_id: int | None) -> None:
    """Apply a confirmed upload in the background: checked and compared with the database
    again, written only if it still changes what the preview showed. The outcome — done,
    or why nothing was written — is in the audit log ("import", "import.failed")."""
    session = get_session()
    actor = session.get(User, actor_id) if actor_id is not None else None
    settings = ImportSettings.from_config(current_app.config)
    plan = plan_import(session, kind, name, data, settings, visible)
    if plan.digest() != digest:
        audit.record_now(session, "import.failed", name, {
            "kind": kind, "reason": "the data changed since the preview; nothing was "
                                    "written — upload the file again"}, actor=actor)
        return
    try:
        apply_plan(session, plan, actor=actor)
    except ImportRejected as exc:
        audit.record_now(session, "import.failed", name, {"kind": kind, "reason": str(exc)},
                         actor=actor)


def recent_imports(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest imports and failed background imports, newest first, from the audit log."""
    events = audit.recent(session, "import", per_page=limit).events
    return [{"at": e.at, "by": e.actor_email, "source": e.target,
             "failed": e.action == "import.failed", **audit.detail(e)} for e in events]
