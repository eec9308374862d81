"""The ``surveyapp`` command: Flask's CLI group with the app's own commands."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .db import create_all, get_session
from .services import demo, exports, scorecards, users


def _base_url() -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    host = os.environ.get("HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('PORT', '5000')}"


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables (keeps existing data)."""
    create_all()
    click.echo(f"Database ready: {current_app.config['DATABASE_URL']}")


@click.command("create-user")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when left out.")
@click.option("--name", default=None, help="Display name.")
@with_appcontext
def create_user_command(email: str, password: str, name: str | None) -> None:
    """Create a manager who can log in."""
    try:
        user = users.create_user(get_session(), email, password, name)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created manager {user.email}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed a demo portfolio when the database is empty; print a login and survey links."""
    create_all()
    login = demo.ensure_demo(get_session(), _base_url())
    if login.created:
        click.echo("Seeded the demo portfolio.")
    click.echo(f"Manager login: {login.email} / {login.password}")
    for link in login.links:
        click.echo(f"Survey link: {link}")


@click.command("export")
@click.option("--xlsx", "xlsx_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the workbook.")
@click.option("--campaign", "campaign_id", type=int, default=None,
              help="Campaign id (default: the latest).")
@with_appcontext
def export_command(xlsx_path: str, campaign_id: int | None) -> None:
    """Write the portfolio's service-gap workbook."""
    from .models import Campaign

    session = get_session()
    campaign = (session.get(Campaign, campaign_id) if campaign_id is not None
                else scorecards.latest_campaign(session))
    if campaign is None:
        raise click.ClickException("no such campaign" if campaign_id is not None
                                   else "there is no campaign yet (try 'surveyapp demo')")
    Path(xlsx_path).write_bytes(exports.portfolio_workbook(session, campaign))
    click.echo(f"Wrote {xlsx_path}")


def register_commands(app: Flask) -> None:
    for command in (init_db_command, create_user_command, demo_command, export_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Survey-driven customer satisfaction and "
                  "loyalty analyzer. `surveyapp run` serves the web app.")
