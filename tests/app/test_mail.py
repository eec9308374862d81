"""Emailing a wave: the outbox with no server, a real SMTP server the test starts, sending
twice, two reminders at once, failures kept and retried, never to deactivated contacts."""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from surveyapp import jobs
from surveyapp.db import get_session
from surveyapp.models import Campaign, Contact, Invitation, Message
from surveyapp.services import invitations, outreach, waves

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2027, 3, 10)


@pytest.fixture
def wave(app, session, make_account, make_contact):
    """A wave of five reachable contacts (one in English) and one deactivated."""
    accounts = [make_account("A001"), make_account("A002")]
    contacts = [make_contact(accounts[k % 2], lang="en" if k == 1 else "zh",
                             name=f"联系人{k}" if k != 1 else "Anna Schmidt")
                for k in range(6)]
    contacts[5].active = False
    session.commit()
    with app.app_context():
        campaign, _n = waves.create_wave(
            session, waves.WaveRequest("Spring 2027", ["servqual"], waves.Selection()),
            app.config["SECRET_KEY"], app.config["INSTRUMENTS_DIR"])
    return campaign


def _deactivated_after_invite(session, campaign):
    contact = session.scalars(select(Contact).join(Invitation).where(
        Invitation.campaign_id == campaign.id).order_by(Contact.id)).first()
    contact.active = False
    session.commit()
    return contact


def _outbox(folder: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))]


def _send(app, campaign, kind="invitation", base="https://survey.example.com", rnd=None):
    with app.app_context():
        session = get_session()
        wave = session.get(Campaign, campaign.id)
        sender = outreach.Sender.from_app(base)
        if kind == "invitation":
            return outreach.send_invitations(session, wave, sender, TODAY)
        return outreach.send_reminders(session, wave, sender, TODAY, rnd)


def _link_of(message) -> str:
    return next(line for line in message.get_body(("plain",)).get_content().splitlines()
                if line.startswith("https://"))


def test_no_mail_server_writes_one_eml_per_contact_and_twice_is_still_one(
        app, session, wave, tmp_path):
    outcome = _send(app, wave)
    assert (outcome.sent, outcome.already, outcome.failed) == (5, 0, {})
    mails = _outbox(tmp_path / "outbox")
    assert len(mails) == 5
    assert Counter(m["To"].addresses[0].addr_spec for m in mails) == Counter(
        {f"c{k}@example.com": 1 for k in range(1, 6)})
    again = _send(app, wave)
    assert (again.sent, again.already) == (0, 5)
    assert len(_outbox(tmp_path / "outbox")) == 5
    # each email's link opens that contact's own invitation
    for mail in mails:
        token = _link_of(mail).rsplit("/", 1)[1]
        found = invitations.find(session, token)
        assert found is not None and found.contact.email == mail["To"].addresses[0].addr_spec
    assert session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.sent_at.is_not(None))) == 5


def test_each_email_is_in_the_contacts_language(app, wave, tmp_path):
    _send(app, wave)
    by_address = {m["To"].addresses[0].addr_spec: m for m in _outbox(tmp_path / "outbox")}
    english = by_address["c2@example.com"].get_body(("plain",)).get_content()
    chinese = by_address["c1@example.com"].get_body(("plain",)).get_content()
    assert "Dear Anna Schmidt," in english and "personal link" in english
    assert "Dear" not in chinese and "联系人0" in chinese
    assert by_address["c2@example.com"]["Subject"] == "Your invitation: Spring 2027"
    html = by_address["c2@example.com"].get_body(("html",)).get_content()
    assert _link_of(by_address["c2@example.com"]) in html


class Recorder:
    """An SMTP handler that keeps what it receives and refuses one address."""

    def __init__(self, refuse: str | None = None) -> None:
        self.envelopes: list = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    servers = []

    def start(handler, port=None):
        controller = Controller(handler, hostname="127.0.0.1", port=port or _free_port())
        controller.start()
        servers.append(controller)
        return controller

    yield start
    for controller in servers:
        controller.stop()


