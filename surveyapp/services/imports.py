"""Accounts and contacts in from CSV/XLSX files: first a plan of what would change, then
the plan applied in one transaction.

A file is checked whole by :mod:`analysis.frames` (the same readers and checks that
``surveyapp analyze`` uses). Any problem rejects the whole file — the plan then lists every
problem by row and column and cannot be applied. Rows are matched to what is stored by
their id (``account_id``, ``contact_id``): a new id is a new row, a known id is updated
where a cell differs, and importing the same file again changes nothing. A column the file
does not have leaves the stored values alone; a blank cell in a column it has clears the
value (a required one — ``name`` — cannot be blank).

Accounts: the ``owner`` column is the account manager's email; the account is linked to
that user, who is created without a password when unknown (see
:func:`users.owner_for_email`). The manager's assessment columns of the stage model
(``trust``, ``supplier_status``… — the items of ``relationship.toml``) are stored as the
managers' assessment, one ``audience="manager"`` response per account, which the analysis
reads beside every wave; a blank assessment cell keeps the previous answer. The stage
indicators the analysis derives itself (share of wallet, roles covered, loyalty index,
revenue trend) are refused with a message instead of being dropped.

Contacts: an erased contact (erased on request) is never brought back by an import: its
row is skipped and said so.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from analysis import Instrument, InstrumentError, load_instrument
from analysis.frames import (
    ACCOUNT_NUMERIC_COLUMNS,
    CellError,
    ColumnLimit,
    InputFileError,
    check_accounts,
    check_contacts,
    read_table,
)
from analysis.stages import StagesError, latest_assessment, load_stage_model

from .. import jobs
from ..db import get_session
from ..models import Account, Campaign, Contact, Response, User
from . import audit, scoring, users
from .instruments import new_campaign, questionnaire_of
from .responses import campaign_frame, pack

KINDS = ("accounts", "contacts")
ASSESSMENT_INSTRUMENT = "relationship"
ASSESSMENT_CAMPAIGN = "客户经理评估（导入） / Account manager assessment (imported)"
ACCOUNT_FIELDS = ("name", "industry", "customer_type", "owner", "period",
                  *ACCOUNT_NUMERIC_COLUMNS)
CONTACT_FIELDS = ("account_id", "name", "email", "role", "lang")
INTEGER_FIELDS = ("complaints",)


class ImportRejected(Exception):
    """The file was not imported; ``plan`` says why, row by row."""

    def __init__(self, plan: ImportPlan, message: str | None = None):
        self.plan = plan
        super().__init__(message or plan.problem_text())


@dataclass(frozen=True)
class ImportSettings:
    """Where the instruments and stage thresholds are, and the survey languages."""

    instruments_dir: Path
    stages_file: Path | None = None
    languages: tuple[str, ...] = ("zh", "en")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportSettings:
        folder = Path(config["INSTRUMENTS_DIR"])
        stages = config.get("STAGES_FILE")
        return cls(folder, Path(stages) if stages else folder / "stages.toml",
                   tuple(config.get("LANGUAGES", ("zh", "en"))))


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RowPlan:
    """What importing one row does: ``new``, ``updated``, ``unchanged`` or ``skipped``."""

    row: int  # the spreadsheet row (the header is row 1)
    key: str  # account_id or contact_id
    name: str
    action: str
    changes: tuple[Change, ...] = ()
    note: str = ""


@dataclass
class ImportPlan:
    kind: str
    source: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    new_owners: list[str] = field(default_factory=list)
    assessment_columns: list[str] = field(default_factory=list)
    assessment_campaign_id: int | None = None
    frame: pd.DataFrame | None = None  # the typed rows, in file order

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r.action for r in self.rows)
        return {a: found.get(a, 0) for a in ("new", "updated", "unchanged", "skipped")}

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None and e.row > 1})

    @property
    def changes_anything(self) -> bool:
        counts = self.counts
        return bool(counts["new"] or counts["updated"])

    def summary(self) -> str:
        c = self.counts
        text = f"{c['new']} new, {c['updated']} updated, {c['unchanged']} unchanged"
        if c["skipped"]:
            text += f", {c['skipped']} skipped (erased on request)"
        return text

    def digest(self) -> str:
        """A fingerprint of what applying the plan would write, to tell whether a preview
        still holds when the manager confirms it."""
        content = [self.kind, self.new_owners, self.assessment_campaign_id,
                   [(r.key, r.action, [(c.field, c.old, c.new) for c in r.changes])
                    for r in self.rows], [str(e) for e in self.errors]]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()

    def problem_text(self) -> str:
        return str(InputFileError(self.source, self.errors)).replace(
            "nothing was imported", "nothing was written")


# --------------------------------------------------------------------------- values


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _number(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _differences(stored: Mapping[str, object], given: Mapping[str, object]) -> list[Change]:
    return [Change(name, _shown(stored.get(name)), _shown(value))
            for name, value in given.items() if stored.get(name) != value]


def _max_lengths(model: type[Account] | type[Contact], columns: Mapping[str, str]
                 ) -> dict[str, int]:
    """File column → the most characters its database column holds."""
    table = model.__table__
    lengths = {file_col: getattr(table.c[db_col].type, "length", None)
               for file_col, db_col in columns.items()}
    return {col: length for col, length in lengths.items() if length}


def _read(name: str, data: bytes | None) -> pd.DataFrame:
    return read_table(name, data)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, missing = None (row by row, pandas would cost ~0.3 ms a row)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(  # type: ignore[return-value]
        "records")


def _stored(session: Session, columns: Sequence[Any], key: Any,
            codes: list[str]) -> dict[str, dict[str, Any]]:
    """Stored rows by code, as dicts of the named columns (no ORM objects to build)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), 5_000):  # keep IN lists a safe size
        for row in session.execute(select(key, *columns).where(
                key.in_(codes[start:start + 5_000]))).mappings():
            found[row["code"]] = dict(row)
    return found


