"""Users on the command line: create one with a role, list, change role, deactivate,
reactivate, set a new password."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from ..db import get_session
from ..services import access, users

ROLE_NAMES = {access.ADMIN: "administrator", access.MANAGER: "manager",
              access.LEADERSHIP: "leadership"}


def _role_option(**kwargs: Any):  # type: ignore[no-untyped-def]
    return click.option("--role", type=click.Choice(access.ROLES), **kwargs)


def _user(email: str):  # type: ignore[no-untyped-def]
    user = users.find(get_session(), email)
    if user is None:
        raise click.ClickException(f"there is no user {email}")
    return user


@click.command("create-user")
@click.argument("email")
@_role_option(default=None, help="admin, manager or leadership. Left out: admin while "
              "there is no administrator who can log in (a new installation), else manager.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when left out.")
@click.option("--name", default=None, help="Display name.")
@with_appcontext
def create_user_command(email: str, role: str | None, password: str,
                        name: str | None) -> None:
    """Create a user who can log in (or set the password of an imported account owner)."""
    session = get_session()
    if role is None:  # the least a new installation needs, and no more
        has_admin = any(u.role == access.ADMIN and u.active and users.has_password(u)
                        for u in users.list_users(session))
        role = access.MANAGER if has_admin else access.ADMIN
    try:
        user = users.create_user(session, email, password, name, role)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {ROLE_NAMES[user.role]} {user.email}")


@click.group("user")
def user_group() -> None:
    """List and change users."""


@user_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every user: email, role, status, last login."""
    for user in users.list_users(get_session()):
        status = ("deactivated" if not user.active else
                  "no password" if not users.has_password(user) else "active")
        last = f"{user.last_login_at:%Y-%m-%d %H:%M} UTC" if user.last_login_at else "never"
        click.echo(f"{user.email}\t{user.role}\t{status}\tlast login {last}")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(access.ROLES))
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    """Give a user another role."""
    _change(email, role=role)


@user_group.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate_command(email: str) -> None:
    """Stop a user from logging in; their sessions end at once."""
    _change(email, active=False)


@user_group.command("activate")
@click.argument("email")
@with_appcontext
def activate_command(email: str) -> None:
    """Let a deactivated user log in again."""
    _change(email, active=True)


def _change(email: str, **change: object) -> None:
    user = _user(email)
    try:
        changes = users.update_user(get_session(), user, actor=None, **change)  # type: ignore[arg-type]
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{user.email}: " + (", ".join(f"{k} {v}" for k, v in changes.items())
                                     if changes else "nothing to change"))


@user_group.command("reset-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when left out.")
@with_appcontext
def reset_password_command(email: str, password: str) -> None:
    """Set a user's password; every session of theirs ends."""
    user = _user(email)
    try:
        users.reset_password(get_session(), user, password, actor=None)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"New password set for {user.email}; their sessions are ended.")


COMMANDS = (create_user_command, user_group)
