"""Survey waves: `surveyapp wave create` / `wave list`, their errors, states and progress."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from surveyapp.models import (
    Account,
    Campaign,
    CampaignInstrument,
    Contact,
    Draft,
    InstrumentVersion,
    Invitation,
    User,
)
from surveyapp.services import progress, waves

LINE = re.compile(r"^Wave (\d+): (.+), (\d+) invitations$")


@pytest.fixture
def portfolio(session, make_account, make_contact):
    """Three accounts of two customer types, two owners, six contacts (one deactivated,
    one erased)."""
    owner = User(email="wang@example.com", password_hash="x")
    session.add(owner)
    session.commit()
    a = make_account("A001", customer_type="partnership", owner="wang@example.com",
                     revenue=100.0)
    b = make_account("A002", customer_type="value_added", owner="li@example.com",
                     revenue=300.0)
    c = make_account("A003", customer_type="partnership", revenue=600.0)
    c.owner_id = owner.id  # owned through the user link, not the owner text
    session.commit()
    contacts = [make_contact(a, "economic"), make_contact(a, "technical", lang="en"),
                make_contact(b, "economic"), make_contact(b, "user"),
                make_contact(c, "technical"), make_contact(c, "coach")]
    contacts[3].active = False
    contacts[5].erased_at = datetime.now(UTC)
    session.commit()
    return contacts


def _counts(session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (
        Campaign, Invitation, InstrumentVersion, CampaignInstrument))


def _create(runner, *args):
    return runner.invoke(args=["wave", "create", "--name", "Spring 2027", *args])


def _invited_codes(session, wave_id) -> set[str]:
    return set(session.scalars(select(Contact.code).join(
        Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.campaign_id == wave_id)))


def test_create_with_no_filter_invites_every_active_contact(runner, session, portfolio):
    result = _create(runner, "--instrument", "servqual", "--instrument", "satisfaction",
                     "--instrument", "loyalty", "--opens", "2027-03-01",
                     "--closes", "2027-03-31")
    assert result.exit_code == 0, result.output
    match = LINE.match(result.output.strip())
    assert match and match.group(2) == "Spring 2027" and match.group(3) == "4"
    wave = session.get(Campaign, int(match.group(1)))
    # the deactivated contact (index 3) and the erased one (5) are not invited
    assert _invited_codes(session, wave.id) == {portfolio[i].code for i in (0, 1, 2, 4)}
    assert (wave.opens_on, wave.closes_on, wave.anonymous) == (
        date(2027, 3, 1), date(2027, 3, 31), False)
    assert wave.wave == "Spring 2027"  # the label response files carry
    # the instrument versions are frozen into the wave, in the order given
    assert [s.instrument_version.instrument_id for s in wave.sections] == [
        "servqual", "satisfaction", "loyalty"]
    assert "sq01.e" in wave.answer_columns and "nps" in wave.answer_columns


@pytest.mark.parametrize(("args", "expected"), [
    (["--customer-type", "partnership"], {0, 1, 4}),
    (["--accounts", "A001,A002"], {0, 1, 2}),
    (["--role", "economic"], {0, 2}),
    (["--role", "经济买家"], {0, 2}),  # a role by its Chinese name
    (["--owner", "WANG@example.com"], {0, 1, 4}),  # owner text or user link, any case
    (["--customer-type", "partnership", "--role", "technical"], {1, 4}),  # filters AND
    (["--contacts", "A001-C1,A003-C5"], {0, 4}),
])
def test_create_filters(runner, session, portfolio, args, expected):
    result = _create(runner, "--instrument", "servqual", *args)
    assert result.exit_code == 0, result.output
    match = LINE.match(result.output.strip())
    assert int(match.group(3)) == len(expected)
    assert _invited_codes(session, int(match.group(1))) == {portfolio[i].code
                                                            for i in expected}


def test_create_anonymous_keeps_the_selection(runner, session, portfolio):
    result = _create(runner, "--instrument", "servqual", "--role", "economic", "--anonymous")
    wave = session.get(Campaign, int(LINE.match(result.output.strip()).group(1)))
    assert wave.anonymous is True
    assert json.loads(wave.selection_json) == {"role": "economic"}


@pytest.mark.parametrize(("args", "message"), [
    (["--instrument", "nosuch"], "no instrument 'nosuch'"),
    (["--instrument", "../instruments/servqual"], "not an instrument id"),
    (["--instrument", "servqual", "--instrument", "servqual"], "answer id 'sq01'"),
    (["--instrument", "servqual", "--opens", "2027-03-02", "--closes", "2027-03-01"],
     "closes (2027-03-01) before it opens (2027-03-02)"),
    (["--instrument", "servqual", "--accounts", "A001,NOPE"], "unknown account code(s): NOPE"),
    (["--instrument", "servqual", "--customer-type", "cheap"], "unknown customer type"),
    (["--instrument", "servqual", "--role", "ceo"], "unknown role 'ceo'"),
    (["--instrument", "servqual", "--owner", "nobody@example.com"], "no active contact"),
    # the only contact in this account and role is deactivated
    (["--instrument", "servqual", "--accounts", "A002", "--role", "user"], "no active contact"),
])
def test_create_errors_store_nothing(runner, session, portfolio, args, message):
    before = _counts(session)
    result = _create(runner, *args)
    assert result.exit_code == 2
    assert message in result.output and "nothing was stored" in result.output
    assert _counts(session) == before


def test_bad_date_is_a_usage_error(runner, session, portfolio):
    result = _create(runner, "--instrument", "servqual", "--opens", "31.03.2027")
    assert result.exit_code == 2 and "%Y-%m-%d" in result.output
    assert _counts(session) == (0, 0, 0, 0)


def test_wave_states():
    wave = Campaign(name="w", answer_columns_json="[]", opens_on=date(2027, 3, 1),
                    closes_on=date(2027, 3, 31))
    assert waves.wave_state(wave, date(2027, 2, 28), reached=False) == waves.SCHEDULED
    assert waves.wave_state(wave, date(2027, 3, 1), reached=False) == waves.NOT_SENT
    assert waves.wave_state(wave, date(2027, 3, 31), reached=True) == waves.OPEN
    assert waves.wave_state(wave, date(2027, 4, 1), reached=True) == waves.CLOSED
    assert waves.accepts_answers(wave, date(2027, 3, 31))  # the close date is inclusive
    assert not waves.accepts_answers(wave, date(2027, 4, 1))


def test_list_shows_state_dates_kind_and_progress(runner, session, portfolio):
    _create(runner, "--instrument", "servqual", "--closes", "2000-01-31")
    _create(runner, "--instrument", "servqual", "--anonymous", "--role", "economic")
    first = session.scalars(select(Invitation).order_by(Invitation.id)).first()
    first.responded_at = datetime.now(UTC)
    session.commit()
    result = runner.invoke(args=["wave", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "state", "opens", "closes", "kind", "submitted", "name"]
    assert lines[1].split() == ["2", "not_sent", "-", "-", "anonymous", "0/2", "0%",
                                "Spring", "2027"]
    assert lines[2].split() == ["1", "closed", "-", "2000-01-31", "named", "1/4", "25%",
                                "Spring", "2027"]


def test_progress_by_hand(runner, session, portfolio, make_account, make_contact):
    # a fourth account without revenue, one contact who submits
    d = make_account("A004", customer_type="value_added")
    extra = make_contact(d, "economic")
    result = _create(runner, "--instrument", "servqual")
    wave = session.get(Campaign, int(LINE.match(result.output.strip()).group(1)))
    inv = {i.contact.code: i for i in session.scalars(
        select(Invitation).where(Invitation.campaign_id == wave.id))}
    now = datetime.now(UTC)
    # A001: C1 opened only, C2 submitted; A002: C3 started (draft only, no started_at);
    # A003: C5 opened and started; A004: submitted
    inv[portfolio[0].code].opened_at = now
    inv[portfolio[1].code].responded_at = now  # submitted without a recorded visit
    session.add(Draft(invitation_id=inv[portfolio[2].code].id, answers_json="{}"))
    inv[portfolio[4].code].opened_at = now
    inv[portfolio[4].code].started_at = now
    inv[extra.code].responded_at = now
    inv[portfolio[0].code].sent_at = now
    session.commit()

    result = progress.wave_progress(session, wave)
    by_code = {a.code: a.funnel for a in result.accounts}
    # hand count: invited 5 (C4 deactivated, C6 erased); opened = C1, C2 (submitted),
    # C3 (draft), C5, A004's contact = 5; partly = C3, C5 = 2; submitted = C2, A004 = 2
    assert (result.total.invited, result.total.emailed, result.total.opened,
            result.total.partly, result.total.submitted) == (5, 1, 5, 2, 2)
    assert (by_code["A001"].invited, by_code["A001"].opened, by_code["A001"].submitted) == (
        2, 2, 1)
    assert (by_code["A002"].invited, by_code["A002"].partly, by_code["A002"].submitted) == (
        1, 1, 0)
    # revenue spoken: A001 (100) has a response, A002 (300) and A003 (600) none; A004 has
    # no revenue figure and is counted apart → 100 / (100 + 300 + 600) = 0.1
    assert result.revenue_invited == 1000.0 and result.revenue_spoken == 100.0
    assert result.revenue_share == pytest.approx(0.1)
    assert result.accounts_without_revenue == 1 and result.accounts_spoken == 2
    assert result.total.response_rate == pytest.approx(2 / 5)


def test_progress_of_a_wave_nobody_with_revenue(session, runner, make_account, make_contact):
    make_contact(make_account("B001"), "economic")
    result = _create(runner, "--instrument", "servqual")
    wave = session.get(Campaign, int(LINE.match(result.output.strip()).group(1)))
    figures = progress.wave_progress(session, wave)
    assert figures.revenue_share is None and figures.accounts_without_revenue == 1
    assert session.scalar(select(func.count()).select_from(Account)) == 1
