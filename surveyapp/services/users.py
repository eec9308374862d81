"""Manager accounts: creation and password checks (hashed with werkzeug's scrypt).

An account owner named in an imported accounts file becomes a user without a password
(:func:`owner_for_email`): accounts can be linked to them, and so scoped, before they
ever log in, but no password opens that record until one is set — by ``surveyapp
create-user EMAIL``, which takes over the record instead of refusing a taken email.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User

MIN_PASSWORD_LENGTH = 8
# stored instead of a hash: no password matches it (werkzeug hashes start "scrypt:"…)
NO_PASSWORD = "!"


class UserError(ValueError):
    pass


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254:
        raise UserError(f"'{email}' is not an email address")
    return email


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(password)


def has_password(user: User) -> bool:
    """Whether the user can log in (an imported account owner cannot until a password is set)."""
    return bool(user.password_hash) and user.password_hash != NO_PASSWORD


def create_user(session: Session, email: str, password: str, name: str | None = None) -> User:
    """Create a manager (committed), or give an account owner brought in by an import (a
    user without a password) their password. Raises UserError for an email taken by a user
    who has a password, or a weak password."""
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and has_password(user):
        raise UserError(f"a user with the email {email} already exists")
    if user is None:
        user = User(email=email, name=name)
        session.add(user)
    elif name:
        user.name = name
    set_password(user, password)
    session.commit()
    return user


def owner_for_email(session: Session, email: str) -> tuple[User, bool]:
    """The user with this email, added without a password (not committed) when there is
    none; returns the user and whether it was added."""
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, password_hash=NO_PASSWORD)
    session.add(user)
    return user, True


def authenticate(session: Session, email: str, password: str) -> User | None:
    try:
        email = normalize_email(email)
    except UserError:
        return None
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not has_password(user) or not check_password_hash(user.password_hash,
                                                                          password):
        return None
    return user


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