# --------------------------------------------------------------------------- accounts


def _assessment_campaign(session: Session) -> Campaign | None:
    """The managers' assessment the analysis reads (the newest), if it asks the
    relationship items."""
    campaign = session.scalar(select(Campaign).where(Campaign.audience == "manager")
                              .order_by(Campaign.created_at.desc(), Campaign.id.desc())
                              .limit(1))
    if campaign is None:
        return None
    ids = [s.instrument_version.instrument_id for s in campaign.sections]
    return campaign if ASSESSMENT_INSTRUMENT in ids else None


def _assessment_instrument(campaign: Campaign | None, settings: ImportSettings
                           ) -> Instrument | None:
    if campaign is not None:
        return next(i for i in questionnaire_of(campaign).instruments
                    if i.id == ASSESSMENT_INSTRUMENT)
    path = settings.instruments_dir / f"{ASSESSMENT_INSTRUMENT}.toml"
    return load_instrument(path) if path.is_file() else None


def _account_columns(settings: ImportSettings, instrument: Instrument | None
                     ) -> tuple[dict[str, ColumnLimit], dict[str, str]]:
    """The assessment columns an accounts file may carry (with their scales) and the stage
    indicators it may not (with the reason)."""
    limits: dict[str, ColumnLimit] = {}
    if instrument is not None:
        for item in instrument.items:
            for column in item.columns:
                scale = instrument.scales[item.scale]
                limits[column] = ColumnLimit(scale.min, scale.max, whole=True,
                                             note=f"the scale of '{column}' in "
                                                  f"{ASSESSMENT_INSTRUMENT}.toml")
    refused: dict[str, str] = {}
    stages = settings.stages_file
    if stages is not None and stages.is_file():
        try:
            model = load_stage_model(stages)
        except StagesError:
            model = None
        for indicator in (model.indicators.values() if model else ()):
            if indicator.id not in limits and indicator.id not in ACCOUNT_FIELDS:
                refused[indicator.id] = (
                    "a stage indicator the analysis computes itself "
                    f"({indicator.source or 'from the accounts and answers'}); it is not "
                    "stored from a file — remove the column")
    return limits, refused


