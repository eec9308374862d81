"""Manager accounts: creation and password checks (hashed with werkzeug's scrypt).

An account owner named in an imported accounts file becomes a user without a password
(:func:`owner_for_email`): accounts can be linked to them, and so scoped, before they
ever log in, but no password opens that record until one is set — by ``surveyapp
create-user EMAIL``, which takes over the record instead of refusing a taken email.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User, utcnow
from . import audit
from .access import ADMIN, MANAGER, ROLES

MIN_PASSWORD_LENGTH = 8
# stored instead of a hash: no password matches it (werkzeug hashes start "scrypt:"…)
NO_PASSWORD = "!"


class UserError(ValueError):
    pass


class InvalidEmail(UserError):
    """Not an email address."""


class EmailTaken(UserError):
    """Another user who can log in has this email."""


class WrongPassword(UserError):
    """The current password given is not the user's."""


class SamePassword(UserError):
    """The new password is the current one."""


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254 \
            or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7f for ch in email):
        raise InvalidEmail(f"'{email}' is not an email address")
    return email


MAX_PASSWORD_LENGTH = 1024  # hashing a longer one costs time and protects nothing more


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def set_password(user: User, password: str) -> None:
    """Set a new password (not committed); every session of the user ends."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = utcnow()
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every session cookie issued to the user so far stops working (not committed)."""
    user.session_version = (user.session_version or 0) + 1


def has_password(user: User) -> bool:
    """Whether the user can log in (an imported account owner cannot until a password is set)."""
    return bool(user.password_hash) and user.password_hash != NO_PASSWORD


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role '{role}': use one of {', '.join(ROLES)}")
    return role


def create_user(session: Session, email: str, password: str, name: str | None = None,
                role: str = ADMIN, *, actor: object = audit.FROM_REQUEST) -> User:
    """Create a user who can log in (committed), or give an account owner brought in by an
    import (a user without a password) their password and role. Raises UserError for an
    email taken by a user who has a password, an unknown role or a weak password.

    The role defaults to administrator, as the first user of a new installation must be
    one (and users from before roles were administrators too).
    """
    email = normalize_email(email)
    check_role(role)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and has_password(user):
        raise EmailTaken(f"a user with the email {email} already exists")
    if user is None:
        user = User(email=email, name=name)
        session.add(user)
    elif name:
        user.name = name
    user.role = role
    user.active = True
    set_password(user, password)
    session.flush()
    audit.record(session, "user.created", email, {"role": role}, actor=actor)
    session.commit()
    return user


def owner_for_email(session: Session, email: str) -> tuple[User, bool]:
    """The user with this email, added without a password (not committed) when there is
    none; returns the user and whether it was added."""
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, password_hash=NO_PASSWORD, role=MANAGER)
    session.add(user)
    return user, True


