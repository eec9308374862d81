"""Planning and writing an accounts import (see :mod:`.imports` for the rules).

The ``owner`` column is the account manager's email; the account is linked to that user,
who is created without a password when unknown (:func:`users.owner_for_email`). The
manager's assessment columns of the stage model (``trust``, ``supplier_status``… — the
items of ``relationship.toml``) are stored as the managers' assessment, one
``audience="manager"`` response per account, which the analysis reads beside every wave; a
blank assessment cell keeps the previous answer. The stage indicators the analysis derives
itself (share of wallet, roles covered, loyalty index, revenue trend) are refused with a
message instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analysis import Instrument, InstrumentError, load_instrument
from analysis.frames import (
    ACCOUNT_NUMERIC_COLUMNS,
    CellError,
    ColumnLimit,
    InputFileError,
    check_accounts,
    read_table,
)
from analysis.stages import StagesError, latest_assessment, load_stage_model

from ..models import Account, Campaign, Response, User
from . import users
from .import_plan import (
    Change,
    ImportPlan,
    ImportSettings,
    RowPlan,
    another_managers_account,
    bulk_write,
    cell_number,
    cell_text,
    differences,
    ids_by_code,
    max_lengths,
    records,
    shown,
    stored_rows,
)
from .instruments import new_campaign, questionnaire_of
from .responses import campaign_frame, pack

ASSESSMENT_INSTRUMENT = "relationship"
ASSESSMENT_CAMPAIGN = "客户经理评估（导入） / Account manager assessment (imported)"
ACCOUNT_FIELDS = ("name", "industry", "customer_type", "owner", "period",
                  *ACCOUNT_NUMERIC_COLUMNS)
INTEGER_FIELDS = ("complaints",)


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
            number = cell_number(row[col])
            values[col] = int(number) if number is not None and col in INTEGER_FIELDS \
                else number
        else:
            values[col] = cell_text(row[col])
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
        raw = read_table(name, data)
        plan.columns = [str(c) for c in raw.columns]
        frame, plan.errors = check_accounts(
            raw, tuple(limits), name, limits, required=("name",), refused=refused,
            owner_email=True, max_lengths=max_lengths(Account, {
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
    stored = stored_rows(session, [*(getattr(Account, c) for c in ACCOUNT_FIELDS),
                                   Account.owner_id], Account.code, codes)
    owners: dict[str, int] = dict(session.execute(select(User.email, User.id).where(
        User.email.in_(frame["owner"].dropna().unique().tolist()))).all()) \
        if "owner" in frame.columns else {}
    current = _current_assessments(session, assessment, plan.assessment_columns
                                   ).to_dict("index")
    new_owners: dict[str, None] = {}
    for pos, row in enumerate(records(frame)):
        file_row = int(rows[pos])
        code = cell_text(row["account_id"])
        if code is None or file_row in bad_rows:
            continue
        if visible is not None and code in stored and code not in visible:
            plan.errors.append(CellError(file_row, "account_id",
                                         another_managers_account(code)))
            continue
        given = _account_values(row, fields)
        owner = given.get("owner")
        if isinstance(owner, str) and owner not in owners:
            new_owners.setdefault(owner, None)
        changes = []
        for col in plan.assessment_columns:
            value = cell_number(row[col])
            if value is None:
                continue  # a blank assessment cell keeps the previous answer
            before = current.get(code, {}).get(col)
            before = None if before is None or pd.isna(before) else float(before)
            if before != value:
                changes.append(Change(col, shown(before), shown(value)))
        account = stored.get(code)
        label = cell_text(row.get("name")) or (account["name"] if account else "") or ""
        if account is None:
            plan.rows.append(RowPlan(file_row, code, label, "new", tuple(
                Change(k, "", shown(v)) for k, v in given.items() if v is not None
            ) + tuple(changes)))
            continue
        changes = differences(account, given) + changes
        owner_id = owners.get(owner) if isinstance(owner, str) else None
        if isinstance(owner, str) and account["owner"] == owner and (
                owner_id is None or account["owner_id"] != owner_id):
            # the same email, but not (or no longer) linked to that user: link it
            changes.append(Change("owner_id", shown(account["owner_id"]), str(owner or "")))
        plan.rows.append(RowPlan(file_row, code, label,
                                 "updated" if changes else "unchanged", tuple(changes)))
    plan.new_owners = list(new_owners)
    plan.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return plan


def apply_accounts(session: Session, plan: ImportPlan) -> None:
    """Write an accounts plan (no commit: :func:`.imports.apply_plan` owns the
    transaction)."""
    assert plan.frame is not None
    fields = [c for c in plan.frame.columns if c in ACCOUNT_FIELDS]
    by_code = {r["account_id"]: r for r in records(plan.frame)}
    changing = [r for r in plan.rows if r.action in ("new", "updated")]
    owners: dict[str, int] = {}
    for email in dict.fromkeys(by_code[r.key].get("owner") for r in changing):
        if email:
            user, _added = users.owner_for_email(session, email)
            session.flush()  # the owner has an id now
            owners[email] = user.id
    ids = ids_by_code(session, Account, [r.key for r in changing])
    new, updated = [], []
    for row_plan in changing:
        values = _account_values(by_code[row_plan.key], fields)
        if "owner" in fields:
            owner = values.get("owner")
            values["owner_id"] = owners[owner] if isinstance(owner, str) else None
        if row_plan.action == "new":
            new.append({"code": row_plan.key, **values})
        else:
            updated.append({"id": ids[row_plan.key], **values})
    bulk_write(session, Account, new, updated)
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
    ids = ids_by_code(session, Account, [r.key for r in assessed])
    now = datetime.now(UTC)
    columns = campaign.answer_columns
    session.execute(insert(Response), [
        {"campaign_id": campaign.id, "account_id": ids[r.key], "submitted_at": now,
         "values": pack({c: v for c in plan.assessment_columns
                         if (v := cell_number(by_code[r.key][c])) is not None}, columns)}
        for r in assessed])
