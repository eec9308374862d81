"""``surveyapp worker``: runs the background jobs (mail, reminders, recomputing scores)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import jobs


@click.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Jobs run at once (threads).")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run queued background jobs until stopped (Ctrl-C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_IMMEDIATE"):
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run where they are queued")
    jobs.bind(app)
    click.echo(f"Worker running jobs from {jobs.describe_storage()}")
    jobs.consumer(workers).run()


COMMANDS = (worker_command,)
