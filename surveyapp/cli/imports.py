"""``surveyapp import-accounts FILE`` and ``surveyapp import-contacts FILE``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_session
from ..services import imports

LISTED_ROWS = 200  # rows of changes printed; the summary line counts them all


def _run(kind: str, path: str, dry_run: bool) -> None:
    session = get_session()
    settings = imports.ImportSettings.from_config(current_app.config)
    plan = imports.plan_import(session, kind, path, None, settings)
    if not plan.ok:
        click.echo(f"Error: {plan.problem_text()}", err=True)
        sys.exit(2)
    listed = [row for row in plan.rows if row.action in ("new", "updated", "skipped")]
    for row in listed[:LISTED_ROWS]:
        detail = "; ".join(f"{c.field}: {c.old or '–'} → {c.new or '–'}"
                           for c in row.changes) if row.action == "updated" else row.note
        click.echo(f"  row {row.row}: {row.key} {row.action}" + (f" ({detail})" if detail
                                                                  else ""))
    if len(listed) > LISTED_ROWS:
        click.echo(f"  … and {len(listed) - LISTED_ROWS} more rows")
    if dry_run:
        click.echo(f"{path}: would be {plan.summary()}; nothing was written (--dry-run)")
        return
    try:
        imports.apply_plan(session, plan)
    except imports.ImportRejected as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    for email in plan.new_owners:
        click.echo(f"New account owner {email}: cannot log in until a password is set "
                   f"(surveyapp create-user {email})")
    click.echo(f"{path}: {plan.summary()}")


def _import_command(kind: str, key: str) -> click.Command:
    """``import-<kind> FILE [--dry-run]``: the same command for accounts and contacts."""

    @click.command(f"import-{kind}")
    @click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
    @with_appcontext
    def command(path: str, dry_run: bool) -> None:
        _run(kind, path, dry_run)

    command.help = (f"Import or update {kind} from a CSV or XLSX file (matched by {key}).\n\n"
                    "Any bad row rejects the whole file: every problem is listed by row and "
                    "column, nothing is written, and the exit status is 2.")
    return command


COMMANDS = (_import_command("accounts", "account_id"), _import_command("contacts", "contact_id"))
