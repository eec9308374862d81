"""The fingerprint that tells a current run from a stale one: a contact moved to another
account makes the wave's run stale (coverage counts each invitation under its contact's
account today); edits that no figure reads do not."""

from __future__ import annotations

from sqlalchemy import select

from surveyapp.models import ScoringRun
from surveyapp.services import scoring, surveys
from surveyapp.services.wave_inputs import ScoringSettings, coverage_frame, fingerprint
from tests.app.test_scoring import answers


def _digest(app, session, campaign):
    with app.app_context():
        return fingerprint(session, campaign, ScoringSettings.from_config(app.config))[0]


def _recompute(app, session, campaign):
    """A new run when the stored one is stale, None when it is current."""
    with app.app_context():
        return scoring.recompute(session, campaign, ScoringSettings.from_config(app.config))


def test_a_moved_contact_makes_the_run_stale_and_nothing_else_does(
        app, session, make_account, make_contact, make_campaign, invite):
    first, second = make_account("A001"), make_account("A002", name="第二客户")
    campaign = make_campaign()
    contacts = [make_contact(first, role="economic"), make_contact(first, role="user"),
                make_contact(second, role="technical")]
    links = [invite(campaign, c)[0] for c in contacts]
    with app.app_context():
        surveys.submit(session, links[0], answers(6, 5), "zh")  # queues (and runs) a run
    assert _recompute(app, session, campaign) is None  # the stored run is current
    before = _digest(app, session, campaign)

    # what no figure reads: a contact's name, e-mail and language
    contacts[1].name, contacts[1].email, contacts[1].lang = "新名字", "new@example.com", "en"
    session.commit()
    assert _digest(app, session, campaign) == before
    assert _recompute(app, session, campaign) is None

    # the user moves to the second account: coverage counts that invitation there now
    contacts[1].account = second
    session.commit()
    moved = _digest(app, session, campaign)
    assert moved != before
    run = _recompute(app, session, campaign)
    assert run is not None and run.status == "ok"
    with app.app_context():
        coverage = coverage_frame(session, campaign).set_index("account_id")
    assert coverage.loc["A001", "invited"] == 1 and coverage.loc["A002", "invited"] == 2
    assert _recompute(app, session, campaign) is None  # and now it is current again

    # two contacts swapping accounts keep every count, and still change the digest
    contacts[0].account, contacts[2].account = second, first
    session.commit()
    swapped = _digest(app, session, campaign)
    assert swapped not in (before, moved)
    assert _recompute(app, session, campaign) is not None
    stored = session.scalars(select(ScoringRun).where(
        ScoringRun.campaign_id == campaign.id).order_by(ScoringRun.id)).all()
    assert [r.fingerprint for r in stored][-2:] == [moved, swapped]
