"""Emailing a wave's invitations and reminders, each at most once, however often it is asked.

Every email is first a :class:`Message` row, unique per (invitation, kind, round): a sender
inserts the rows (a row someone else inserted is left alone), then *claims* each row by
moving it from ``pending`` (or ``failed``) to ``sending`` in one conditional UPDATE, sends
it, and records ``sent`` or ``failed`` with the error. Two commands or two servers working
on the same wave at once therefore never send one email twice; a failed email stays on its
row and is tried again by the next run (the background job retries by itself). Rows are
claimed in batches; a row left ``sending`` (the process died before recording it) is not
retried: whether it went out is unknown.

Nothing is sent to a deactivated or erased contact, or to one without an email address;
reminders go only to contacts who have not submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from .. import jobs
from ..models import Campaign, Contact, Invitation, Message
from . import invitations
from .links import survey_link
from .mail import MailError, MailSettings, Transport, compose, transport
from .waves import WaveError, accepts_answers, find_wave, wave_today

INVITATION, REMINDER = "invitation", "reminder"
# emails claimed per transaction: fewer commits, and at most this many rows left "sending"
# (in doubt) if the process dies
CLAIM_BATCH = 50
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass
class Outcome:
    """What one run of sending did."""

    kind: str
    round: int
    sent: int = 0
    already: int = 0  # sent before, or being sent by someone else right now
    failed: dict[str, str] = field(default_factory=dict)  # contact code → error
    without_email: int = 0
    unrecoverable: int = 0  # links made before links could be printed again

    def summary(self) -> str:
        what = "invitations" if self.kind == INVITATION else f"reminders (round {self.round})"
        parts = [f"Sent {self.sent} {what}", f"{self.already} already sent"]
        if self.without_email:
            parts.append(f"{self.without_email} contacts without email")
        if self.unrecoverable:
            parts.append(f"{self.unrecoverable} links that need reissuing")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


@dataclass(frozen=True)
class Sender:
    """What sending needs from the app: mail settings, the key the links are derived
    from, the links' base URL and the supplier's name for the emails."""

    mail: MailSettings
    secret_key: str
    base_url: str
    supplier: str | dict[str, str] | None = None  # SUPPLIER_NAME: one, or one per language

    def supplier_in(self, lang: str) -> str | None:
        if isinstance(self.supplier, dict):
            return self.supplier.get(lang) or next(iter(self.supplier.values()), None)
        return str(self.supplier) if self.supplier else None

    @classmethod
    def from_app(cls, base_url: str) -> Sender:
        config = current_app.config
        return cls(MailSettings.from_config(config, current_app.instance_path),
                   config["SECRET_KEY"], base_url, config.get("SUPPLIER_NAME") or None)


def _reachable(campaign: Campaign, kind: str):  # type: ignore[no-untyped-def]
    """Invitations of the wave that may get this kind of email."""
    query = (select(Invitation).join(Contact, Invitation.contact_id == Contact.id)
             .where(Invitation.campaign_id == campaign.id, Contact.active.is_(True),
                    Contact.erased_at.is_(None))
             .options(contains_eager(Invitation.contact).joinedload(Contact.account)))
    if kind == REMINDER:
        query = query.where(Invitation.responded_at.is_(None))
    return query


def _insert_missing(session: Session, invitation_ids: list[int], kind: str, rnd: int) -> None:
    """Add the pending rows that do not exist yet; rows another sender added stay its own."""
    if not invitation_ids:
        return
    rows = [{"invitation_id": i, "kind": kind, "round": rnd, "status": PENDING,
             "created_at": datetime.now(UTC)} for i in invitation_ids]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(Message)
        session.execute(insert.on_conflict_do_nothing(
            index_elements=["invitation_id", "kind", "round"]), rows)
        session.commit()
        return
    for row in rows:  # any other database: one savepoint per row
        try:
            with session.begin_nested():
                session.add(Message(**row))
        except IntegrityError:
            pass
    session.commit()


def _claim(session: Session, messages: list[Message]) -> list[Message]:
    """Take the rows for sending, in one transaction; returns those this sender got (a row
    another sender took first is left to it)."""
    mine = []
    for message in messages:
        result = session.execute(update(Message).where(Message.id == message.id,
                                                       Message.status == message.status)
                                 .values(status=SENDING, error=None)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            mine.append(message)
    session.commit()
    for message in mine:
        session.refresh(message)
    return mine


def _render_template(name: str, context: dict[str, object]) -> str:
    """A mail template, rendered without the pages' context processors: an email is made in
    the CLI or the worker, where there is no request and no logged-in user."""
    return current_app.jinja_env.get_template(name).render(context)


def _language(contact: Contact) -> str:
    languages = current_app.config["LANGUAGES"]
    return contact.lang if contact.lang in languages else languages[0]


def _render(sender: Sender, campaign: Campaign, contact: Contact, kind: str,
            link: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the email, in the contact's language."""
    lang = _language(contact)
    with force_locale(lang):
        closes = format_date(campaign.closes_on, "long") if campaign.closes_on else None
        opens = format_date(campaign.opens_on, "long") if campaign.opens_on else None
        context = dict(campaign=campaign, contact=contact, account=contact.account,
                       link=link, closes=closes, opens=opens,
                       supplier=sender.supplier_in(lang), lang=lang)
        if kind == INVITATION:
            subject = _("Your invitation: %(wave)s", wave=campaign.name)
        else:
            subject = _("Reminder: %(wave)s", wave=campaign.name)
        text = _render_template(f"mail/{kind}.txt", context)
        html = _render_template(f"mail/{kind}.html", context)
    return subject, text, html


