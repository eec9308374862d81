"""Survey links: printed again from the key and salt, never from the database alone; the
links CSV/XLSX and QR codes."""

from __future__ import annotations

import csv
import io
import re

import pytest
import segno
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import Contact, Invitation
from surveyapp.services import invitations, links, waves

KEY = "test-secret"


@pytest.fixture
def wave(app, session, make_account, make_contact):
    a, b = make_account("A001"), make_account("A002", name="=HYPERLINK(\"x\")")
    make_contact(a, "economic", name="王伟")
    make_contact(a, "technical", lang="en", name="=cmd|' /C calc'!A0")
    make_contact(b, "user", name="李娜")
    gone = make_contact(b, "coach", name="Left")
    with app.app_context():
        campaign, _n = waves.create_wave(session, waves.WaveRequest("W", ["servqual"]), KEY,
                                         app.config["INSTRUMENTS_DIR"])
    gone.active = False
    session.commit()
    return campaign


def test_a_link_is_recovered_from_the_salt_and_the_key_only(session, wave):
    invitation = session.scalars(select(Invitation)).first()
    token = invitations.recover_token(invitation, KEY)
    assert token is not None and len(token) == invitations.DERIVED_LENGTH
    assert invitations.find(session, token).id == invitation.id
    assert invitations.recover_token(invitation, KEY) == token  # the same link twice
    # the database holds the salt and a hash, never the token or anything that gives it
    assert token not in invitation.token_hash and invitation.token_hash[:15] == token[:15]
    assert invitations.recover_token(invitation, "another key") is None
    # a token with a changed MAC finds nothing
    forged = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert invitations.find(session, forged) is None


def test_reissue_stops_the_old_link(session, wave):
    invitation = session.scalars(select(Invitation)).first()
    old = invitations.recover_token(invitation, KEY)
    new = invitations.reissue(invitation, KEY)
    session.commit()
    assert new != old and invitations.find(session, old) is None
    assert invitations.find(session, new).id == invitation.id


def test_links_of_the_first_scheme_still_open_but_cannot_be_printed(session, wave):
    invitation = session.scalars(select(Invitation)).first()
    token, digest = invitations.new_token(None)  # a random token, as stored before
    invitation.token_hash = digest
    session.commit()
    assert invitations.find(session, token).id == invitation.id
    assert invitations.recover_token(invitation, KEY) is None


def test_links_csv_has_each_reachable_contact_once(runner, session, wave, tmp_path):
    path = tmp_path / "links.csv"
    result = runner.invoke(args=["wave", "links", str(wave.id), "--csv", str(path)])
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese names
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["contact_id"] for r in rows] == ["A001-C1", "A001-C2", "A002-C3"]
    assert list(rows[0]) == ["contact_id", "account_id", "email", "lang", "link", "name"]
    assert rows[0]["name"] == "王伟" and rows[1]["lang"] == "en"
    assert rows[1]["name"] == "'=cmd|' /C calc'!A0"  # never a formula in a spreadsheet
    for row in rows:
        token = re.fullmatch(r"http://[^/]+/s/(\S+)", row["link"]).group(1)
        found = invitations.find(session, token)
        assert found.contact.code == row["contact_id"]
        assert found.contact.account.code == row["account_id"]
        assert found.contact.email == row["email"]
    # run again: the same links (nothing reissued)
    runner.invoke(args=["wave", "links", str(wave.id), "--csv", str(tmp_path / "2.csv")])
    assert (tmp_path / "2.csv").read_bytes() == raw


