"""Survey waves: create one (questionnaire, who is invited, dates, named or anonymous), list
them with their state.

A wave is a customer :class:`Campaign` with one :class:`Invitation` per chosen contact.
Choosing the contacts, checking the instruments and adding every row happen in one
transaction: any bad input raises :class:`WaveError` and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from analysis import InstrumentError
from analysis.rollup import DEFAULT_ROLE_WEIGHTS, normalize_roles

from ..labels import CUSTOMER_TYPES
from ..models import Account, Campaign, Contact, Invitation, Message, User
from . import audit, invitations, scoring, surveys
from .instruments import new_campaign

NAME_MAX = 200
WAVE_LABEL_MAX = 40  # Campaign.wave

# the states a wave goes through, in order
NOT_SENT, SCHEDULED, OPEN, CLOSED = "not_sent", "scheduled", "open", "closed"


class WaveError(ValueError):
    """A wave that cannot be created or changed as asked; nothing was stored."""


@dataclass(frozen=True)
class Selection:
    """Which contacts a wave invites. Every given filter must hold (AND); none given means
    every active contact."""

    accounts: tuple[str, ...] = ()  # account codes
    customer_type: str | None = None
    owner: str | None = None  # the account owner's email
    role: str | None = None  # a buying-centre role (any of its names)
    contacts: tuple[str, ...] = ()  # contact codes

    def as_json(self) -> str:
        return json.dumps({k: list(v) if isinstance(v, tuple) else v
                           for k, v in asdict(self).items() if v}, ensure_ascii=False)

    @property
    def empty(self) -> bool:
        return not any(asdict(self).values())


@dataclass(frozen=True)
class WaveRequest:
    """Everything a new wave needs, as the manager gave it."""

    name: str
    instrument_ids: Sequence[str]
    selection: Selection = field(default_factory=Selection)
    opens_on: date | None = None
    closes_on: date | None = None
    anonymous: bool = False


def canonical_role(role: str) -> str:
    """A buying-centre role from any of its names (English or Chinese), or WaveError."""
    found = str(normalize_roles(pd.Series([role]))[0])
    if found not in DEFAULT_ROLE_WEIGHTS:
        raise WaveError(f"unknown role '{role}' (roles: {', '.join(DEFAULT_ROLE_WEIGHTS)})")
    return found


def _check_codes(session: Session, column, codes: Sequence[str],  # type: ignore[no-untyped-def]
                 what: str) -> None:
    """A WaveError naming every code that is not in the database."""
    unknown = set(codes) - set(session.scalars(select(column).where(column.in_(codes))))
    if unknown:
        raise WaveError(f"unknown {what} code(s): " + ", ".join(sorted(unknown)))


def _chosen_contacts(session: Session, selection: Selection,
                     visible: frozenset[str] | None = None) -> list[Contact]:
    """The active, not erased contacts the selection names, of the accounts ``visible``
    names (None = every account); each filter checked first so a mistyped code is an
    error, not an empty wave."""
    query = (select(Contact).join(Account, Contact.account_id == Account.id)
             .where(Contact.active.is_(True), Contact.erased_at.is_(None)))
    if visible is not None:  # a manager's wave reaches only their own accounts
        query = query.where(Account.code.in_(sorted(visible)))
        hidden = set(selection.accounts) - visible
        if hidden:
            raise WaveError("unknown account code(s): " + ", ".join(sorted(hidden)))
    if selection.accounts:
        _check_codes(session, Account.code, selection.accounts, "account")
        query = query.where(Account.code.in_(selection.accounts))
    if selection.contacts:
        _check_codes(session, Contact.code, selection.contacts, "contact")
        query = query.where(Contact.code.in_(selection.contacts))
    if selection.customer_type:
        if selection.customer_type not in CUSTOMER_TYPES:
            raise WaveError(f"unknown customer type '{selection.customer_type}' "
                            f"(types: {', '.join(CUSTOMER_TYPES)})")
        query = query.where(Account.customer_type == selection.customer_type)
    if selection.owner:
        owner = selection.owner.strip().lower()
        owner_ids = select(User.id).where(func.lower(User.email) == owner)
        query = query.where(or_(func.lower(Account.owner) == owner,
                                Account.owner_id.in_(owner_ids)))
    if selection.role:
        query = query.where(Contact.role == canonical_role(selection.role))
    return list(session.scalars(query.order_by(Account.code, Contact.code)))


def create_wave(session: Session, request: WaveRequest, secret_key: str,
                instruments_dir: str | Path,
                visible: frozenset[str] | None = None) -> tuple[Campaign, int]:
    """Create the wave and its invitations, commit, and return it with the number invited.

    Raises :class:`WaveError` (nothing stored) for an empty name, an unknown or clashing
    instrument, a close date before the open date, an unknown filter value, or a selection
    that matches nobody.
    """
    name = request.name.strip()
    if not name:
        raise WaveError("a wave needs a name")
    if len(name) > NAME_MAX:
        raise WaveError(f"a wave's name has at most {NAME_MAX} characters")
    if not request.instrument_ids:
        raise WaveError("a wave asks at least one instrument")
    if request.opens_on and request.closes_on and request.closes_on < request.opens_on:
        raise WaveError(f"the wave closes ({request.closes_on}) before it opens "
                        f"({request.opens_on})")
    try:
        contacts = _chosen_contacts(session, request.selection, visible)
        if not contacts:
            raise WaveError("no active contact matches this selection")
        # the wave label the response files carry (column "wave"): the name, as far as fits
        campaign = new_campaign(session, name, list(request.instrument_ids),
                                wave=name[:WAVE_LABEL_MAX], instruments_dir=instruments_dir)
    except InstrumentError as exc:
        session.rollback()
        raise WaveError(str(exc)) from exc
    except WaveError:
        session.rollback()
        raise
    campaign.opens_on = request.opens_on
    campaign.closes_on = request.closes_on
    campaign.anonymous = request.anonymous
    campaign.selection_json = request.selection.as_json()
    for contact in contacts:
        invitations.invite(session, campaign, contact, secret_key)
    session.flush()
    audit.record(session, "wave.created", f"campaign {campaign.id}",
                 {"name": name, "invited": len(contacts)})
    session.commit()
    scoring.request_recompute(session, [campaign.id])
    return campaign, len(contacts)


def wave_today() -> date:
    """The day the waves' open and close dates refer to (``SURVEY_TIMEZONE``)."""
    return surveys.today_in(current_app.config.get("SURVEY_TIMEZONE") or "UTC")


