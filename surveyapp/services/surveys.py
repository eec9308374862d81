"""Taking a survey: record one invitation's answers, exactly once."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Invitation, Response
from . import invitations, responses
from .instruments import questionnaire_of


def submit(session: Session, invitation: Invitation, answers: Mapping[str, object],
           lang: str) -> Response:
    """Store the answers and mark the invitation answered, in one transaction.

    Raises :class:`invitations.AlreadyAnswered` (and stores nothing) when the invitation
    already has its response, including when two submissions race.
    """
    if invitation.responded_at is not None:
        raise invitations.AlreadyAnswered()
    campaign = invitation.campaign
    response = responses.add_response(
        session, campaign, answers, questionnaire_of(campaign), contact=invitation.contact,
        invitation_id=invitation.id, lang=lang)
    invitations.mark_answered(invitation)
    try:
        session.commit()
    except IntegrityError as exc:  # the unique invitation_id: another request won the race
        session.rollback()
        raise invitations.AlreadyAnswered() from exc
    return response
