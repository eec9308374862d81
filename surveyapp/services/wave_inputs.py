"""Database → analysis: a wave's answers, the managers' latest assessment and the accounts,
as the frames and options :func:`analysis.analyze` takes.

The only place that turns stored rows into analysis input; :mod:`.scoring` runs the
analysis on it and stores the result. (Files → analysis is :mod:`.analysis_run`; results
→ pages is :mod:`.figures`.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from analysis import AnalysisOptions, Questionnaire, StageModel, load_stage_model
from analysis.frames import ACCOUNT_NUMERIC_COLUMNS
from analysis.rollup import role_weights

from ..models import Account, Campaign, Contact, Invitation, Response
from .answer_store import waves_frame
from .campaigns import latest_campaign
from .instruments import questionnaire_of

ACCOUNT_FIELDS = ("name", "industry", "customer_type", "owner", "period",
                  *ACCOUNT_NUMERIC_COLUMNS)
# in an anonymous wave a role with fewer answers than this in an account is merged
ANONYMOUS_MIN_ROLE_ANSWERS = 3


@dataclass(frozen=True)
class ScoringSettings:
    """The settings the figures depend on, passed in rather than read from the app."""

    role_weights: Mapping[str, float] | None = None  # the ROLE_WEIGHTS setting (partial ok)
    stages_file: Path | None = None  # None: no relationship stages
    stages_required: bool = False  # a configured STAGES_FILE must exist

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScoringSettings:
        configured = config.get("STAGES_FILE")
        path = Path(configured) if configured else Path(
            config["INSTRUMENTS_DIR"]) / "stages.toml"
        return cls(role_weights=config.get("ROLE_WEIGHTS"), stages_file=path,
                   stages_required=bool(configured))

    def weights(self) -> dict[str, float]:
        """The setting merged over the default weights."""
        return role_weights(self.role_weights)

    def stage_source(self) -> str | None:
        """The stage file's text (None when the default file is absent)."""
        if self.stages_file is None:
            return None
        if self.stages_file.exists() or self.stages_required:
            return self.stages_file.read_text(encoding="utf-8")
        return None


@dataclass
class WaveInputs:
    """Everything one analysis of a wave reads, and the facts that identify it."""

    campaign: Campaign
    questionnaire: Questionnaire
    responses: pd.DataFrame
    accounts: pd.DataFrame
    options: AnalysisOptions
    stage_model: StageModel | None
    coverage: pd.DataFrame  # per account: contacts invited, responded
    facts: dict[str, Any] = field(default_factory=dict)


def accounts_frame(session: Session) -> pd.DataFrame:
    """Every account in the accounts file format (``account_id`` = the account's code)."""
    columns = [Account.code, *(getattr(Account, f) for f in ACCOUNT_FIELDS)]
    rows = session.execute(select(*columns).order_by(Account.code)).all()
    frame = pd.DataFrame(rows, columns=["account_id", *ACCOUNT_FIELDS])
    for name in ACCOUNT_NUMERIC_COLUMNS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("account_id", "name", "industry", "customer_type", "owner", "period"):
        frame[name] = frame[name].astype("string")
    return frame


def coverage_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    """Per account code: contacts invited to the wave and those who responded."""
    # grouped by the integer account id, then named: no join of a million rows to accounts
    rows = session.execute(
        select(Contact.account_id, func.count(Invitation.id),
               func.count(Invitation.responded_at))
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Contact.account_id)).all()
    codes = dict(session.execute(select(Account.id, Account.code)).all())
    frame = pd.DataFrame([(codes[a], invited, responded) for a, invited, responded in rows],
                         columns=["account_id", "invited", "responded"])
    frame = frame.sort_values("account_id", ignore_index=True)
    return frame.astype({"account_id": "string", "invited": "int64", "responded": "int64"})


def response_facts(session: Session, campaign_id: int) -> tuple[int, int | None]:
    """Stored responses of a wave and the newest one's id (cheap: one indexed query)."""
    count, last = session.execute(
        select(func.count(Response.id), func.max(Response.id))
        .where(Response.campaign_id == campaign_id)).one()
    return int(count or 0), last


