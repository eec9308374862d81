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
    """Seed a demo portfolio when the database is empty; print one login per role
    ('Login (<role>): <email> / <password>') and open survey links."""
    if (n_accounts is None) != (n_responses is None):
        raise click.UsageError("give --accounts and --responses together")
    if n_accounts is not None and n_responses is not None and n_responses < n_accounts:
        raise click.UsageError("--responses must be at least --accounts (one answer each)")
    upgrade()
    session = get_session()
    size = (n_accounts, n_responses) if n_accounts and n_responses else None
    seeded = demo.seed_if_empty(session, size,
                                progress=lambda m: click.echo(f"  {m}", err=True))
    if seeded is None:
        click.echo("This database holds data of its own: the demo was not seeded and nothing "
                   "was changed.")
        return
    if seeded.created:
        click.echo("Seeded the demo portfolio.")
        if size is None:  # the small demo's detractors and large gaps await follow-up
            _raise_demo_alerts(session)
    # the figures are ready when the command returns (a current run is left as it is)
    for run in scoring.recompute_now(session, None,
                                     ScoringSettings.from_config(current_app.config)):
        if run.status != "ok":
            # before any password or link changed: the logins printed last time still work
            raise click.ClickException(f"computing the figures failed: {run.error}")
    login = demo.issue_logins(session, base_url(), seeded)
    for each in login.logins:
        click.echo(f"Login ({each.role}): {each.email} / {each.password}")
    for link in login.links:
        click.echo(f"Survey link: {link}")


def _raise_demo_alerts(session) -> None:  # type: ignore[no-untyped-def]
    from ..services import alerts, surveys

    wave = campaigns.latest_campaign(session)
    if wave is not None:
        alerts.raise_for_wave(session, wave.id, alerts.AlertRules.from_config(current_app.config),
                              surveys.today_in(current_app.config["SURVEY_TIMEZONE"]))


@click.command("export")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False),
              help="The leadership workbook.")
@click.option("--responses", "responses_path", type=click.Path(dir_okay=False),
              help="The wave's responses (and the latest managers' assessment) as the wide "
                   "CSV that 'surveyapp analyze' reads.")
@click.option("--accounts", "accounts_path", type=click.Path(dir_okay=False),
              help="The accounts file (CSV).")
@click.option("--sav", "sav_path", type=click.Path(dir_okay=False),
              help="The wave's responses as an SPSS .sav file with variable and value labels.")
@click.option("--instruments", "instruments_dir", type=click.Path(file_okay=False),
              help="A folder for the exact instrument files the wave asked.")
@click.option("--wave", "--campaign", "campaign_id", type=int, default=None,
              help="Wave (campaign) id (default: the latest).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the workbook and the SPSS labels.")
@click.option("--customer-type", default=None, help="Only accounts of this customer type.")
@click.option("--owner", default=None, metavar="EMAIL", help="Only this owner's accounts.")
@click.option("--industry", default=None, help="Only accounts in this industry.")
@click.option("--masked", is_flag=True,
              help="Raw exports without names and emails (contact codes, account and owner "
                   "names left out).")
@with_appcontext
def export_command(xlsx_path: str | None, responses_path: str | None,
                   accounts_path: str | None, sav_path: str | None,
                   instruments_dir: str | None, campaign_id: int | None, lang: str,
                   customer_type: str | None, owner: str | None, industry: str | None,
                   masked: bool) -> None:
    """Write the leadership workbook and/or the wave's data files."""
    from ..models import Campaign

    if not (xlsx_path or responses_path or accounts_path or instruments_dir or sav_path):
        raise click.UsageError("name at least one of --xlsx, --responses, --accounts, --sav, "
                               "--instruments")
    session = get_session()
    from ..ids import is_valid_id

    if campaign_id is not None and not is_valid_id(campaign_id):
        raise click.ClickException("no such campaign")
    campaign = (session.get(Campaign, campaign_id) if campaign_id is not None
                else campaigns.reported_campaign(session))
    if campaign is None:
        raise click.ClickException("no such campaign" if campaign_id is not None
                                   else "there is no campaign yet (try 'surveyapp demo')")
    if campaign.audience != "customer":
        raise click.ClickException(f"campaign {campaign.id} is the managers' assessment; "
                                   "export a customer survey wave")
    outputs: list[tuple[Path, bytes]] = []
    if responses_path:
        outputs.append((Path(responses_path), exports.responses_csv(session, campaign, masked)))
    if accounts_path:
        outputs.append((Path(accounts_path), exports.accounts_csv(session, masked)))
    if instruments_dir:
        folder = Path(instruments_dir)
        folder.mkdir(parents=True, exist_ok=True)
        outputs += [(folder / name, text.encode("utf-8")) for name, text in
                    exports.instrument_sources(campaign).items()]
        assessment = campaigns.latest_campaign(session, audience="manager")
        if responses_path and assessment is not None:
            outputs += [(folder / name, text.encode("utf-8")) for name, text in
                        exports.instrument_sources(assessment).items()]
    if xlsx_path:
        settings = ScoringSettings.from_config(current_app.config)
        scoring.recompute_now(session, [campaign.id], settings)  # only if not current
        figures = wave_figures(session, campaign)
        if not figures.available:
            raise click.ClickException(f"wave {campaign.id} has no figures: "
                                       f"{figures.freshness().error or 'not computed'}")
        filters = exports.ExportFilters(customer_type, owner, industry)
        target = float(current_app.config["SATISFIED_TARGET"])
        path = Path(xlsx_path)
        partial = path.with_name(path.name + ".part")
        with click.progressbar(length=exports.sheet_count(session, figures),
                               label="Writing the workbook", file=sys.stderr) as bar, \
                partial.open("wb") as out:
            exports.portfolio_workbook(session, figures, lang, filters, target, out=out,
                                       progress=lambda _sheet: bar.update(1))
        partial.replace(path)  # a failed export leaves no half-written workbook
        click.echo(f"Wrote {path}")
    if sav_path:
        exports.responses_sav(session, campaign, sav_path, lang, masked)
        click.echo(f"Wrote {sav_path}")
    for path, data in outputs:
        path.write_bytes(data)
        click.echo(f"Wrote {path}")


