"""``surveyapp backup FILE`` and ``surveyapp restore FILE`` (SQLite; PostgreSQL: pg_dump)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import get_engine, get_session, upgrade
from ..services import backup as backups


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Copy the database to FILE (a consistent snapshot, taken while the app runs)."""
    try:
        count = backups.backup(get_engine(), file)
    except backups.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Wrote {file}: {count} responses")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace a database that already holds accounts or responses.")
@with_appcontext
def restore_command(file: Path, replace: bool) -> None:
    """Restore a backup made by 'surveyapp backup' into this database (stop the servers first)."""
    session = get_session()
    try:
        backups.sqlite_path(get_engine())
        occupied = backups.holds_data(session)
    except backups.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    session.close()
    if occupied and not replace:
        click.echo("Error: this database holds data; restore into an empty database, or pass "
                   "--replace to overwrite it. Nothing was changed.", err=True)
        sys.exit(2)
    try:
        count = backups.restore(get_engine(), file)
    except backups.BackupError as exc:
        click.echo(f"Error: {exc}; nothing was changed", err=True)
        sys.exit(2)
    upgrade()  # a backup from an older version gets the newest schema
    click.echo(f"Restored {file}: {count} responses")


COMMANDS = (backup_command, restore_command)
