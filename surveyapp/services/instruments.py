"""Instrument versions stored with campaigns, and the questionnaire a campaign asks."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Instrument, Questionnaire, load_instrument, loads_instrument

from ..models import Campaign, CampaignInstrument, InstrumentVersion


def instrument_path(instrument_id: str) -> Path:
    return Path(current_app.config["INSTRUMENTS_DIR"]) / f"{instrument_id}.toml"


def store_version(session: Session, path: str | Path) -> InstrumentVersion:
    """The stored version of an instrument file, added (not committed) if new."""
    instrument = load_instrument(path)  # validates before anything is stored
    source = Path(path).read_text(encoding="utf-8")
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
                 wave: str | None = None, audience: str = "customer") -> Campaign:
    """A campaign asking the named instruments in order (added, not committed)."""
    versions = [store_version(session, instrument_path(i)) for i in instrument_ids]
    questionnaire = Questionnaire(tuple(parse_version(v) for v in versions))
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
