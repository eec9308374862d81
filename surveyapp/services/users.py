"""Manager accounts: creation and password checks (hashed with werkzeug's scrypt)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User

MIN_PASSWORD_LENGTH = 8


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


def create_user(session: Session, email: str, password: str, name: str | None = None) -> User:
    """Create a manager (committed). Raises UserError for a taken email or a weak password."""
    email = normalize_email(email)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise UserError(f"a user with the email {email} already exists")
    user = User(email=email, name=name)
    set_password(user, password)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    try:
        email = normalize_email(email)
    except UserError:
        return None
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
