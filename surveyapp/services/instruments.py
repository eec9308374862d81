"""Instrument versions stored with campaigns, and the questionnaire a campaign asks."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Instrument, InstrumentError, Questionnaire, load_instrument, loads_instrument

from ..models import Campaign, CampaignInstrument, InstrumentVersion

INSTRUMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def instrument_path(instrument_id: str, instruments_dir: str | Path | None = None) -> Path:
    """The file of a shipped (or configured) instrument; an id that is not an id (a path,
    ``..``) is an :class:`InstrumentError`, so no file outside the folder is ever read."""
    if not INSTRUMENT_ID.fullmatch(instrument_id or ""):
        raise InstrumentError(f"'{instrument_id}' is not an instrument id")
    folder = Path(instruments_dir or current_app.config["INSTRUMENTS_DIR"])
    path = folder / f"{instrument_id}.toml"
    if not path.is_file():
        raise InstrumentError(f"there is no instrument '{instrument_id}' in {folder}")
    return path


def available_instruments(instruments_dir: str | Path) -> list[Instrument]:
    """The instruments in the folder, by id (files that are not instruments, such as the
    stage thresholds, are left out)."""
    found = []
    for path in sorted(Path(instruments_dir).glob("*.toml")):
        try:
            found.append(load_instrument(path))
        except InstrumentError:
            continue
    return found


def store_version(session: Session, path: str | Path) -> InstrumentVersion:
    """The stored version of an instrument file, added (not committed) if new."""
    instrument = load_instrument(path)  # validates before anything is stored
    source = Path(path).read_text(encoding="utf-8")
    return _store_source(session, instrument, source)


def _store_source(session: Session, instrument: Instrument, source: str) -> InstrumentVersion:
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    existing = session.scalar(select(InstrumentVersion).where(
        InstrumentVersion.instrument_id == instrument.id, InstrumentVersion.sha256 == digest))
    if existing is not None:
        return existing
    row = InstrumentVersion(instrument_id=instrument.id, version=instrument.version,
                            sha256=digest, source=source)
    session.add(row)
    return row


def new_campaign(session: Session, name: str, instrument_ids: list[str],
                 wave: str | None = None, audience: str = "customer",
                 instruments_dir: str | Path | None = None) -> Campaign:
    """A campaign asking the named instruments in order (added, not committed).

    Every file is read and the questionnaire checked (answer ids unique across the
    instruments) before anything is added: a bad id or file raises
    :class:`InstrumentError` and leaves the session as it was.
    """
    sources = []
    for instrument_id in instrument_ids:
        path = instrument_path(instrument_id, instruments_dir)
        source = path.read_text(encoding="utf-8")
        sources.append((loads_instrument(source, str(path)), source))
    questionnaire = Questionnaire(tuple(instrument for instrument, _ in sources))
    versions = [_store_source(session, instrument, source) for instrument, source in sources]
    campaign = Campaign(name=name, wave=wave, audience=audience,
                        answer_columns_json=json.dumps(list(questionnaire.numeric_columns)))
    campaign.sections = [CampaignInstrument(position=k, instrument_version=v)
                         for k, v in enumerate(versions)]
    session.add(campaign)
    return campaign


@lru_cache(maxsize=64)
def _parse(source: str, label: str) -> Instrument:
    return loads_instrument(source, label)


def parse_version(version: InstrumentVersion) -> Instrument:
    return _parse(version.source, f"{version.instrument_id} v{version.version}")


def questionnaire_of(campaign: Campaign) -> Questionnaire:
    return Questionnaire(tuple(parse_version(s.instrument_version) for s in campaign.sections))
