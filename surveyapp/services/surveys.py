"""Taking a survey: whether a link may answer today, and record its answers exactly once."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis import Questionnaire

from ..models import Campaign, CampaignInstrument, InstrumentVersion, Invitation, Response
from . import drafts, invitations, responses
from .instruments import questionnaire_of

NOT_OPEN = "not_open"
CLOSED = "closed"
INACTIVE = "inactive"


def today_in(timezone: str) -> date:
    """The calendar day now where the wave's dates are meant (e.g. ``Asia/Shanghai``)."""
    return datetime.now(ZoneInfo(timezone)).date()


def unavailable(invitation: Invitation, today: date) -> str | None:
    """Why this link may not answer today (:data:`NOT_OPEN`, :data:`CLOSED`,
    :data:`INACTIVE`), or None. The open and close dates are inclusive."""
    contact = invitation.contact
    if not contact.active or contact.erased_at is not None:
        return INACTIVE
    campaign = invitation.campaign
    if campaign.opens_on is not None and today < campaign.opens_on:
        return NOT_OPEN
    if campaign.closes_on is not None and today > campaign.closes_on:
        return CLOSED
    return None


KEY_CACHE_SIZE = 1024
_keys: dict[tuple[str, int, object], tuple[str, ...]] = {}


def questionnaire_key(session: Session, campaign: Campaign) -> tuple[str, ...]:
    """The digests of the campaign's instrument versions, in order: what identifies its
    questionnaire (read without loading the instrument texts).

    A campaign's instruments never change once it exists, so the key is kept per database,
    campaign and creation time (a database rebuilt under the same address has new
    campaigns) and read once per process."""
    where = (str(session.get_bind().engine.url), campaign.id, campaign.created_at)
    key = _keys.get(where)
    if key is None:
        if len(_keys) >= KEY_CACHE_SIZE:
            _keys.clear()
        key = _keys[where] = _read_key(session, campaign)
    return key


def _read_key(session: Session, campaign: Campaign) -> tuple[str, ...]:
    return tuple(session.scalars(
        select(InstrumentVersion.sha256)
        .join(CampaignInstrument,
              CampaignInstrument.instrument_version_id == InstrumentVersion.id)
        .where(CampaignInstrument.campaign_id == campaign.id)
        .order_by(CampaignInstrument.position)))


def submit(session: Session, invitation: Invitation, answers: Mapping[str, object],
           lang: str, questionnaire: Questionnaire | None = None) -> Response:
    """Store the answers, mark the invitation answered and drop its draft, in one
    transaction.

    Raises :class:`invitations.AlreadyAnswered` (and stores nothing) when the invitation
    already has its response, including when two submissions race;
    ``questionnaire`` is the campaign's (read from it when not given);
    :class:`drafts.StorageBusy` (nothing stored, the draft kept) when the database stays
    locked through every retry.
    """
    campaign = invitation.campaign
    asked = questionnaire or questionnaire_of(campaign)  # the caller's, when it has it

    def store() -> Response:
        if invitation.responded_at is not None:
            raise invitations.AlreadyAnswered()
        try:
            response = responses.add_response(
                session, campaign, answers, asked, contact=invitation.contact,
                invitation_id=invitation.id, lang=lang)
            invitations.mark_answered(invitation)
            drafts.discard(session, invitation.id)  # flushes the response: may meet a race
            session.commit()
        except IntegrityError as exc:  # the unique invitation_id: another request won
            session.rollback()
            raise invitations.AlreadyAnswered() from exc
        return response

    response = drafts.retry_when_busy(session, store)
    from . import scoring  # the figures follow in the background, never in this request

    scoring.request_recompute(session, [campaign.id])
    from . import alerts  # a detractor or a large gap alerts the owner, in the background

    alerts.alert_job(response.id)
    return response


def not_applicable_counts(session: Session, campaign: Campaign) -> dict[str, int]:
    """How many responses marked each answer "not applicable" (answers left blank are not
    counted here: both are missing values, but only these were a choice)."""
    counts: Counter[str] = Counter()
    for text in session.scalars(select(Response.not_applicable_json).where(
            Response.campaign_id == campaign.id, Response.not_applicable_json.is_not(None))):
        counts.update(json.loads(text or "[]"))
    return dict(counts)
