"""The core commands: database, users, demo, export and the file analysis."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_session, upgrade
from ..services import campaigns, demo, exports, scoring
from ..services.figures import wave_figures
from ..services.wave_inputs import ScoringSettings
from .common import base_url


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (keeps existing data)."""
    upgrade()
    click.echo(f"Database ready: {current_app.config['DATABASE_URL']}")


@click.command("demo")
@click.option("--accounts", "n_accounts", type=click.IntRange(min=1), default=None,
              help="Build a synthetic portfolio of this many accounts (with --responses).")
@click.option("--responses", "n_responses", type=click.IntRange(min=1), default=None,
              help="Answers in the synthetic portfolio (at least one per account).")
@with_appcontext
def demo_command(n_accounts: int | None, n_responses: int | None) -> None:
    """Seed a demo portfolio when the database is empty; print a login and survey links."""
    if (n_accounts is None) != (n_responses is None):
        raise click.UsageError("give --accounts and --responses together")
    if n_accounts is not None and n_responses is not None and n_responses < n_accounts:
        raise click.UsageError("--responses must be at least --accounts (one answer each)")
    upgrade()
    session = get_session()
    size = (n_accounts, n_responses) if n_accounts and n_responses else None
    login = demo.ensure_demo(session, base_url(), size,
                             progress=lambda m: click.echo(f"  {m}", err=True))
    if login is None:
        click.echo("This database holds data of its own: the demo was not seeded and nothing "
                   "was changed.")
        return
    if login.created:
        click.echo("Seeded the demo portfolio.")
    # the figures are ready when the command returns (a current run is left as it is)
    for run in scoring.recompute_now(session, None,
                                     ScoringSettings.from_config(current_app.config)):
        if run.status != "ok":
            raise click.ClickException(f"computing the figures failed: {run.error}")
    click.echo(f"Manager login: {login.email} / {login.password}")
    for link in login.links:
        click.echo(f"Survey link: {link}")


@click.command("export")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False),
              help="The portfolio workbook.")
@click.option("--responses", "responses_path", type=click.Path(dir_okay=False),
              help="The wave's responses (and the latest managers' assessment) as the wide "
                   "CSV that 'surveyapp analyze' reads.")
@click.option("--accounts", "accounts_path", type=click.Path(dir_okay=False),
              help="The accounts file (CSV).")
@click.option("--instruments", "instruments_dir", type=click.Path(file_okay=False),
              help="A folder for the exact instrument files the wave asked.")
@click.option("--campaign", "campaign_id", type=int, default=None,
              help="Campaign id (default: the latest).")
@with_appcontext
def export_command(xlsx_path: str | None, responses_path: str | None,
                   accounts_path: str | None, instruments_dir: str | None,
                   campaign_id: int | None) -> None:
    """Write the portfolio workbook and/or the wave's data files."""
    from ..models import Campaign

    if not (xlsx_path or responses_path or accounts_path or instruments_dir):
        raise click.UsageError("name at least one of --xlsx, --responses, --accounts, "
                               "--instruments")
    session = get_session()
    campaign = (session.get(Campaign, campaign_id) if campaign_id is not None
                else campaigns.latest_campaign(session))
    if campaign is None:
        raise click.ClickException("no such campaign" if campaign_id is not None
                                   else "there is no campaign yet (try 'surveyapp demo')")
    if campaign.audience != "customer":
        raise click.ClickException(f"campaign {campaign.id} is the managers' assessment; "
                                   "export a customer survey wave")
    outputs: list[tuple[Path, bytes]] = []
    if xlsx_path:
        settings = ScoringSettings.from_config(current_app.config)
        scoring.recompute_now(session, [campaign.id], settings)  # only if not current
        figures = wave_figures(session, campaign)
        if not figures.available:
            raise click.ClickException(f"wave {campaign.id} has no figures: "
                                       f"{figures.freshness().error or 'not computed'}")
        outputs.append((Path(xlsx_path), exports.portfolio_workbook(session, figures)))
    if responses_path:
        outputs.append((Path(responses_path), exports.responses_csv(session, campaign)))
    if accounts_path:
        outputs.append((Path(accounts_path), exports.accounts_csv(session)))
    if instruments_dir:
        folder = Path(instruments_dir)
        folder.mkdir(parents=True, exist_ok=True)
        outputs += [(folder / name, text.encode("utf-8")) for name, text in
                    exports.instrument_sources(campaign).items()]
        assessment = campaigns.latest_campaign(session, audience="manager")
        if responses_path and assessment is not None:
            outputs += [(folder / name, text.encode("utf-8")) for name, text in
                        exports.instrument_sources(assessment).items()]
    for path, data in outputs:
        path.write_bytes(data)
        click.echo(f"Wrote {path}")