@click.command("analyze")
@click.option("--instrument", "instrument_paths", multiple=True, required=True,
              metavar="FILE", help="An instrument file (repeat for each section, in order).")
@click.option("--responses", "responses_path", metavar="FILE",
              help="Wide responses, CSV or XLSX.")
@click.option("--map-template", "map_template_path", metavar="OUT",
              help="Write a column map to fill in for these instruments ('-' for standard "
                   "output) and stop.")
@click.option("--column-map", "map_file", metavar="FILE",
              help="A column map (TOML or CSV): the export's headers → the questionnaire's "
                   "ids.")
@click.option("--map", "map_pairs", multiple=True, metavar="OLD=NEW",
              help="Rename one column, e.g. 问卷编号=response_id (repeat).")
@click.option("--na", "na_values", multiple=True, metavar="CODE",
              help="A further missing-value code, e.g. -99 (repeat). Blank, NA, N/A, ., -, "
                   "#N/A and 不适用 always are.")
@click.option("--sheet", metavar="NAME", help="The workbook sheet of the responses "
              "(default: the first).")
@click.option("--header-row", "header_row", type=click.IntRange(min=1), default=None,
              help="The row of the header (default: found under any title rows).")
@click.option("--missing", type=click.Choice(["listwise", "pairwise"]), default="listwise",
              help="Missing answers in reliability: listwise (default) or pairwise (as R "
                   "psych).")
@click.option("--model-missing", "model_missing", type=click.Choice(["listwise", "mean"]),
              default="listwise", help="Missing answers in the path model: listwise "
                                       "(default) or item-mean replacement.")
@click.option("--scheme", type=click.Choice(["path", "centroid", "factorial"]),
              default="path", help="PLS inner weighting scheme (default path).")
@click.option("--accounts", "accounts_path", metavar="FILE",
              help="Accounts, CSV or XLSX (contribution, stages, segments).")
@click.option("--stages", "stages_path", metavar="FILE",
              help="Stage thresholds (default: instruments/stages.toml).")
@click.option("--json", "json_path", metavar="OUT", help="Write the results as JSON ('-' for "
              "standard output).")
@click.option("--xlsx", "xlsx_path", metavar="OUT", help="Write the results as a workbook.")
@click.option("--lang", "lang", type=click.Choice(["zh", "en"]), default="en",
              show_default=True, help="Language of the workbook.")
@click.option("--by", "by", multiple=True, metavar="COLUMN",
              help="Also score SERVQUAL by this column (role, wave, customer_type, owner…).")
@click.option("--unscaled", is_flag=True, help="Path model on centred, unscaled indicators.")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=0), default=0,
              help="Bootstrap resamples for the path intervals (default 0: none).")
@click.option("--seed", type=int, default=2026, help="Seed of the bootstrap.")
@click.option("--role-weight", "role_weights", multiple=True, metavar="ROLE=WEIGHT",
              help="Buying-role weight for the account roll-up, e.g. economic=0.4 (repeat; "
                   "roles not given keep their default).")
def analyze_command(instrument_paths: tuple[str, ...], responses_path: str | None,
                    map_template_path: str | None, map_file: str | None,
                    map_pairs: tuple[str, ...], na_values: tuple[str, ...],
                    sheet: str | None, header_row: int | None, missing: str,
                    model_missing: str, scheme: str,
                    accounts_path: str | None, stages_path: str | None,
                    json_path: str | None, xlsx_path: str | None, lang: str,
                    by: tuple[str, ...], unscaled: bool, n_boot: int, seed: int,
                    role_weights: tuple[str, ...]) -> None:
    """Analyse survey data from any source with any instruments (no database needed).

    Bad input stops with a message naming the file, row and column, and exit status 2.
    """
    from ..services import analysis_run

    try:
        if map_template_path:
            template = analysis_run.column_map_template(instrument_paths)
            if map_template_path == "-":
                click.echo(template, nl=False)
            else:
                Path(map_template_path).write_text(template, encoding="utf-8")
                click.echo(f"Wrote {map_template_path}", err=True)
            return
        if not responses_path:
            raise click.UsageError("give --responses FILE (or --map-template OUT)")
        reading = analysis_run.ReadingOptions(
            na_values=na_values, map_file=map_file, map_pairs=map_pairs, sheet=sheet,
            header_row=header_row)
        outcome = analysis_run.run_files(
            instrument_paths, responses_path, accounts_path, stages_path,
            by=by, scaled=not unscaled, n_boot=n_boot, seed=seed,
            role_weights=analysis_run.parse_role_weights(role_weights), reading=reading,
            missing=missing, model_missing=model_missing, scheme=scheme)
    except OSError as exc:
        click.echo(f"Error: cannot write {exc.filename}: {exc.strerror}; nothing was written",
                   err=True)
        sys.exit(2)
    except analysis_run.InputError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    # everything is produced before anything is written, and a failed write leaves nothing
    outputs: list[tuple[str, bytes]] = []
    if json_path and json_path != "-":
        outputs.append((json_path, (outcome.json_text() + "\n").encode("utf-8")))
    if xlsx_path:
        outputs.append((xlsx_path, outcome.workbook(lang)))
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