def wave_state(campaign: Campaign, today: date, reached: bool) -> str:
    """closed after the close date, scheduled before the open date, else open once anyone
    was reached (an email sent, a link opened), else not sent."""
    if campaign.closes_on is not None and today > campaign.closes_on:
        return CLOSED
    if campaign.opens_on is not None and today < campaign.opens_on:
        return SCHEDULED
    return OPEN if reached else NOT_SENT


def accepts_answers(campaign: Campaign, today: date) -> bool:
    """Whether the wave's links take answers today (the dates are inclusive)."""
    return ((campaign.opens_on is None or campaign.opens_on <= today)
            and (campaign.closes_on is None or today <= campaign.closes_on))


def reached_waves(session: Session, campaign_ids: Sequence[int]) -> set[int]:
    """The waves of which at least one invitation was emailed, opened or answered."""
    if not campaign_ids:
        return set()
    return set(session.scalars(
        select(Invitation.campaign_id).where(
            Invitation.campaign_id.in_(campaign_ids),
            or_(Invitation.sent_at.is_not(None), Invitation.opened_at.is_not(None),
                Invitation.responded_at.is_not(None))).distinct()))


def account_owners(session: Session) -> list[str]:
    """The owners the accounts name, for choosing a wave by owner."""
    return sorted({o for o in session.scalars(select(Account.owner).distinct()) if o})


def customer_waves(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.audience == "customer")
                                .order_by(Campaign.id.desc())))


def find_wave(session: Session, wave_id: int) -> Campaign | None:
    campaign = session.get(Campaign, wave_id)
    return campaign if campaign is not None and campaign.audience == "customer" else None


def selection_of(campaign: Campaign) -> dict[str, object]:
    return json.loads(campaign.selection_json) if campaign.selection_json else {}


@dataclass
class MessageTally:
    """The emails of one kind and round: sent, failed (to be retried), waiting (queued or
    being sent)."""

    kind: str
    round: int
    sent: int = 0
    failed: int = 0
    waiting: int = 0


def message_tallies(session: Session, campaign: Campaign) -> list[MessageTally]:
    """The wave's emails by kind and round: the invitations first, then each reminder round."""
    rows = session.execute(
        select(Message.kind, Message.round, Message.status, func.count())
        .join(Invitation, Message.invitation_id == Invitation.id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Message.kind, Message.round, Message.status))
    tallies: dict[tuple[str, int], MessageTally] = {}
    for kind, rnd, status, n in rows:
        tally = tallies.setdefault((kind, rnd), MessageTally(kind, rnd))
        if status == "sent":
            tally.sent += n
        elif status == "failed":
            tally.failed += n
        else:
            tally.waiting += n
    return sorted(tallies.values(), key=lambda t: (t.kind != "invitation", t.round))
