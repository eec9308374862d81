"""The account manager's own assessment of an account, entered and edited in the app.

Stored where the demo and the accounts import keep it — the newest ``audience="manager"``
campaign, which the analysis reads beside every customer wave:

- the relationship indicators (``relationship.toml``): rows with the account and no
  contact; per column the latest answer counts (``analysis.stages.latest_assessment``),
  so an edit adds a row with the answers that changed and the history stays;
- the twenty-five grid (``grid25.toml``): likewise, one row per contact;
- Gap 1's expectations "as customers would" (``servqual_gap1.toml``): every row that
  answers them is one manager's estimate, so the account's estimate is one row (role
  ``manager``) that an edit replaces rather than adds to.

An edit is one transaction with its audit event, then marks every wave's figures stale.
A blank field keeps the previous answer (as a blank cell does in an import).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from analysis import Instrument

from ..models import Account, Campaign, Contact, Response
from . import audit, scoring
from .campaigns import latest_campaign
from .instruments import new_campaign, questionnaire_of
from .responses import pack, unpack

RELATIONSHIP, GRID, GAP1 = "relationship", "grid25", "servqual_gap1"
SECTIONS = (RELATIONSHIP, GRID, GAP1)
CAMPAIGN_NAME = "客户经理评估 / Account manager assessment"
GAP1_ROLE = "manager"


class AssessmentError(ValueError):
    """An answer outside its scale, or a field that is not part of the assessment."""


@dataclass
class Assessment:
    """What the page shows and edits: the sections the stored assessment asks, and the
    current answers (NaN-free: a missing answer is absent)."""

    campaign: Campaign | None
    instruments: dict[str, Instrument]  # section id → instrument (only those asked)
    account_answers: dict[str, float] = field(default_factory=dict)  # relationship + gap 1
    grid: dict[int, dict[str, float]] = field(default_factory=dict)  # contact id → answers
    contacts: list[Contact] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # sections the stored campaign lacks


def _instruments(campaign: Campaign | None) -> dict[str, Instrument]:
    if campaign is None:
        return {}
    return {i.id: i for i in questionnaire_of(campaign).instruments if i.id in SECTIONS}


def _latest(rows: list[tuple[datetime, int, dict[str, float]]]) -> dict[str, float]:
    latest: dict[str, float] = {}
    for _when, _id, values in sorted(rows, key=lambda r: (r[0], r[1])):
        latest.update({k: v for k, v in values.items() if not math.isnan(v)})
    return latest


def load(session: Session, account: Account, instruments_dir: str | Path) -> Assessment:
    """The account's current assessment in the newest managers' campaign."""
    campaign = latest_campaign(session, audience="manager")
    asked = _instruments(campaign)
    if campaign is None:
        missing = [s for s in SECTIONS if (Path(instruments_dir) / f"{s}.toml").is_file()]
        from analysis import load_instrument

        asked = {s: load_instrument(Path(instruments_dir) / f"{s}.toml") for s in missing}
        missing = []
    else:
        missing = [s for s in SECTIONS if s not in asked]
    contacts = [c for c in account.contacts if c.erased_at is None]
    result = Assessment(campaign, asked, contacts=contacts, missing=missing)
    if campaign is None:
        return result
    columns = campaign.answer_columns
    rows = session.execute(select(Response.submitted_at, Response.id, Response.contact_id,
                                  Response.values)
                           .where(Response.campaign_id == campaign.id,
                                  Response.account_id == account.id)).all()
    own: list[tuple[datetime, int, dict[str, float]]] = []
    per_contact: dict[int, list[tuple[datetime, int, dict[str, float]]]] = {}
    for when, response_id, contact_id, blob in rows:
        values = dict(zip(columns, unpack([blob], len(columns))[0].tolist(), strict=True))
        target = own if contact_id is None else per_contact.setdefault(contact_id, [])
        target.append((when, response_id, values))
    result.account_answers = _latest(own)
    result.grid = {c: _latest(r) for c, r in per_contact.items()}
    return result


def _check(instrument: Instrument, given: Mapping[str, object]) -> dict[str, float]:
    """The given answers of one instrument as numbers on their scales; blank = left out."""
    scales = {col: instrument.scales[item.scale] for item in instrument.items
              for col in item.columns}
    checked: dict[str, float] = {}
    for column, raw in given.items():
        if column not in scales:
            raise AssessmentError(f"'{column}' is not a question of {instrument.id}.toml")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise AssessmentError(f"'{column}': '{raw}' is not a number") from None
        scale = scales[column]
        if not value.is_integer() or not scale.min <= value <= scale.max:
            raise AssessmentError(f"'{column}': {raw} is not a point of its scale "
                                  f"{scale.min}–{scale.max}")
        checked[column] = value
    return checked


@dataclass
class Edit:
    """What an edit changed (empty when nothing did)."""

    columns: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.columns or self.contacts)


def save(session: Session, account: Account, answers: Mapping[str, object],
         grid: Mapping[int, Mapping[str, object]], instruments_dir: str | Path,
         actor: object = audit.FROM_REQUEST) -> Edit:
    """Store the changed answers (``answers``: relationship and Gap 1 columns; ``grid``:
    contact id → grid columns) in one transaction with an ``assessment.edited`` audit
    event, then mark the figures stale. Raises :class:`AssessmentError`, storing nothing,
    for an answer off its scale, an unknown field or another account's contact."""
    current = load(session, account, instruments_dir)
    asked = current.instruments
    by_section: dict[str, dict[str, float]] = {}
    remaining = dict(answers)
    for section in (RELATIONSHIP, GAP1):
        if section in asked:
            mine = {c: remaining.pop(c) for c in list(remaining)
                    if c in asked[section].numeric_columns}
            by_section[section] = _check(asked[section], mine)
    if remaining:
        raise AssessmentError(f"'{next(iter(remaining))}' is not a question of this "
                              "assessment")
    contact_ids = {c.id: c for c in current.contacts}
    grid_checked: dict[int, dict[str, float]] = {}
    for contact_id, values in grid.items():
        if contact_id not in contact_ids:
            raise AssessmentError(f"contact {contact_id} is not a contact of this account")
        if GRID not in asked:
            raise AssessmentError("this assessment has no twenty-five grid")
        grid_checked[contact_id] = _check(asked[GRID], values)

    edit = Edit()
    now = datetime.now(UTC)
    changes = {s: {c: v for c, v in by_section.get(s, {}).items()
                   if current.account_answers.get(c) != v} for s in (RELATIONSHIP, GAP1)}
    grid_changes = {cid: {c: v for c, v in vals.items()
                          if current.grid.get(cid, {}).get(c) != v}
                    for cid, vals in grid_checked.items()}
    grid_changes = {cid: v for cid, v in grid_changes.items() if v}
    if not any(changes.values()) and not grid_changes:
        return edit
    campaign = current.campaign
    if campaign is None:
        campaign = new_campaign(session, CAMPAIGN_NAME, list(asked), audience="manager")
        session.flush()
    columns = campaign.answer_columns
    if changes[RELATIONSHIP]:
        session.add(Response(campaign_id=campaign.id, account_id=account.id,
                             submitted_at=now, values=pack(changes[RELATIONSHIP], columns)))
        edit.columns += sorted(changes[RELATIONSHIP])
    if changes[GAP1]:
        gap1_columns = asked[GAP1].numeric_columns
        merged = {c: v for c, v in current.account_answers.items() if c in gap1_columns}
        merged.update(changes[GAP1])
        # one estimate per account: the previous row goes, so Gap 1 counts it once
        session.execute(delete(Response).where(
            Response.campaign_id == campaign.id, Response.account_id == account.id,
            Response.contact_id.is_(None), Response.role == GAP1_ROLE))
        session.add(Response(campaign_id=campaign.id, account_id=account.id,
                             role=GAP1_ROLE, submitted_at=now, values=pack(merged, columns)))
        edit.columns += sorted(changes[GAP1])
    for contact_id, values in grid_changes.items():
        contact = contact_ids[contact_id]
        session.add(Response(campaign_id=campaign.id, account_id=account.id,
                             contact_id=contact.id, role=contact.role, submitted_at=now,
                             values=pack(values, columns)))
        edit.contacts.append(contact.code)
    audit.record(session, "assessment.edited", account.code,
                 {"columns": edit.columns, "contacts": edit.contacts}, actor=actor)
    session.commit()
    scoring.request_recompute(session, [campaign.id])
    return edit
