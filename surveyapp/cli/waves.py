"""``surveyapp wave create|list|send|remind|links``: run a survey wave from the command line.

Each command does its work and returns when it is done (no background worker needed).
Bad input stops with ``Error: …`` on standard error and exit status 2, nothing stored.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_session
from ..models import Campaign
from ..services import links, outreach, progress, waves
from .common import base_url, wave_group


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _wave(wave_id: int) -> Campaign:
    campaign = waves.find_wave(get_session(), wave_id)
    if campaign is None:
        _fail(f"there is no survey wave {wave_id} (see 'surveyapp wave list')")
    assert campaign is not None  # _fail exits; this tells the type checker
    return campaign


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@wave_group.command("create")
@click.option("--name", required=True, help="The wave's name, as managers see it.")
@click.option("--instrument", "instrument_ids", multiple=True, required=True, metavar="ID",
              help="An instrument id (repeat, in the order they are asked).")
@click.option("--accounts", metavar="CODE,CODE", help="Only these accounts.")
@click.option("--contacts", metavar="CODE,CODE", help="Only these contacts.")
@click.option("--customer-type", help="Only accounts of this customer type.")
@click.option("--owner", metavar="EMAIL", help="Only accounts this manager owns.")
@click.option("--role", help="Only contacts in this buying-centre role.")
@click.option("--opens", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First day the links take answers (default: at once).")
@click.option("--closes", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last day the links take answers (default: no end).")
@click.option("--anonymous", is_flag=True,
              help="No page, export or workbook ties an answer to a person.")
@with_appcontext
def create_command(name: str, instrument_ids: tuple[str, ...], accounts: str | None,
                   contacts: str | None, customer_type: str | None, owner: str | None,
                   role: str | None, opens: datetime | None, closes: datetime | None,
                   anonymous: bool) -> None:
    """Create a wave and one invitation per chosen contact (every filter must hold; with
    none, every active contact is invited)."""
    selection = waves.Selection(accounts=_codes(accounts), contacts=_codes(contacts),
                                customer_type=customer_type or None, owner=owner or None,
                                role=role or None)
    request = waves.WaveRequest(name, instrument_ids, selection, _day(opens), _day(closes),
                                anonymous)
    try:
        campaign, invited = waves.create_wave(get_session(), request,
                                              current_app.config["SECRET_KEY"],
                                              current_app.config["INSTRUMENTS_DIR"])
    except waves.WaveError as exc:
        _fail(f"{exc}; nothing was stored")
        return
    click.echo(f"Wave {campaign.id}: {campaign.name}, {invited} invitations")


@wave_group.command("list")
@with_appcontext
def list_command() -> None:
    """Each wave: id, state, dates, named or anonymous, submitted / invited, name."""
    session = get_session()
    found = waves.customer_waves(session)
    if not found:
        click.echo("There is no survey wave yet (try 'surveyapp wave create').")
        return
    ids = [c.id for c in found]
    counts = progress.submitted_counts(session, ids)
    reached = waves.reached_waves(session, ids)
    today = waves.wave_today()
    click.echo(f"{'id':>4}  {'state':<9}  {'opens':<10}  {'closes':<10}  {'kind':<9}  "
               f"{'submitted':>15}  name")
    for campaign in found:
        funnel = counts.get(campaign.id, progress.Funnel())
        rate = f"{100 * funnel.response_rate:.0f}%" if funnel.response_rate is not None \
            else "-"
        answered = f"{funnel.submitted}/{funnel.invited} {rate}"
        click.echo(f"{campaign.id:>4}  "
                   f"{waves.wave_state(campaign, today, campaign.id in reached):<9}  "
                   f"{str(campaign.opens_on or '-'):<10}  {str(campaign.closes_on or '-'):<10}  "
                   f"{'anonymous' if campaign.anonymous else 'named':<9}  {answered:>15}  "
                   f"{campaign.name}")


def _send(wave_id: int, kind: str, rnd: int | None = None) -> None:
    """Send the wave's invitations or reminders, print what happened; exit 1 when some
    emails failed (they are retried by the next run), 2 when the wave cannot send."""
    campaign = _wave(wave_id)
    sender = outreach.Sender.from_app(base_url())
    today = waves.wave_today()
    try:
        outcome = (outreach.send_invitations(get_session(), campaign, sender, today)
                   if kind == outreach.INVITATION else
                   outreach.send_reminders(get_session(), campaign, sender, today, rnd))
    except waves.WaveError as exc:
        _fail(str(exc))
        return
    click.echo(f"{outcome.summary()} (through {sender.mail.describe()}).")
    for code, error in sorted(outcome.failed.items()):
        click.echo(f"  {code}: {error}", err=True)
    if outcome.failed or outcome.unrecoverable:
        sys.exit(1)


@wave_group.command("send")
@click.argument("wave_id", metavar="WAVE", type=int)
@with_appcontext
def send_command(wave_id: int) -> None:
    """Email each contact of the wave its invitation, once (safe to run again: only
    unsent or failed emails go out). Exit 1 when some failed."""
    _send(wave_id, outreach.INVITATION)


@wave_group.command("remind")
@click.argument("wave_id", metavar="WAVE", type=int)
@click.option("--round", "rnd", type=click.IntRange(min=1), default=None,
              help="The reminder round (default: the current one, or the first). The next "
                   "number starts a new round; each round reminds each contact once.")
@with_appcontext
def remind_command(wave_id: int, rnd: int | None) -> None:
    """Remind the contacts who have not submitted, once per round."""
    _send(wave_id, outreach.REMINDER, rnd)


@wave_group.command("links")
@click.argument("wave_id", metavar="WAVE", type=int)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write contact_id, account_id, email, lang, link (and name) as CSV.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False),
              help="The same table as a workbook.")
@click.option("--qr", "qr_dir", type=click.Path(file_okay=False),
              help="A folder for each link's QR code (<contact_id>.png and .svg).")
@click.option("--reissue", is_flag=True,
              help="First give a new link to unanswered invitations whose link cannot be "
                   "printed again (their old link stops working).")
@with_appcontext
def links_command(wave_id: int, csv_path: str | None, xlsx_path: str | None,
                  qr_dir: str | None, reissue: bool) -> None:
    """Each contact's personal survey link, for sending by other means (WeChat, print)."""
    if not (csv_path or xlsx_path or qr_dir):
        raise click.UsageError("name at least one of --csv, --xlsx, --qr")
    campaign = _wave(wave_id)
    if reissue:
        count = links.reissue_unprintable(get_session(), campaign,
                                          current_app.config["SECRET_KEY"])
        click.echo(f"Reissued {count} links.")
    rows = links.link_rows(get_session(), campaign, current_app.config["SECRET_KEY"],
                           base_url())
    outputs: list[tuple[Path, bytes]] = []
    if csv_path:
        outputs.append((Path(csv_path), links.links_csv(rows)))
    if xlsx_path:
        outputs.append((Path(xlsx_path), links.links_xlsx(rows)))
    if qr_dir:
        folder = Path(qr_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for row in rows:
            if row.link:
                safe = "".join(ch if ch.isalnum() or ch in "-_." else "_"
                               for ch in row.contact_code)
                outputs.append((folder / f"{safe}.png", links.qr_png(row.link)))
                outputs.append((folder / f"{safe}.svg", links.qr_svg(row.link)))
    for path, data in outputs:
        path.write_bytes(data)
    missing = sum(1 for row in rows if not row.link)
    click.echo(f"Wrote {len(rows)} links for wave {campaign.id}"
               + (f" to {', '.join(str(p) for p in (csv_path, xlsx_path, qr_dir) if p)}"))
    if missing:
        click.echo(f"{missing} links cannot be printed again and are left blank: run again "
                   "with --reissue to give them new links.", err=True)