def fingerprint(session: Session, campaign: Campaign,
                settings: ScoringSettings) -> tuple[str, dict[str, Any]]:
    """A digest of everything the wave's figures rest on, and those facts as data.

    Cheap (counts, maxima and a hash of the accounts table; no answers read), so a
    recompute job can tell in milliseconds that the newest run is still current.
    """
    count, last = response_facts(session, campaign.id)
    assessment = latest_campaign(session, audience="manager")
    facts: dict[str, Any] = {
        "responses": count, "last_response_id": last,
        "instruments": _versions(campaign), "anonymous": bool(campaign.anonymous),
        "role_weights": settings.weights(),
    }
    if assessment is not None:
        a_count, a_last = response_facts(session, assessment.id)
        facts["assessment"] = {"campaign_id": assessment.id, "responses": a_count,
                               "last_response_id": a_last,
                               "instruments": _versions(assessment)}
    stages = settings.stage_source()
    facts["stages_sha256"] = None if stages is None else hashlib.sha256(
        stages.encode("utf-8")).hexdigest()
    accounts = accounts_frame(session)
    facts["accounts"] = len(accounts)
    facts["accounts_sha256"] = hashlib.sha256(
        pd.util.hash_pandas_object(accounts, index=False).to_numpy().tobytes()).hexdigest()
    contacts = session.execute(
        select(func.count(Contact.id), func.max(Contact.id))).one()
    invited = session.execute(
        select(func.count(Invitation.id), func.count(Invitation.responded_at),
               _assignment_checksum())
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.campaign_id == campaign.id)).one()
    facts["contacts"] = [int(contacts[0] or 0), contacts[1]]
    facts["invitations"] = [int(invited[0] or 0), int(invited[1] or 0)]
    # the invited contacts' accounts: coverage counts each invitation under its contact's
    # account today, so a contact moved to another account changes the figures
    facts["invited_accounts"] = int(invited[2] or 0)
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode(
        "utf-8")).hexdigest()
    return digest, facts


_CHECKSUM_MODULUS = 2_147_483_647  # a prime: (x mod p)² fits a 64-bit integer
_CHECKSUM_MULTIPLIER = 1_000_003


def _assignment_checksum() -> Any:
    """An order-free checksum of the invited (contact, account) pairs, summed in the
    database (one row back, whatever the wave's size). Each pair's term is
    ``((c·m + a) mod p)² mod p``: a moved contact changes its term, and the square keeps two
    contacts that swap accounts from cancelling out as a plain sum of ``c·a`` would. Each
    term is below p, so the sum stays exact in SQLite's 64-bit integers."""
    p, m = _CHECKSUM_MODULUS, _CHECKSUM_MULTIPLIER
    contact, account = cast(Invitation.contact_id, BigInteger), cast(Contact.account_id,
                                                                      BigInteger)
    pair = ((contact % p) * m + account % p) % p  # 64-bit on PostgreSQL too
    return func.sum((pair * pair) % p)


def _versions(campaign: Campaign) -> list[dict[str, Any]]:
    return [{"id": s.instrument_version.instrument_id,
             "version": s.instrument_version.version,
             "sha256": s.instrument_version.sha256} for s in campaign.sections]


def load_inputs(session: Session, campaign: Campaign, settings: ScoringSettings,
                facts: dict[str, Any] | None = None) -> WaveInputs:
    """The wave's customers' answers with the latest managers' assessment beside them.

    No customer's contact id enters the analysis; in an anonymous wave per-role views merge
    roles with fewer than :data:`ANONYMOUS_MIN_ROLE_ANSWERS` answers in an account.
    ``facts``: the :func:`fingerprint` facts when the caller has just taken them (they
    are not taken twice).
    """
    if facts is None:
        _digest, facts = fingerprint(session, campaign, settings)
    waves = [campaign]
    instruments = list(questionnaire_of(campaign).instruments)
    assessment = latest_campaign(session, audience="manager")
    if assessment is not None:
        waves.append(assessment)
        instruments += questionnaire_of(assessment).instruments
    # one frame read straight from the rows (no per-wave frames concatenated: no copy).
    # No figure uses a customer's contact id (the grid keys the managers' rows by contact),
    # so customers' rows come without it: in anonymous waves a promise, in all a saving
    # of a million codes
    responses = waves_frame(session, waves,
                            with_contacts=[w.audience != "customer" for w in waves])
    source = settings.stage_source()
    model = None
    if source is not None and settings.stages_file is not None:
        model = load_stage_model(settings.stages_file)
    options = AnalysisOptions(
        role_weights=settings.weights(), stage_model=model,
        min_role_answers=ANONYMOUS_MIN_ROLE_ANSWERS if campaign.anonymous else 0)
    return WaveInputs(campaign, Questionnaire(tuple(instruments)), responses,
                      accounts_frame(session), options, model,
                      coverage_frame(session, campaign), facts)
