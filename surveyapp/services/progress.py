"""How far a wave has got: invited, opened, partly answered, submitted — overall, per
account, and weighted by revenue ("what share of our revenue has spoken").

Counts only, never who: an anonymous wave's progress ties no answer to a person.

- *opened*: the link was visited (``opened_at``), answering started or the survey was
  submitted (each implies a visit);
- *partly answered*: answering started (``started_at`` or a saved draft), not submitted;
- *submitted*: ``responded_at``;
- *revenue spoken*: revenue of the invited accounts with at least one submitted response ÷
  revenue of all invited accounts; accounts without a revenue figure are left out of both
  and counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, func, select, true
from sqlalchemy.orm import Session

from ..models import Account, Campaign, Contact, Draft, Invitation, Message


@dataclass
class Funnel:
    invited: int = 0
    emailed: int = 0
    opened: int = 0
    partly: int = 0
    submitted: int = 0

    def add(self, other: Funnel) -> None:
        for name in ("invited", "emailed", "opened", "partly", "submitted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response_rate(self) -> float | None:
        return self.submitted / self.invited if self.invited else None


@dataclass
class AccountProgress:
    code: str
    name: str
    revenue: float | None
    funnel: Funnel


@dataclass
class WaveProgress:
    total: Funnel
    accounts: list[AccountProgress] = field(default_factory=list)
    revenue_invited: float = 0.0
    revenue_spoken: float = 0.0
    accounts_without_revenue: int = 0

    @property
    def accounts_spoken(self) -> int:
        return sum(1 for a in self.accounts if a.funnel.submitted)

    @property
    def revenue_share(self) -> float | None:
        return self.revenue_spoken / self.revenue_invited if self.revenue_invited > 0 else None


def _flag(condition) -> object:  # type: ignore[no-untyped-def]
    return func.sum(case((condition, 1), else_=0), type_=Integer)


def wave_progress(session: Session, campaign: Campaign,
                  visible: frozenset[str] | None = None) -> WaveProgress:
    """The wave's funnel by account; only of the accounts ``visible`` names (None = all)."""
    has_draft = select(Draft.invitation_id).where(
        Draft.invitation_id == Invitation.id).exists()
    started = Invitation.started_at.is_not(None) | has_draft
    submitted = Invitation.responded_at.is_not(None)
    query = (select(  # type: ignore[call-overload]  # more columns than select's overloads
                    Account.code, Account.name, Account.revenue, func.count(Invitation.id),
                    _flag(Invitation.sent_at.is_not(None)),
                    _flag(Invitation.opened_at.is_not(None) | started | submitted),
                    _flag(started & ~submitted), _flag(submitted))
             .select_from(Invitation)
             .join(Contact, Invitation.contact_id == Contact.id)
             .join(Account, Contact.account_id == Account.id)
             .where(Invitation.campaign_id == campaign.id,
                    Account.code.in_(sorted(visible)) if visible is not None else true())
             .group_by(Account.id, Account.code, Account.name, Account.revenue)
             .order_by(Account.code))
    progress = WaveProgress(Funnel())
    for code, name, revenue, invited, emailed, opened, partly, done in session.execute(query):
        funnel = Funnel(invited, emailed or 0, opened or 0, partly or 0, done or 0)
        progress.total.add(funnel)
        progress.accounts.append(AccountProgress(code, name, revenue, funnel))
        if revenue is None:
            progress.accounts_without_revenue += 1
            continue
        progress.revenue_invited += revenue
        if funnel.submitted:
            progress.revenue_spoken += revenue
    return progress


def submitted_counts(session: Session, campaign_ids: Iterable[int]) -> dict[int, Funnel]:
    """Invited and submitted per wave, for the wave list."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Invitation.campaign_id, func.count(Invitation.id),  # type: ignore[call-overload]
               _flag(Invitation.responded_at.is_not(None)))
        .where(Invitation.campaign_id.in_(ids)).group_by(Invitation.campaign_id))
    return {cid: Funnel(invited=n, submitted=done or 0) for cid, n, done in rows}


@dataclass(frozen=True)
class ContactStatus:
    code: str
    name: str
    role: str | None
    reachable: bool  # active and not erased
    has_email: bool
    emailed: bool
    email_error: str | None  # the last failure of an email not (yet) sent
    reminders: int
    opened: bool
    partly: bool
    submitted: bool


def contact_statuses(session: Session, campaign: Campaign,
                     account_code: str) -> list[ContactStatus]:
    """Where each invited contact of one account stands, for following up in a *named*
    wave. Callers must not show it for an anonymous wave."""
    if campaign.anonymous:
        raise ValueError("an anonymous wave shows no one's progress")
    invitations = session.execute(
        select(Invitation, Contact).join(Contact, Invitation.contact_id == Contact.id)
        .join(Account, Contact.account_id == Account.id)
        .where(Invitation.campaign_id == campaign.id, Account.code == account_code)
        .order_by(Contact.code)).all()
    ids = [i.id for i, _c in invitations]
    drafts = set(session.scalars(select(Draft.invitation_id).where(
        Draft.invitation_id.in_(ids)))) if ids else set()
    messages: dict[int, list[Message]] = {}
    if ids:
        for message in session.scalars(select(Message).where(
                Message.invitation_id.in_(ids)).order_by(Message.id)):
            messages.setdefault(message.invitation_id, []).append(message)
    rows = []
    for invitation, contact in invitations:
        own = messages.get(invitation.id, [])
        failed = [m.error for m in own if m.status == "failed" and m.error]
        submitted = invitation.responded_at is not None
        started = invitation.started_at is not None or invitation.id in drafts
        rows.append(ContactStatus(
            code=contact.code, name=contact.name, role=contact.role,
            reachable=contact.active and contact.erased_at is None,
            has_email=bool((contact.email or "").strip()),
            emailed=invitation.sent_at is not None, email_error=failed[-1] if failed else None,
            reminders=sum(1 for m in own if m.kind == "reminder" and m.status == "sent"),
            opened=invitation.opened_at is not None or started or submitted,
            partly=started and not submitted, submitted=submitted))
    return rows
