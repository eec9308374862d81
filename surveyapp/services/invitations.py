"""Personal survey links: an unguessable token per invitation, of which only a hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Contact, Invitation

TOKEN_BYTES = 32  # 256 bits


class AlreadyAnswered(Exception):
    """The invitation's response was already received."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def invite(session: Session, campaign: Campaign, contact: Contact) -> tuple[Invitation, str]:
    """Add (not commit) an invitation; returns it with the only copy of its token."""
    token, digest = new_token()
    invitation = Invitation(campaign=campaign, contact=contact, token_hash=digest)
    session.add(invitation)
    return invitation, token


def reissue(invitation: Invitation) -> str:
    """Replace the invitation's token (the old link stops working); returns the new one."""
    token, digest = new_token()
    invitation.token_hash = digest
    return token


def find(session: Session, token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def mark_answered(invitation: Invitation) -> None:
    invitation.responded_at = datetime.now(UTC)