@cache
def _dummy_hash() -> str:
    """A hash no password is known for, made as real ones are (same method and cost)."""
    return generate_password_hash("no user has this password: " + str(id(_dummy_hash)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    Costs the same whether or not the email belongs to a user: without a user (or a
    password, or when deactivated) the password is checked against a dummy hash, so the
    time taken does not tell which emails exist.
    """
    try:
        email = normalize_email(email)
    except UserError:
        email = ""
    user = session.scalar(select(User).where(User.email == email)) if email else None
    usable = user is not None and has_password(user) and user.active \
        and len(password) <= MAX_PASSWORD_LENGTH
    stored = user.password_hash if usable and user is not None else _dummy_hash()
    matches = check_password_hash(stored, password[:MAX_PASSWORD_LENGTH])
    return user if usable and matches else None


def record_login(session: Session, email: str, user: User | None, address: str | None,
                 reason: str | None = None) -> None:
    """Log a login attempt (committed); a success also stamps the user's last login."""
    if user is not None:
        user.last_login_at = utcnow()
        audit.record(session, "login", user.email, actor=user, address=address)
    else:
        # as typed, but printable only (a NUL cannot be stored in PostgreSQL text)
        email = "".join(ch for ch in email if ch.isprintable())
        audit.record(session, "login.failed", email[:200] or None,
                     {"reason": reason} if reason else None, actor=None,
                     email=email[:254] or None, address=address)
    session.commit()


def load_session_user(session: Session, login: str) -> User | None:
    """The user a session cookie names (``"<id>.<session version>"``), if that login is
    still valid: the user exists, is active, has a password, and has not ended their
    sessions since (logout, password change, deactivation)."""
    user_id, dot, version = login.partition(".")
    if not (dot and user_id.isdigit() and version.isdigit()) or len(login) > 40:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or not has_password(user) \
            or user.session_version != int(version):
        return None
    return user


def logout(session: Session, user: User) -> None:
    """End every session of the user (committed)."""
    end_sessions(user)
    audit.record(session, "logout", user.email, actor=user)
    session.commit()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user changes their own password (committed); their other sessions end."""
    if not has_password(user) or not check_password_hash(user.password_hash,
                                                         current[:MAX_PASSWORD_LENGTH]):
        raise WrongPassword("the current password is wrong")
    if current == new:
        raise SamePassword("the new password must differ from the current one")
    set_password(user, new)
    audit.record(session, "password.changed", user.email, actor=user)
    session.commit()


def ensure_login(session: Session, email: str, role: str, name: str | None = None) -> tuple[
        User, str]:
    """A user with this email and role and a fresh random password (not committed), for
    the demo: created, or taken over with a new password. Returns the user and password."""
    import secrets

    email = normalize_email(email)
    check_role(role)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name)
        session.add(user)
    user.role, user.active = role, True
    if name:
        user.name = name
    password = secrets.token_urlsafe(9)
    set_password(user, password)
    return user, password


def list_users(session: Session) -> list[User]:
    """Users who can log in or could (owners from imports included), by email."""
    return list(session.scalars(select(User).order_by(User.email)))


def find(session: Session, email: str) -> User | None:
    try:
        email = normalize_email(email)
    except UserError:
        return None
    return session.scalar(select(User).where(User.email == email))


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(
        User.role == ADMIN, User.active.is_(True), User.password_hash != NO_PASSWORD)) or 0


def _keeps_an_admin(session: Session, user: User, role: str, active: bool) -> bool:
    """Whether the change leaves an active administrator who can log in."""
    was_admin = user.role == ADMIN and user.active and has_password(user)
    stays_admin = role == ADMIN and active
    return not was_admin or stays_admin or _active_admins(session) > 1


def update_user(session: Session, user: User, *, role: str | None = None,
                active: bool | None = None, name: str | None = None,
                actor: object = audit.FROM_REQUEST) -> dict[str, object]:
    """An administrator changes a user's role, status or name (committed). Deactivating
    ends the user's sessions; the last active administrator cannot be demoted or
    deactivated. Returns what changed."""
    new_role = check_role(role) if role is not None else user.role
    new_active = user.active if active is None else active
    if not _keeps_an_admin(session, user, new_role, new_active):
        raise UserError("this is the last active administrator: make another user "
                        "administrator first")
    changes: dict[str, object] = {}
    if new_role != user.role:
        changes["role"] = new_role
        user.role = new_role
    if new_active != user.active:
        changes["active"] = new_active
        user.active = new_active
        if not new_active:
            end_sessions(user)
    if name is not None and (name.strip() or None) != user.name:
        changes["name"] = name.strip() or None
        user.name = name.strip() or None
    if changes:
        audit.record(session, "user.changed", user.email, changes, actor=actor)
        session.commit()
    return changes


def reset_password(session: Session, user: User, password: str,
                   actor: object = audit.FROM_REQUEST) -> None:
    """An administrator sets a user's password (committed); the user's sessions end."""
    set_password(user, password)
    audit.record(session, "user.password_reset", user.email, actor=actor)
    session.commit()


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
