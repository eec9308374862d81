"""Finding survey waves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Response


def latest_campaign(session: Session, audience: str = "customer") -> Campaign | None:
    """The newest campaign answered by ``audience`` ("customer" or "manager")."""
    return session.scalar(select(Campaign).where(Campaign.audience == audience)
                          .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(1))


def reported_campaign(session: Session) -> Campaign | None:
    """The customer wave pages and exports show when none is asked for: the newest that has
    answers, so a wave just created (not yet sent or answered) does not blank the figures;
    the newest wave when none has answers yet."""
    answered = session.scalar(
        select(Campaign).where(Campaign.audience == "customer",
                               select(Response.id).where(Response.campaign_id == Campaign.id)
                               .exists())
        .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(1))
    return answered if answered is not None else latest_campaign(session)


def customer_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.audience == "customer")
                                .order_by(Campaign.id.desc())))