def _send_one(session: Session, out: Transport, sender: Sender, message: Message,
              outcome: Outcome) -> None:
    invitation = message.invitation
    contact = invitation.contact
    token = invitations.recover_token(invitation, sender.secret_key)
    if token is None:
        _finish(session, message, FAILED, "the link cannot be printed again: reissue it")
        outcome.unrecoverable += 1
        return
    subject, text, html = _render(sender, invitation.campaign, contact, message.kind,
                                  survey_link(sender.base_url, token))
    email = compose(sender.mail, contact.email or "", contact.name, subject, text, html,
                    sender_name=sender.supplier_in(_language(contact)))
    try:
        out.send(email, f"{message.id:07d}-{message.kind}-{message.round}")
    except MailError as exc:
        _finish(session, message, FAILED, str(exc))
        outcome.failed[contact.code] = str(exc)
        return
    if message.kind == INVITATION and invitation.sent_at is None:
        invitation.sent_at = datetime.now(UTC)
    _finish(session, message, SENT, None)
    outcome.sent += 1


def _finish(session: Session, message: Message, status: str, error: str | None) -> None:
    """Record the outcome; written when the batch is committed (not before: an open write
    transaction would hold other senders up while this one talks to the mail server)."""
    message.status = status
    message.error = error
    if status == SENT:
        message.sent_at = datetime.now(UTC)


def _deliver(session: Session, campaign: Campaign, sender: Sender, kind: str,
             rnd: int) -> Outcome:
    outcome = Outcome(kind, rnd)
    reachable = list(session.scalars(_reachable(campaign, kind)))
    with_email = [i for i in reachable if (i.contact.email or "").strip()]
    outcome.without_email = len(reachable) - len(with_email)
    _insert_missing(session, [i.id for i in with_email], kind, rnd)
    ids = {i.id for i in with_email}
    # the wave's rows of this kind and round, read through the wave rather than a list of
    # ids (which could pass the database's limit of parameters in one query)
    of_wave = select(Invitation.id).where(Invitation.campaign_id == campaign.id)
    same = (Message.invitation_id.in_(of_wave), Message.kind == kind, Message.round == rnd)
    rows = [m for m in session.scalars(select(Message).where(*same).order_by(Message.id))
            if m.invitation_id in ids]  # still reachable (not deactivated meanwhile)
    todo = [m for m in rows if m.status in (PENDING, FAILED)]
    outcome.already = len(rows) - len(todo)
    if not todo:
        return outcome
    try:
        with transport(sender.mail) as out:
            for start in range(0, len(todo), CLAIM_BATCH):
                batch = todo[start:start + CLAIM_BATCH]
                mine = _claim(session, batch)
                outcome.already += len(batch) - len(mine)
                try:
                    with session.no_autoflush:
                        for message in mine:
                            _send_one(session, out, sender, message, outcome)
                finally:
                    session.commit()  # the batch's outcomes, even when one send broke
    except MailError as exc:  # the server cannot be reached: every unsent row says why
        session.rollback()
        session.execute(update(Message).where(*same, Message.status.in_((PENDING, FAILED)))
                        .values(status=FAILED, error=str(exc))
                        .execution_options(synchronize_session=False))
        session.commit()
        for message in todo:
            if message.status != SENT:
                outcome.failed.setdefault(message.invitation.contact.code, str(exc))
    return outcome


