"""Personal survey links: an unguessable token per invitation that the database cannot reveal.

A token is ``salt + HMAC(SECRET_KEY, salt)``: a random per-invitation salt and a keyed
MAC of it. The invitation stores the salt and a hash of the token
(``token_hash = salt + "$" + sha256(token)[:48]``), so

- the link is found by one indexed equality lookup (the salt is read off the token);
- the app, which holds ``SECRET_KEY``, can print the same link again (links CSV, QR codes,
  reminders) from the salt;
- a leaked database alone reveals no link: the MAC needs the key.

Invitations made before this scheme (or with no key at hand) hold a plain SHA-256 of a
random token; they keep working, but their link cannot be printed again, only reissued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Contact, Invitation

TOKEN_BYTES = 32  # 256 bits, the plain random tokens of the first scheme
SALT_BYTES = 11  # 88 random bits per invitation → 15 URL-safe characters
SALT_LENGTH = 15
MAC_LENGTH = 43  # an HMAC-SHA256 in unpadded URL-safe base64
DERIVED_LENGTH = SALT_LENGTH + MAC_LENGTH
HASH_CHARS = 48  # 192 bits of SHA-256 beside the salt: the column holds 64 characters
SEPARATOR = "$"  # never in a hex digest, so the two schemes cannot be mistaken
LINK_PURPOSE = b"surveyapp survey link v1\x00"


class AlreadyAnswered(Exception):
    """The invitation's response was already received."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _mac(secret_key: str, salt: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), LINK_PURPOSE + salt.encode("ascii"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _stored_hash(token: str) -> str:
    """What the invitations table holds for a derived token."""
    return token[:SALT_LENGTH] + SEPARATOR + hash_token(token)[:HASH_CHARS]


def new_token(secret_key: str | None = None) -> tuple[str, str]:
    """A fresh token and what to store for it: derived from the key when one is given
    (recoverable), else random (printable only now)."""
    if secret_key is None:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        return token, hash_token(token)
    salt = secrets.token_urlsafe(SALT_BYTES)
    token = salt + _mac(secret_key, salt)
    return token, _stored_hash(token)


def _default_key(secret_key: str | None) -> str | None:
    if secret_key is not None:
        return secret_key
    return current_app.config["SECRET_KEY"] if has_app_context() else None


def invite(session: Session, campaign: Campaign, contact: Contact,
           secret_key: str | None = None) -> tuple[Invitation, str]:
    """Add (not commit) an invitation; returns it with its token.

    The token is derived from ``secret_key`` (default: the app's), so the link can be
    printed again later; with no key and no app, it is random and shown only now.
    """
    token, digest = new_token(_default_key(secret_key))
    invitation = Invitation(campaign=campaign, contact=contact, token_hash=digest)
    session.add(invitation)
    return invitation, token


def reissue(invitation: Invitation, secret_key: str | None = None) -> str:
    """Replace the invitation's token (the old link stops working); returns the new one."""
    token, digest = new_token(_default_key(secret_key))
    invitation.token_hash = digest
    return token


def recover_token(invitation: Invitation, secret_key: str) -> str | None:
    """The invitation's token again, or None when it cannot be recovered (an invitation of
    the first scheme, or one made under another ``SECRET_KEY``: reissue it)."""
    return token_from_stored(invitation.token_hash, secret_key)


def token_from_stored(stored: str, secret_key: str) -> str | None:
    """:func:`recover_token` from the stored ``token_hash`` alone."""
    if len(stored) != SALT_LENGTH + 1 + HASH_CHARS or stored[SALT_LENGTH] != SEPARATOR:
        return None
    salt = stored[:SALT_LENGTH]
    token = salt + _mac(secret_key, salt)
    return token if hmac.compare_digest(_stored_hash(token), stored) else None


def find(session: Session, token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    stored = _stored_hash(token) if len(token) == DERIVED_LENGTH else hash_token(token)
    return session.scalar(select(Invitation).where(Invitation.token_hash == stored))


def mark_answered(invitation: Invitation) -> None:
    invitation.responded_at = datetime.now(UTC)