def test_a_real_smtp_server_receives_the_mails(app, session, wave, smtp_server, tmp_path):
    handler = Recorder()
    server = smtp_server(handler)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_SENDER="survey@supplier.example.com")
    outcome = _send(app, wave)
    assert outcome.sent == 5 and not outcome.failed
    assert sorted(r for e in handler.envelopes for r in e.rcpt_tos) == [
        f"c{k}@example.com" for k in range(1, 6)]
    assert {e.mail_from for e in handler.envelopes} == {"survey@supplier.example.com"}
    parsed = email.message_from_bytes(handler.envelopes[0].content, policy=policy.default)
    assert _link_of(parsed).startswith("https://survey.example.com/s/")
    assert not (tmp_path / "outbox").exists()  # with a server, nothing goes to the outbox
    assert _send(app, wave).sent == 0 and len(handler.envelopes) == 5


def test_failures_are_recorded_and_sent_on_the_next_run(app, session, wave, smtp_server):
    port = _free_port()  # nothing listens here yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    outcome = _send(app, wave)
    assert outcome.sent == 0 and len(outcome.failed) == 5
    rows = session.scalars(select(Message)).all()
    assert {r.status for r in rows} == {"failed"} and all(
        "cannot reach the mail server" in r.error for r in rows)
    # the server comes up but refuses one address: that one stays failed, with the reason
    handler = Recorder(refuse="c3@example.com")
    smtp_server(handler, port=port)
    outcome = _send(app, wave)
    assert outcome.sent == 4 and list(outcome.failed) == ["A001-C3"]
    session.expire_all()
    failed = session.scalars(select(Message).where(Message.status == "failed")).all()
    assert len(failed) == 1
    assert failed[0].error == "the server refused c3@example.com: 550 no such mailbox"
    handler.refuse = None
    assert _send(app, wave).sent == 1
    assert len(handler.envelopes) == 5  # every contact exactly once over the three runs


def test_the_job_retries_later_when_mail_fails(app, session, wave):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    try:
        with app.app_context():
            outreach.send_invitations_job(wave.id, "https://survey.example.com")
        scheduled = jobs.huey.scheduled()
        assert [t.name for t in scheduled] == ["surveyapp.services.outreach."
                                               "send_invitations_job"]
        assert scheduled[0].retries == 4  # one of five retries used, the next one waits
    finally:
        jobs.huey.storage.flush_schedule()
    assert {m.status for m in session.scalars(select(Message))} == {"failed"}


def test_reminders_only_to_those_who_have_not_submitted(app, session, wave, tmp_path):
    by_email = {i.contact.email: i for i in session.scalars(select(Invitation))}
    by_email["c1@example.com"].responded_at = datetime.now(UTC)  # submitted
    by_email["c2@example.com"].contact.erased_at = datetime.now(UTC)  # erased on request
    session.commit()
    outcome = _send(app, wave, "reminder")
    assert (outcome.kind, outcome.round, outcome.sent) == ("reminder", 1, 3)
    assert _send(app, wave, "reminder").sent == 0  # the same round again: nobody twice
    second = _send(app, wave, "reminder", rnd=2)
    assert (second.round, second.sent) == (2, 3)
    with pytest.raises(waves.WaveError, match="round 2 or start round 3"):
        _send(app, wave, "reminder", rnd=4)
    reminded = Counter(m["To"].addresses[0].addr_spec for m in _outbox(tmp_path / "outbox"))
    assert reminded == Counter({"c3@example.com": 2, "c4@example.com": 2,
                                "c5@example.com": 2})


def test_never_to_deactivated_contacts_and_not_after_the_close(app, session, wave, tmp_path):
    contact = _deactivated_after_invite(session, wave)
    assert _send(app, wave).sent == 4
    addresses = {m["To"].addresses[0].addr_spec for m in _outbox(tmp_path / "outbox")}
    assert contact.email not in addresses and len(addresses) == 4
    wave_row = session.get(Campaign, wave.id)
    wave_row.closes_on = date(2027, 3, 9)
    session.commit()
    with pytest.raises(waves.WaveError, match="closed"):
        _send(app, wave)
    with pytest.raises(waves.WaveError, match="does not take answers"):
        _send(app, wave, "reminder")