def _current_assessments(session: Session, campaign: Campaign | None,
                         columns: Sequence[str]) -> pd.DataFrame:
    """Per account code, the latest answer to each assessment column (NaN = none)."""
    if campaign is None or not columns:
        return pd.DataFrame(columns=list(columns))
    frame = campaign_frame(session, campaign)
    frame = frame[frame["contact_id"].isna() & frame["account_id"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=list(columns))
    frame = frame.assign(submitted_at=frame["submitted_at"].astype("string"),
                         account_id=frame["account_id"].astype("string"))
    return latest_assessment(frame[["account_id", "submitted_at", *columns]])[list(columns)]


def _account_values(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for col in columns:
        if col in ACCOUNT_NUMERIC_COLUMNS:
            number = _number(row[col])
            values[col] = int(number) if number is not None and col in INTEGER_FIELDS \
                else number
        else:
            values[col] = _text(row[col])
    return values


def plan_accounts(session: Session, name: str, data: bytes | None,
                  settings: ImportSettings, visible: Collection[str] | None = None
                  ) -> ImportPlan:
    """What importing the accounts file would change (nothing is written); ``visible``:
    the codes of the accounts the importing user may change (None = all)."""
    plan = ImportPlan("accounts", name)
    assessment = _assessment_campaign(session)
    try:
        instrument = _assessment_instrument(assessment, settings)
    except InstrumentError:
        instrument = None
    limits, refused = _account_columns(settings, instrument)
    try:
        raw = _read(name, data)
        frame, plan.errors = check_accounts(
            raw, tuple(limits), name, limits, required=("name",), refused=refused,
            owner_email=True, max_lengths=_max_lengths(Account, {
                "account_id": "code", **{c: c for c in ("name", "industry", "customer_type",
                                                         "owner", "period")}}))
    except InputFileError as exc:
        plan.errors = list(exc.errors)
        return plan
    plan.frame = frame
    fields = [c for c in frame.columns if c in ACCOUNT_FIELDS]
    plan.assessment_columns = [c for c in frame.columns if c in limits]
    if plan.assessment_columns:
        plan.assessment_campaign_id = assessment.id if assessment is not None else None
    rows = raw.attrs["file_rows"]
    bad_rows = set(plan.rejected_rows)
    codes = [c for c in frame["account_id"].dropna().unique().tolist()]
    stored = _stored(session, [*(getattr(Account, c) for c in ACCOUNT_FIELDS),
                               Account.owner_id], Account.code, codes)
    owners: dict[str, int] = dict(session.execute(select(User.email, User.id).where(
        User.email.in_(frame["owner"].dropna().unique().tolist()))).all()) \
        if "owner" in frame.columns else {}
    current = _current_assessments(session, assessment, plan.assessment_columns
                                   ).to_dict("index")
    new_owners: dict[str, None] = {}
    for pos, row in enumerate(_records(frame)):
        file_row = int(rows[pos])
        code = _text(row["account_id"])
        if code is None or file_row in bad_rows:
            continue
        if visible is not None and code in stored and code not in visible:
            plan.errors.append(CellError(file_row, "account_id", (
                f"account '{code}' belongs to another account manager; ask an "
                "administrator to import it")))
            continue
        given = _account_values(row, fields)
        owner = given.get("owner")
        if isinstance(owner, str) and owner not in owners:
            new_owners.setdefault(owner, None)
        changes = []
        for col in plan.assessment_columns:
            value = _number(row[col])
            if value is None:
                continue  # a blank assessment cell keeps the previous answer
            before = current.get(code, {}).get(col)
            before = None if before is None or pd.isna(before) else float(before)
            if before != value:
                changes.append(Change(col, _shown(before), _shown(value)))
        account = stored.get(code)
        label = _text(row.get("name")) or (account["name"] if account else "") or ""
        if account is None:
            plan.rows.append(RowPlan(file_row, code, label, "new", tuple(
                Change(k, "", _shown(v)) for k, v in given.items() if v is not None
            ) + tuple(changes)))
            continue
        changes = _differences(account, given) + changes
        owner_id = owners.get(owner) if isinstance(owner, str) else None
        if isinstance(owner, str) and account["owner"] == owner and (
                owner_id is None or account["owner_id"] != owner_id):
            # the same email, but not (or no longer) linked to that user: link it
            changes.append(Change("owner_id", _shown(account["owner_id"]), str(owner or "")))
        plan.rows.append(RowPlan(file_row, code, label,
                                 "updated" if changes else "unchanged", tuple(changes)))
    plan.new_owners = list(new_owners)
    plan.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return plan


def _ids(session: Session, model: type[Account] | type[Contact],
         codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(codes), 5_000):  # keep IN lists a safe size
        found.update(session.execute(select(model.code, model.id).where(
            model.code.in_(codes[start:start + 5_000]))).all())
    return found


def _write(session: Session, model: type[Account] | type[Contact],
           new: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
    """Bulk INSERT and UPDATE by primary key (one statement per batch, not one per row)."""
    if new:
        session.execute(insert(model), new)
    if updated:
        session.execute(update(model), updated)


def _apply_accounts(session: Session, plan: ImportPlan) -> None:
    assert plan.frame is not None
    fields = [c for c in plan.frame.columns if c in ACCOUNT_FIELDS]
    records = {r["account_id"]: r for r in _records(plan.frame)}
    changing = [r for r in plan.rows if r.action in ("new", "updated")]
    owners: dict[str, int] = {}
    for email in dict.fromkeys(records[r.key].get("owner") for r in changing):
        if email:
            user, _added = users.owner_for_email(session, email)
            session.flush()  # the owner has an id now
            owners[email] = user.id
    ids = _ids(session, Account, [r.key for r in changing])
    new, updated = [], []
    for row_plan in changing:
        values = _account_values(records[row_plan.key], fields)
        if "owner" in fields:
            owner = values.get("owner")
            values["owner_id"] = owners[owner] if isinstance(owner, str) else None
        if row_plan.action == "new":
            new.append({"code": row_plan.key, **values})
        else:
            updated.append({"id": ids[row_plan.key], **values})
    _write(session, Account, new, updated)
    assessed = [r for r in changing
                if any(ch.field in plan.assessment_columns for ch in r.changes)]
    if not assessed:
        return
    campaign = (session.get(Campaign, plan.assessment_campaign_id)
                if plan.assessment_campaign_id is not None else
                new_campaign(session, ASSESSMENT_CAMPAIGN, [ASSESSMENT_INSTRUMENT],
                             audience="manager"))
    session.flush()
    assert campaign is not None
    ids = _ids(session, Account, [r.key for r in assessed])
    now = datetime.now(UTC)
    columns = campaign.answer_columns
    session.execute(insert(Response), [
        {"campaign_id": campaign.id, "account_id": ids[r.key], "submitted_at": now,
         "values": pack({c: v for c in plan.assessment_columns
                         if (v := _number(records[r.key][c])) is not None}, columns)}
        for r in assessed])


# --------------------------------------------------------------------------- contacts


def plan_contacts(session: Session, name: str, data: bytes | None,
                  settings: ImportSettings, visible: Collection[str] | None = None
                  ) -> ImportPlan:
    """What importing the contacts file would change (nothing is written); ``visible``:
    the codes of the accounts whose contacts the importing user may change (None = all)
    — another manager's account is, to them, an account that does not exist."""
    plan = ImportPlan("contacts", name)
    try:
        raw = _read(name, data)
        accounts = dict(session.execute(select(Account.code, Account.id)).all()) \
            if "account_id" in raw.columns else {}
        allowed = accounts.keys() if visible is None else accounts.keys() & set(visible)
        frame, plan.errors = check_contacts(
            raw, name, accounts=allowed, languages=settings.languages,
            required=("name",), max_lengths=_max_lengths(Contact, {
                "contact_id": "code", "account_id": "code", "name": "name",
                "email": "email", "role": "role"}) | {"account_id": 64})
    except InputFileError as exc:
        plan.errors = list(exc.errors)
        return plan
    plan.frame = frame
    fields = [c for c in frame.columns if c in CONTACT_FIELDS]
    rows = raw.attrs["file_rows"]
    bad_rows = set(plan.rejected_rows)
    stored = _stored(session, [Contact.account_id, Contact.name, Contact.email, Contact.role,
                               Contact.lang, Contact.erased_at], Contact.code,
                     frame["contact_id"].dropna().unique().tolist())
    codes = {v: k for k, v in accounts.items()}
    for pos, row in enumerate(_records(frame)):
        file_row = int(rows[pos])
        code = _text(row["contact_id"])
        if code is None or file_row in bad_rows:
            continue
        given = {c: _text(row[c]) for c in fields}
        contact = stored.get(code)
        if contact is not None and visible is not None and codes.get(
                contact["account_id"]) not in visible:
            plan.errors.append(CellError(file_row, "contact_id", (
                f"contact '{code}' belongs to an account of another account manager; ask an "
                "administrator to import it")))
            continue
        label = given.get("name") or ""
        if contact is None:
            given.setdefault("lang", None)
            if given["lang"] is None:
                given["lang"] = settings.languages[0]
            plan.rows.append(RowPlan(file_row, code, label, "new", tuple(
                Change(k, "", v) for k, v in given.items() if v is not None)))
            continue
        if contact["erased_at"] is not None:
            plan.rows.append(RowPlan(file_row, code, "", "skipped",
                                     note="erased on request: not imported again"))
            continue
        if given.get("lang") is None and "lang" in given:
            given["lang"] = contact["lang"]  # the survey needs a language: blank keeps it
        changes = _differences({**contact, "account_id": codes.get(contact["account_id"])},
                               given)
        plan.rows.append(RowPlan(file_row, code, label,
                                 "updated" if changes else "unchanged", tuple(changes)))
    plan.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return plan


def _apply_contacts(session: Session, plan: ImportPlan) -> None:
    accounts = dict(session.execute(select(Account.code, Account.id)).all())
    changing = [r for r in plan.rows if r.action in ("new", "updated")]
    ids = _ids(session, Contact, [r.key for r in changing])
    new, updated = [], []
    for row_plan in changing:
        values: dict[str, Any] = {}
        for change in row_plan.changes:  # a new row's changes carry every value it has
            values[change.field] = change.new or None
        if "account_id" in values:
            values["account_id"] = accounts[values["account_id"]]
        if row_plan.action == "new":
            new.append({"code": row_plan.key, "active": True, **values})
        else:
            updated.append({"id": ids[row_plan.key], **values})
    _write(session, Contact, new, updated)


# --------------------------------------------------------------------------- entry points


def plan_import(session: Session, kind: str, name: str, data: bytes | None,
                settings: ImportSettings, visible: Collection[str] | None = None
                ) -> ImportPlan:
    """The plan for a file of ``kind`` ("accounts" or "contacts"), read from ``data`` (an
    upload) or, when None, from the file ``name``; ``visible`` limits it to the accounts a
    manager may change (see :func:`access.visible_codes`; None = every account)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    planner = plan_accounts if kind == "accounts" else plan_contacts
    return planner(session, name, data, settings, visible)


def apply_plan(session: Session, plan: ImportPlan, actor: Any = audit.FROM_REQUEST
               ) -> ImportPlan:
    """Write the plan in one transaction and queue the figures' recompute.

    Raises :class:`ImportRejected` (nothing written) for a plan with problems, or when
    another change to the same rows got in first. ``actor``: who the audit log names
    (default: the logged-in user of the request, or the command line).
    """
    if not plan.ok:
        raise ImportRejected(plan)
    if not plan.changes_anything:
        return plan
    try:
        if plan.kind == "accounts":
            _apply_accounts(session, plan)
        else:
            _apply_contacts(session, plan)
        audit.record(session, "import", plan.source, {"kind": plan.kind, **plan.counts,
                                                       "new_owners": plan.new_owners},
                     actor=actor)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ImportRejected(plan, f"{plan.source}: another change to the same "
                                   "accounts or contacts was saved at the same time; "
                                   "nothing was written — import the file again") from None
    except OperationalError:  # e.g. SQLite still locked by another writer after its timeout
        session.rollback()
        raise ImportRejected(plan, f"{plan.source}: the database is busy; nothing was "
                                   "written — import the file again in a moment") from None
    except BaseException:
        session.rollback()
        raise
    scoring.request_recompute(session, None)
    return plan


BACKGROUND_ROWS = 2_000
"""A confirmed import of more rows than this is written by the background worker (about a
second of work per 5,000 rows on a small server), not inside the request."""


@jobs.job()
def import_job(kind: str, name: str, data: bytes, digest: str,
               visible: list[str] | None, actor_id: int | None) -> None:
    """Apply a confirmed upload in the background: checked and compared with the database
    again, written only if it still changes what the preview showed. The outcome — done,
    or why nothing was written — is in the audit log ("import", "import.failed")."""
    session = get_session()
    actor = session.get(User, actor_id) if actor_id is not None else None
    settings = ImportSettings.from_config(current_app.config)
    plan = plan_import(session, kind, name, data, settings, visible)
    if plan.digest() != digest:
        audit.record_now(session, "import.failed", name, {
            "kind": kind, "reason": "the data changed since the preview; nothing was "
                                    "written — upload the file again"}, actor=actor)
        return
    try:
        apply_plan(session, plan, actor=actor)
    except ImportRejected as exc:
        audit.record_now(session, "import.failed", name, {"kind": kind, "reason": str(exc)},
                         actor=actor)


def recent_imports(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest imports and failed background imports, newest first, from the audit log."""
    events = audit.recent(session, "import", per_page=limit).events
    return [{"at": e.at, "by": e.actor_email, "source": e.target,
             "failed": e.action == "import.failed", **audit.detail(e)} for e in events]