def test_links_xlsx_cells_are_text(session, wave):
    rows = links.link_rows(session, wave, KEY, "https://s.example.com")
    sheet = load_workbook(io.BytesIO(links.links_xlsx(rows))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == list(links.LINK_COLUMNS)
    assert values[2][5] == "=cmd|' /C calc'!A0"
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
    assert values[1][4] == rows[0].link


def test_qr_codes_carry_the_link(runner, session, wave, tmp_path):
    result = runner.invoke(args=["wave", "links", str(wave.id), "--qr", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    rows = links.link_rows(session, wave, KEY, "http://127.0.0.1:5000")
    for row in rows:
        png = (tmp_path / "qr" / f"{row.contact_code}.png").read_bytes()
        svg = (tmp_path / "qr" / f"{row.contact_code}.svg").read_text(encoding="utf-8")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert svg.startswith("<?xml") and f"<title>{row.link}</title>" in svg
        # segno cannot decode; the code drawn is the one segno makes for this very link
        assert png == links.qr_png(row.link)
        expected = segno.make(row.link, error="m", micro=False)
        assert links.qr_code(row.link).matrix == expected.matrix
        assert expected.designator.endswith("-M")
    assert len(list((tmp_path / "qr").iterdir())) == 2 * len(rows)


def test_links_needs_an_output_and_a_wave(runner, wave):
    assert runner.invoke(args=["wave", "links", str(wave.id)]).exit_code == 2
    missing = runner.invoke(args=["wave", "links", "999", "--csv", "x.csv"])
    assert missing.exit_code == 2 and "no survey wave 999" in missing.output


def test_deactivated_contacts_get_no_link(session, wave):
    codes = {r.contact_code for r in links.link_rows(session, wave, KEY, "http://x")}
    inactive = session.scalar(select(Contact.code).where(Contact.active.is_(False)))
    assert inactive not in codes and len(codes) == 3


def _make_unprintable(session, invitation) -> str:
    token, digest = invitations.new_token(None)  # as stored before links were derived
    invitation.token_hash = digest
    session.commit()
    return token


def test_reissue_gives_old_invitations_printable_links(runner, session, wave, tmp_path):
    first, second = session.scalars(select(Invitation).order_by(Invitation.id)).all()[:2]
    old = _make_unprintable(session, first)
    answered_old = _make_unprintable(session, second)
    invitations.mark_answered(second)  # answered: it needs no new link
    session.commit()
    path = tmp_path / "links.csv"
    result = runner.invoke(args=["wave", "links", str(wave.id), "--csv", str(path)])
    assert "cannot be printed again" in result.output
    blank = [r for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))
             if not r["link"]]
    assert [r["contact_id"] for r in blank] == ["A001-C1", "A001-C2"]
    result = runner.invoke(args=["wave", "links", str(wave.id), "--csv", str(path),
                                 "--reissue"])
    assert result.exit_code == 0 and "Reissued 1 links." in result.output
    session.expire_all()
    assert invitations.find(session, old) is None  # the old link stopped working
    assert invitations.find(session, answered_old).id == second.id  # untouched
    rows = {r["contact_id"]: r for r in csv.DictReader(io.StringIO(
        path.read_text("utf-8-sig")))}
    token = rows["A001-C1"]["link"].rsplit("/", 1)[1]
    assert invitations.find(session, token).id == first.id


def test_reissue_from_the_wave_page(logged_in, session, wave):
    first = session.scalars(select(Invitation).order_by(Invitation.id)).first()
    old = _make_unprintable(session, first)
    page = logged_in.get(f"/waves/{wave.id}?lang=en").get_data(as_text=True)
    assert "1 unanswered invitations were made before links could be shown again" in page
    logged_in.post(f"/waves/{wave.id}/reissue")
    session.expire_all()
    assert invitations.find(session, old) is None
    assert invitations.recover_token(session.get(Invitation, first.id), KEY) is not None
    page = logged_in.get(f"/waves/{wave.id}?lang=en").get_data(as_text=True)
    assert "were made before links could be shown again" not in page


def test_a_printed_link_opens_the_survey(client, session, wave):
    row = links.link_rows(session, wave, KEY, "http://localhost")[0]
    response = client.get(row.link.removeprefix("http://localhost"))
    assert response.status_code == 200
    session.expire_all()
    assert invitations.find(session, row.link.rsplit("/", 1)[1]).opened_at is not None