@click.command("analyze")
@click.option("--instrument", "instrument_paths", multiple=True, required=True,
              metavar="FILE", help="An instrument file (repeat for each section, in order).")
@click.option("--responses", "responses_path", required=True, metavar="FILE",
              help="Wide responses, CSV or XLSX.")
@click.option("--accounts", "accounts_path", metavar="FILE",
              help="Accounts, CSV or XLSX (contribution, stages, segments).")
@click.option("--stages", "stages_path", metavar="FILE",
              help="Stage thresholds (default: instruments/stages.toml).")
@click.option("--json", "json_path", metavar="OUT", help="Write the results as JSON ('-' for "
              "standard output).")
@click.option("--xlsx", "xlsx_path", metavar="OUT", help="Write the results as a workbook.")
@click.option("--by", "by", multiple=True, metavar="COLUMN",
              help="Also score SERVQUAL by this column (role, wave, customer_type, owner…).")
@click.option("--unscaled", is_flag=True, help="Path model on centred, unscaled indicators.")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=0), default=0,
              help="Bootstrap resamples for the path intervals (default 0: none).")
@click.option("--seed", type=int, default=2026, help="Seed of the bootstrap.")
@click.option("--role-weight", "role_weights", multiple=True, metavar="ROLE=WEIGHT",
              help="Buying-role weight for the account roll-up, e.g. economic=0.4 (repeat; "
                   "roles not given keep their default).")
def analyze_command(instrument_paths: tuple[str, ...], responses_path: str,
                    accounts_path: str | None, stages_path: str | None,
                    json_path: str | None, xlsx_path: str | None, by: tuple[str, ...],
                    unscaled: bool, n_boot: int, seed: int,
                    role_weights: tuple[str, ...]) -> None:
    """Analyse survey data from any source with any instruments (no database needed).

    Bad input stops with a message naming the file, row and column, and exit status 2.
    """
    from ..services import analysis_run

    try:
        outcome = analysis_run.run_files(
            instrument_paths, responses_path, accounts_path, stages_path,
            by=by, scaled=not unscaled, n_boot=n_boot, seed=seed,
            role_weights=analysis_run.parse_role_weights(role_weights))
    except analysis_run.InputError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    # everything is produced before anything is written, and a failed write leaves nothing
    outputs: list[tuple[str, bytes]] = []
    if json_path and json_path != "-":
        outputs.append((json_path, (outcome.json_text() + "\n").encode("utf-8")))
    if xlsx_path:
        outputs.append((xlsx_path, outcome.workbook()))
    written: list[Path] = []
    target = ""
    try:
        for target, data in outputs:
            Path(target).write_bytes(data)
            written.append(Path(target))
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        # a full disk fails on write, where the error carries no file name
        click.echo(f"Error: cannot write {exc.filename or target}: {exc.strerror or exc}; "
                   "nothing was written", err=True)
        sys.exit(2)
    for path in written:
        click.echo(f"Wrote {path}", err=True)
    if json_path == "-":
        click.echo(outcome.json_text())
    else:
        click.echo(outcome.text_summary())


COMMANDS = (init_db_command, demo_command, export_command)  # create-user: cli/users.py
