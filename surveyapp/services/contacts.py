"""Contacts: find, edit, deactivate and reactivate, and erase on request.

Erasure (PIPL art. 47, GDPR art. 17) removes who a person is and keeps what they said: the
name and email are gone, the contact can no longer be invited or open a link, their drafts
are deleted, and every response of theirs loses its tie to them (``contact_id`` and the
invitation it came through are cleared), while the answers stay in the figures under the
account and the role they were given in. The account managers' ratings of the person (the
twenty-five grid, answers about them rather than by them) are deleted with the rest of
what describes them. The contact row itself stays, reduced to its id, account, role and
the time of erasure, so that a later import of the same id is recognised and skipped
rather than bringing the person back.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from analysis.frames import MAX_EMAIL_LENGTH, clean_email
from analysis.vocabulary import BUYER_ROLES

from ..models import Account, Campaign, Contact, Draft, Invitation, Response, TextAnswer
from . import audit, scoring
from .invitations import hash_token
from .responses import unpack

PAGE_SIZE = 50
STATUSES = ("current", "active", "inactive", "erased", "all")
MAX_NAME_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ContactError(ValueError):
    """A change that cannot be made; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class ContactPage:
    contacts: list[Contact]
    total: int
    page: int
    pages: int


def _filtered(query: Select, account: Account | None, status: str,
              search: str | None, visible: ColumnElement[bool] | None) -> Select:
    if visible is not None:
        query = query.where(Contact.account_id.in_(select(Account.id).where(visible)))
    if account is not None:
        query = query.where(Contact.account_id == account.id)
    if status == "current":
        query = query.where(Contact.erased_at.is_(None))
    elif status == "active":
        query = query.where(Contact.erased_at.is_(None), Contact.active.is_(True))
    elif status == "inactive":
        query = query.where(Contact.erased_at.is_(None), Contact.active.is_(False))
    elif status == "erased":
        query = query.where(Contact.erased_at.is_not(None))
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        query = query.where(or_(Contact.name.ilike(pattern, escape="\\"),
                                Contact.email.ilike(pattern, escape="\\"),
                                Contact.code.ilike(pattern, escape="\\")))
    return query


