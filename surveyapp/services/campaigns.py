"""Finding survey waves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign


def latest_campaign(session: Session, audience: str = "customer") -> Campaign | None:
    """The newest campaign answered by ``audience`` ("customer" or "manager")."""
    return session.scalar(select(Campaign).where(Campaign.audience == audience)
                          .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(1))


def customer_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.audience == "customer")
                                .order_by(Campaign.id.desc())))
