"""Scoring runs on the command line: ``surveyapp wave status`` and ``wave recompute``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import get_session
from ..models import Campaign
from ..services import scoring
from ..services.figures import wave_figures
from ..services.wave_inputs import ScoringSettings
from .common import wave_group


def _waves(wave: str | None) -> list[Campaign]:
    """Customer waves by id or name (all when none is given), oldest first."""
    session = get_session()
    query = select(Campaign).where(Campaign.audience == "customer").order_by(Campaign.id)
    waves = list(session.scalars(query))
    if wave is None:
        return waves
    chosen = [c for c in waves if str(c.id) == wave or c.name == wave or c.wave == wave]
    if not chosen:
        raise click.ClickException(f"no customer wave '{wave}' (give its id or name; "
                                   "'surveyapp wave list' shows them)")
    return chosen


@wave_group.command("status")
@click.argument("wave", required=False)
@with_appcontext
def status_command(wave: str | None) -> None:
    """Per wave: responses stored, responses in the newest figures, and when they were made.

    The second line of each wave is exactly
    ``responses: <stored>, scored: <in the newest run>, as of <time>``.
    """
    session = get_session()
    for campaign in _waves(wave):
        fresh = wave_figures(session, campaign).freshness()
        as_of = (f"{fresh.as_of:%Y-%m-%d %H:%M:%S} UTC" if fresh.as_of else "never")
        click.echo(f"wave {campaign.id}: {campaign.name}")
        click.echo(f"responses: {fresh.stored}, scored: {fresh.scored}, as of {as_of}")
        if fresh.error:
            click.echo(f"  last recompute failed: {fresh.error}")
        elif fresh.stale:
            click.echo("  a recompute is queued")


@wave_group.command("recompute")
@click.argument("wave", required=False)
@click.option("--force", is_flag=True, help="Compute even when the figures are current.")
@with_appcontext
def recompute_command(wave: str | None, force: bool) -> None:
    """Compute the waves' figures now (nothing to do when they are current)."""
    session = get_session()
    settings = ScoringSettings.from_config(current_app.config)
    failed = False
    for campaign in _waves(wave):
        run = scoring.recompute(session, campaign, settings, force=force)
        if run is None:
            click.echo(f"wave {campaign.id}: figures are current")
        elif run.status == "ok":
            click.echo(f"wave {campaign.id}: {run.response_count} responses scored in "
                       f"{run.duration_s:.1f} s")
        else:
            failed = True
            click.echo(f"wave {campaign.id}: failed: {run.error}", err=True)
    if failed:
        raise SystemExit(1)


COMMANDS = ()  # both are subcommands of 'surveyapp wave'
