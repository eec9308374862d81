"""Views: any instrument file — shipped, or in the configured instruments folder — shown in
either of its languages as a respondent sees it. Read-only: no link, no token, nothing
saved; the survey's own layout and widgets draw it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import abort, current_app, render_template, request
from flask_babel import force_locale
from flask_login import login_required

from analysis import Instrument, InstrumentError, Questionnaire, load_instrument

from ..config import instruments_dir
from ..services.instruments import INSTRUMENT_ID
from ..survey.forms import OPEN_TEXT_MAX
from ..survey.layout import survey_for
from . import bp


def _folders() -> list[Path]:
    """The configured instruments folder first, then the shipped one (when they differ)."""
    folders = [Path(current_app.config["INSTRUMENTS_DIR"]), instruments_dir()]
    return list(dict.fromkeys(f.resolve() for f in folders if f.is_dir()))


def _listing() -> list[tuple[Instrument, Path]]:
    found: dict[str, tuple[Instrument, Path]] = {}
    for folder in _folders():
        for path in sorted(folder.glob("*.toml")):
            try:
                instrument = load_instrument(path)
            except InstrumentError:
                continue  # the stage thresholds and other files that are not instruments
            found.setdefault(instrument.id, (instrument, path))
    return sorted(found.values(), key=lambda pair: pair[0].id)


def _find(instrument_id: str) -> tuple[Instrument, Path]:
    if not INSTRUMENT_ID.fullmatch(instrument_id):
        abort(404)
    for folder in _folders():
        path = folder / f"{instrument_id}.toml"
        if path.is_file():
            try:
                return load_instrument(path), path
            except InstrumentError:
                abort(404)
    abort(404)


@bp.route("/instruments")
@login_required
def instruments_list():
    return render_template("preview/list.html", instruments=_listing())


@bp.route("/instruments/<instrument_id>/preview")
@login_required
def instrument_preview(instrument_id: str):
    instrument, path = _find(instrument_id)
    lang = request.args.get("in") or instrument.languages[0]
    if lang not in instrument.languages or lang not in current_app.config["LANGUAGES"]:
        abort(404)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    survey = survey_for(("preview", digest), lang, lambda: Questionnaire((instrument,)))
    with force_locale(lang):  # the whole page as the respondent would read it
        return render_template("preview/show.html", instrument=instrument, survey=survey,
                               preview_lang=lang, open_text_max=OPEN_TEXT_MAX)