def send_invitations(session: Session, campaign: Campaign, sender: Sender,
                     today: date) -> Outcome:
    """Email each reachable contact its invitation once. A closed wave is a WaveError."""
    if campaign.closes_on is not None and today > campaign.closes_on:
        raise WaveError(f"wave {campaign.id} closed on {campaign.closes_on}")
    return _deliver(session, campaign, sender, INVITATION, 0)


def reminder_round(session: Session, campaign: Campaign, requested: int | None) -> int:
    """The round to remind in: the current one by default (the first if none was started);
    ``current + 1`` starts the next. Starting a round is a compare-and-set, so two senders
    asking for the same new round start it once."""
    current = campaign.reminder_round
    wanted = max(current, 1) if requested is None else requested
    if wanted < max(current, 1) or wanted > current + 1:
        raise WaveError(f"wave {campaign.id} is at reminder round {current}: remind in "
                        f"round {max(current, 1)} or start round {current + 1}")
    if wanted == current + 1:
        session.execute(update(Campaign).where(Campaign.id == campaign.id,
                                               Campaign.reminder_round == current)
                        .values(reminder_round=wanted))
        session.commit()
        session.refresh(campaign)
        if campaign.reminder_round != wanted:
            raise WaveError(f"wave {campaign.id} moved on to reminder round "
                            f"{campaign.reminder_round} meanwhile")
    return wanted


def send_reminders(session: Session, campaign: Campaign, sender: Sender, today: date,
                   requested_round: int | None = None) -> Outcome:
    """Remind each reachable contact who has not submitted, once per round. Only while the
    wave takes answers."""
    if not accepts_answers(campaign, today):
        raise WaveError(f"wave {campaign.id} does not take answers today ({today}): "
                        "no reminders")
    rnd = reminder_round(session, campaign, requested_round)
    return _deliver(session, campaign, sender, REMINDER, rnd)


def reminded_counts(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    """Reminder emails sent per wave."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Invitation.campaign_id, func.count()).join(
            Message, Message.invitation_id == Invitation.id)
        .where(Invitation.campaign_id.in_(ids), Message.kind == REMINDER,
               Message.status == SENT).group_by(Invitation.campaign_id))
    return {campaign_id: n for campaign_id, n in rows}


class MailNotDelivered(Exception):
    """Some emails failed; raised in a job so the job library tries again later."""


def _run_job(campaign_id: int, base_url: str, kind: str, rnd: int | None) -> str:
    from ..db import get_session

    session = get_session()
    campaign = find_wave(session, campaign_id)
    if campaign is None:
        return f"wave {campaign_id} is gone"
    sender = Sender.from_app(base_url)
    today = wave_today()
    try:
        outcome = (send_invitations(session, campaign, sender, today) if kind == INVITATION
                   else send_reminders(session, campaign, sender, today, rnd))
    except WaveError as exc:  # closed meanwhile, or another round started: nothing to retry
        return str(exc)
    if outcome.failed:
        raise MailNotDelivered(outcome.summary())
    return outcome.summary()


SEND_HOUR = 8  # invitations scheduled for the opening day go out at 08:00 where the dates are


def opening_time(campaign: Campaign, timezone: str) -> datetime | None:
    """When invitations scheduled for the opening day go out (aware), or None when the
    wave has no open date or it has come."""
    if campaign.opens_on is None:
        return None
    when = datetime.combine(campaign.opens_on, time(SEND_HOUR), tzinfo=ZoneInfo(timezone))
    return when if when > datetime.now(UTC) else None


def schedule_invitations(campaign: Campaign, base_url: str, timezone: str) -> datetime:
    """Queue the invitations for the opening day; the worker sends them then. Sending is
    safe to repeat, so scheduling twice still sends each invitation once."""
    when = opening_time(campaign, timezone)
    if when is None:
        raise WaveError(f"wave {campaign.id} has no open date still to come")
    send_invitations_job.schedule(args=(campaign.id, base_url), eta=when)
    return when


@jobs.job(retries=5, retry_delay=120, retry_backoff=2)
def send_invitations_job(campaign_id: int, base_url: str) -> str:
    """The web page's "send invitations" button, in the background."""
    return _run_job(campaign_id, base_url, INVITATION, None)


@jobs.job(retries=5, retry_delay=120, retry_backoff=2)
def send_reminders_job(campaign_id: int, base_url: str, rnd: int) -> str:
    """The web page's "send reminders" button: ``rnd`` is the round the page offered, so a
    double click or a retry stays in that round."""
    return _run_job(campaign_id, base_url, REMINDER, rnd)