def test_two_reminders_at_once_in_threads_send_one_each(app, session, make_account,
                                                        make_contact, tmp_path, monkeypatch):
    monkeypatch.setattr(outreach, "CLAIM_BATCH", 3)  # small batches: the two interleave
    account = make_account("A001")
    for _ in range(30):
        make_contact(account)
    with app.app_context():
        campaign, _n = waves.create_wave(
            session, waves.WaveRequest("Spring", ["servqual"]), app.config["SECRET_KEY"],
            app.config["INSTRUMENTS_DIR"])
    barrier = threading.Barrier(2)
    outcomes: list = []
    errors: list = []

    def remind():
        try:
            with app.app_context():
                session = get_session()
                wave = session.get(Campaign, campaign.id)
                sender = outreach.Sender.from_app("https://s.example.com")
                barrier.wait()
                outcomes.append(outreach.send_reminders(session, wave, sender, TODAY))
        except Exception as exc:  # noqa: BLE001 — reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=remind) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(o.sent for o in outcomes) == 30 and {o.round for o in outcomes} == {1}
    mails = _outbox(tmp_path / "outbox")
    assert len(mails) == 30 and len({m["To"].addresses[0].addr_spec for m in mails}) == 30
    assert session.scalar(select(func.count()).select_from(Message)) == 30


def test_two_wave_remind_commands_at_once_send_one_reminder_per_contact(
        app, session, make_account, make_contact, tmp_path):
    for k in range(3):  # 120 contacts: more than two claim batches, so the two interleave
        account = make_account(f"A00{k + 1}")
        for _ in range(40):
            make_contact(account)
    with app.app_context():
        campaign, invited = waves.create_wave(
            session, waves.WaveRequest("Spring", ["servqual"]), app.config["SECRET_KEY"],
            app.config["INSTRUMENTS_DIR"])
    env = {**os.environ, "SURVEYAPP_INSTANCE": str(tmp_path), "SECRET_KEY": "test-secret",
           "DATABASE_URL": app.config["DATABASE_URL"], "PUBLIC_URL": "https://s.example.com"}
    env.pop("MAIL_SERVER", None)
    command = [str(Path(sys.executable).parent / "surveyapp"), "wave", "remind",
               str(campaign.id)]
    runs = [subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in runs]
    assert [code for code, _out, _err in results] == [0, 0], results
    sent = [int(out.split()[1]) for _code, out, _err in results]
    assert sum(sent) == invited == 120
    mails = _outbox(tmp_path / "outbox")
    per_contact = Counter(m["To"].addresses[0].addr_spec for m in mails)
    assert len(per_contact) == 120 and set(per_contact.values()) == {1}
    assert all(_link_of(m).startswith("https://s.example.com/s/") for m in mails)
    session.expire_all()
    assert session.get(Campaign, campaign.id).reminder_round == 1



def test_cli_send_says_what_happened_and_fails_loudly(app, runner, session, wave, tmp_path):
    result = runner.invoke(args=["wave", "send", str(wave.id)])
    assert result.exit_code == 0
    assert result.output.startswith("Sent 5 invitations, 0 already sent (through the outbox")
    again = runner.invoke(args=["wave", "send", str(wave.id)])
    assert again.output.startswith("Sent 0 invitations, 5 already sent")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    reminded = runner.invoke(args=["wave", "remind", str(wave.id)])
    assert reminded.exit_code == 1  # every reminder failed: listed, kept for the next run
    assert "Sent 0 reminders (round 1), 0 already sent" in reminded.output
    assert "5 failed" in reminded.output and "A001-C1: cannot reach" in reminded.output
    wave_row = session.get(Campaign, wave.id)
    wave_row.closes_on = date(2000, 1, 1)
    session.commit()
    closed = runner.invoke(args=["wave", "remind", str(wave.id)])
    assert closed.exit_code == 2 and "does not take answers" in closed.output
    assert runner.invoke(args=["wave", "send", "999"]).exit_code == 2


def test_names_are_escaped_in_the_html_email(app, session, wave, tmp_path):
    contact = session.scalars(select(Contact).where(Contact.email == "c1@example.com")).one()
    contact.name = "<script>alert(1)</script>"
    session.commit()
    _send(app, wave)
    mail = next(m for m in _outbox(tmp_path / "outbox")
                if m["To"].addresses[0].addr_spec == "c1@example.com")
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in mail.get_body(("plain",)).get_content()