def list_contacts(session: Session, account: Account | None = None, status: str = "current",
                  search: str | None = None, page: int = 1,
                  page_size: int = PAGE_SIZE,
                  visible: ColumnElement[bool] | None = None) -> ContactPage:
    """One page of contacts, by account code then contact code.

    ``status``: ``current`` (not erased, the default), ``active``, ``inactive``, ``erased``
    or ``all``; ``search`` matches part of the name, email or contact id; ``visible``: a
    condition on :class:`Account` keeping the accounts the user may see
    (:func:`access.account_filter`).
    """
    if status not in STATUSES:
        raise ContactError(f"status must be one of {', '.join(STATUSES)}", "status")
    total = session.scalar(_filtered(select(func.count(Contact.id)), account, status,
                                     search, visible)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    query = _filtered(select(Contact).join(Account, Contact.account_id == Account.id),
                      account, status, search, visible)
    contacts = session.scalars(query.order_by(Account.code, Contact.code)
                               .offset((page - 1) * page_size).limit(page_size)).all()
    return ContactPage(list(contacts), total, page, pages)


def accounts_for_filter(session: Session, visible: ColumnElement[bool] | None = None
                        ) -> list[Account]:
    query = select(Account).order_by(Account.code)
    return list(session.scalars(query if visible is None else query.where(visible)))


def find_account(session: Session, code: str | None,
                 visible: ColumnElement[bool] | None = None) -> Account | None:
    if not code or len(code) > 64:
        return None
    query = select(Account).where(Account.code == code)
    return session.scalar(query if visible is None else query.where(visible))


MAX_ID = 2**31 - 1  # ids beyond any database integer are not looked up (no overflow)


def get(session: Session, contact_id: int) -> Contact | None:
    if not 0 < contact_id <= MAX_ID:
        return None
    return session.get(Contact, contact_id)


def update_contact(session: Session, contact: Contact, *, name: str, email: str | None,
                   role: str | None, lang: str, languages: tuple[str, ...]) -> list[str]:
    """Change the contact's name, email, role and language (committed); returns the fields
    that changed. Raises :class:`ContactError` for a bad value or an erased contact."""
    if contact.erased_at is not None:
        raise ContactError("this contact was erased on request and cannot be edited")
    name = (name or "").strip()
    if not name:
        raise ContactError("a name is required", "name")
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        raise ContactError(f"a name has at most {MAX_NAME_LENGTH} characters and no line "
                           "breaks", "name")
    cleaned_email = None
    if email and email.strip():
        cleaned_email = clean_email(email)
        if cleaned_email is None:
            raise ContactError(f"not an email address (at most {MAX_EMAIL_LENGTH} "
                               "characters, one @ and a domain)", "email")
    role = role or None
    if role is not None and role not in BUYER_ROLES:
        raise ContactError("not a buying role", "role")
    if lang not in languages:
        raise ContactError("not a language of the survey", "lang")
    values = {"name": name, "email": cleaned_email, "role": role, "lang": lang}
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    for key in changed:
        setattr(contact, key, values[key])
    if changed:  # the code, never the name or email: the log outlives an erasure
        audit.record(session, "contact.edited", contact.code, {"fields": changed})
    session.commit()
    return changed


def set_active(session: Session, contact: Contact, active: bool) -> None:
    """Deactivate (not invited; their link stores nothing) or reactivate a contact."""
    if contact.erased_at is not None:
        raise ContactError("this contact was erased on request and cannot be reactivated")
    if contact.active != active:
        contact.active = active
        audit.record(session, "contact.reactivated" if active else "contact.deactivated",
                     contact.code)
    session.commit()


def erase(session: Session, contact: Contact) -> int:
    """Erase a contact on request (committed; see the module docstring). Returns how many
    responses were kept without their identity. Erasing twice changes nothing."""
    if contact.erased_at is not None:
        return 0
    invitation_ids = list(session.scalars(select(Invitation.id).where(
        Invitation.contact_id == contact.id)))
    condition = Response.contact_id == contact.id
    if invitation_ids:
        condition = or_(condition, Response.invitation_id.in_(invitation_ids))
    found = session.execute(select(Response.id, Response.campaign_id, Campaign.audience)
                            .join(Campaign, Campaign.id == Response.campaign_id)
                            .where(condition)).all()
    responses = [r for r in found if r.audience != "manager"]
    ratings = [r.id for r in found if r.audience == "manager"]
    try:
        if responses:
            session.execute(update(Response).where(
                Response.id.in_([r.id for r in responses])).values(
                contact_id=None, invitation_id=None))
        if ratings:
            session.execute(delete(TextAnswer).where(TextAnswer.response_id.in_(ratings)))
            session.execute(delete(Response).where(Response.id.in_(ratings)))
        if invitation_ids:
            session.execute(delete(Draft).where(Draft.invitation_id.in_(invitation_ids)))
            for invitation in session.scalars(select(Invitation).where(
                    Invitation.id.in_(invitation_ids))):
                # a hash of a token nobody holds: the old link opens nothing any more
                invitation.token_hash = hash_token(secrets.token_urlsafe(32))
        contact.name = ""
        contact.email = None
        contact.active = False
        contact.erased_at = datetime.now(UTC)
        audit.record(session, "contact.erased", contact.code,
                     {"responses_kept": len(responses), "ratings_deleted": len(ratings)})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if found:
        scoring.request_recompute(session, sorted({r.campaign_id for r in found}))
    return len(responses)


def personal_data(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything stored about the contact, for a request to see their data (PIPL art. 45,
    GDPR art. 15): the contact record, their invitations, their submitted answers (with the
    texts they wrote), answers saved but not submitted, and the managers' ratings of them.
    Recorded in the audit log (by contact id)."""
    invitations = list(session.scalars(select(Invitation).where(
        Invitation.contact_id == contact.id).order_by(Invitation.id)))
    invitation_ids = [i.id for i in invitations]
    condition = Response.contact_id == contact.id
    if invitation_ids:
        condition = or_(condition, Response.invitation_id.in_(invitation_ids))
    responses = list(session.scalars(select(Response).where(condition).order_by(Response.id)))
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(
        {r.campaign_id for r in responses} | {i.campaign_id for i in invitations})))}
    drafts = list(session.scalars(select(Draft).where(Draft.invitation_id.in_(
        invitation_ids)))) if invitation_ids else []

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    def answers(response: Response) -> dict[str, float]:
        columns = campaigns[response.campaign_id].answer_columns
        values = unpack([response.values], len(columns))[0]
        return {c: float(v) for c, v in zip(columns, values, strict=True) if v == v}

    def described(response: Response) -> dict[str, Any]:
        campaign = campaigns[response.campaign_id]
        return {"wave": campaign.name, "submitted_at": when(response.submitted_at),
                "role": response.role, "lang": response.lang, "answers": answers(response),
                "texts": {t.answer_id: t.text for t in response.texts}}

    data = {
        "contact": {"contact_id": contact.code, "account_id": contact.account.code,
                    "account": contact.account.name, "name": contact.name,
                    "email": contact.email, "role": contact.role, "lang": contact.lang,
                    "active": contact.active, "erased_at": when(contact.erased_at)},
        "invitations": [{"wave": campaigns[i.campaign_id].name, "created_at": when(i.created_at),
                         "sent_at": when(i.sent_at), "opened_at": when(i.opened_at),
                         "started_at": when(i.started_at),
                         "responded_at": when(i.responded_at)} for i in invitations],
        "responses": [described(r) for r in responses
                      if campaigns[r.campaign_id].audience != "manager"],
        "managers_ratings": [described(r) for r in responses
                             if campaigns[r.campaign_id].audience == "manager"],
        "saved_not_submitted": [{"updated_at": when(d.updated_at),
                                 "answers": json.loads(d.answers_json or "{}")}
                                for d in drafts],
    }
    audit.record_now(session, "contact.exported", contact.code)
    return data
