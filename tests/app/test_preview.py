"""Instrument preview: any instrument file in either language, as a respondent sees it,
read-only (no form that posts, no link, nothing stored)."""

from __future__ import annotations

import shutil

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from analysis import load_instrument
from surveyapp.models import Response
from tests.conftest import REPO

SERVQUAL = load_instrument(REPO / "instruments" / "servqual.toml")


def test_the_list_names_every_instrument_with_its_languages(logged_in):
    page = logged_in.get("/instruments?lang=en").get_data(as_text=True)
    for name in ("servqual.toml", "loyalty.toml", "relationship.toml", "grid25.toml"):
        assert name in page
    assert "stages.toml" not in page  # the stage thresholds are not a questionnaire
    assert "/instruments/servqual/preview?in=en" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_preview_shows_every_item_in_the_language_asked(logged_in, session, lang):
    page = logged_in.get(f"/instruments/servqual/preview?in={lang}").get_data(as_text=True)
    for item in SERVQUAL.items:
        assert str(escape(item.text.get(lang))) in page
    assert SERVQUAL.facets["e"].label.get(lang) in page
    assert ("第 1 页" if lang == "zh" else "Page 1 of") in page
    assert 'method="post"' not in page.split("</header>")[1]  # nothing to submit
    assert "<fieldset disabled" in page
    assert session.scalar(select(func.count(Response.id))) == 0


@pytest.mark.parametrize("url", ["/instruments/nosuch/preview", "/instruments/stages/preview",
                                 "/instruments/servqual/preview?in=fr",
                                 "/instruments/..%2Fpyproject/preview"])
def test_what_is_not_an_instrument_is_not_found(logged_in, url):
    assert logged_in.get(url).status_code == 404


def test_an_instrument_in_the_configured_folder_is_previewed(app, logged_in, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    source = (REPO / "instruments" / "pulse.toml").read_text(encoding="utf-8")
    (folder / "custom_pulse.toml").write_text(
        source.replace('id = "pulse"', 'id = "custom_pulse"', 1), encoding="utf-8")
    shutil.copy(REPO / "instruments" / "stages.toml", folder / "stages.toml")
    app.config["INSTRUMENTS_DIR"] = str(folder)
    listing = logged_in.get("/instruments").get_data(as_text=True)
    assert "custom_pulse.toml" in listing and "servqual.toml" in listing  # shipped too
    assert logged_in.get("/instruments/custom_pulse/preview?in=en").status_code == 200


def test_the_preview_needs_a_login(client):
    assert client.get("/instruments/servqual/preview").status_code == 302
