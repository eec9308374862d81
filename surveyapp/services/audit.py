"""The audit log: who logged in (or failed to), imported, ran a wave, exported, edited an
assessment or changed a user, and when.

:func:`record` adds an event to the caller's session, so it is committed — or rolled
back — together with the change it records; :func:`record_now` commits at once, for
events that change nothing else (a login attempt, a download). Inside a request the actor
and the client address default to the logged-in user and the request's address; on the
command line the actor reads ``command line``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, User

COMMAND_LINE = "command line"
PER_PAGE = 100
TARGET_LENGTH = 200

# the actions recorded (the log accepts others; these are the ones the app writes)
ACTIONS = (
    "login", "login.failed", "logout", "password.changed",
    "user.created", "user.changed", "user.password_reset",
    "import", "contact.edited", "contact.deactivated", "contact.reactivated", "contact.erased",
    "wave.created", "wave.sent", "wave.reminded", "export", "assessment.edited",
)


class _FromRequest:
    """The actor or address of the current request (or none outside a request)."""


FROM_REQUEST: Any = _FromRequest()


def _request_actor() -> tuple[User | None, str | None]:
    from flask import has_request_context, request
    from flask_login import current_user

    if not has_request_context():
        return None, None
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return (user if isinstance(user, User) else None), request.remote_addr


def record(session: Session, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, *, actor: Any = FROM_REQUEST,
           email: str | None = None, address: Any = FROM_REQUEST) -> AuditEvent:
    """Add (not commit) one event. ``actor`` is a ``User``, None, or taken from the request;
    ``email`` names the actor when there is no user (a failed login's email)."""
    request_user, request_address = _request_actor()
    if actor is FROM_REQUEST:
        actor = request_user
    if address is FROM_REQUEST:
        address = request_address
    if actor is not None:
        email = actor.email
    elif email is None and request_address is None:
        email = COMMAND_LINE
    event = AuditEvent(action=action[:40], actor_id=actor.id if actor is not None else None,
                       actor_email=email[:254] if email else None,
                       target=target[:TARGET_LENGTH] if target else None,
                       detail_json=json.dumps(detail, ensure_ascii=False, default=str)
                       if detail else None,
                       address=address[:64] if address else None)
    session.add(event)
    return event


def record_now(session: Session, action: str, target: str | None = None,
               detail: dict[str, Any] | None = None, **who: Any) -> AuditEvent:
    """Record one event and commit it (for events that change nothing else)."""
    event = record(session, action, target, detail, **who)
    session.commit()
    return event


@dataclass
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int


def recent(session: Session, action: str | None = None, actor: str | None = None,
           page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """Events newest first, optionally of one action (or action family, e.g. "login")
    and of actors whose email contains ``actor``."""
    query = select(AuditEvent)
    if action:
        query = query.where((AuditEvent.action == action)
                            | AuditEvent.action.startswith(action + ".", autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor_email.contains(actor.strip().lower(),
                                                            autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    events = list(session.scalars(query.order_by(AuditEvent.id.desc())
                                  .offset((page - 1) * per_page).limit(per_page)))
    return AuditPage(events, total, page, pages)


def known_actions(session: Session) -> list[str]:
    """The actions the app writes and any other found in the log, for a filter."""
    stored = session.scalars(select(AuditEvent.action).distinct())
    return sorted(set(ACTIONS) | set(stored))


def detail(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.detail_json) if event.detail_json else {}
