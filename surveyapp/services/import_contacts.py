"""Planning and writing a contacts import (see :mod:`.imports` for the rules).

An erased contact (erased on request) is never brought back by an import: its row is
skipped and said so. A contact of another manager's account is, to a manager, a contact of
an account that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.frames import CellError, InputFileError, check_contacts, read_table

from ..models import Account, Contact
from .import_plan import (
    Change,
    ImportPlan,
    ImportSettings,
    RowPlan,
    another_managers_account,
    bulk_write,
    cell_text,
    differences,
    ids_by_code,
    max_lengths,
    records,
    stored_rows,
)

CONTACT_FIELDS = ("account_id", "name", "email", "role", "lang")


def plan_contacts(session: Session, name: str, data: bytes | None,
                  settings: ImportSettings, visible: Collection[str] | None = None
                  ) -> ImportPlan:
    """What importing the contacts file would change (nothing is written); ``visible``:
    the codes of the accounts whose contacts the importing user may change (None = all)
    — another manager's account is, to them, an account that does not exist."""
    plan = ImportPlan("contacts", name)
    try:
        raw = read_table(name, data)
        plan.columns = [str(c) for c in raw.columns]
        accounts = dict(session.execute(select(Account.code, Account.id)).all()) \
            if "account_id" in raw.columns else {}
        # another manager's account exists: the row says it is theirs, as the accounts
        # import does (below), not that it does not exist
        frame, plan.errors = check_contacts(
            raw, name, accounts=accounts.keys(), languages=settings.languages,
            required=("name",), max_lengths=max_lengths(Contact, {
                "contact_id": "code", "account_id": "code", "name": "name",
                "email": "email", "role": "role"}) | {"account_id": 64})
    except InputFileError as exc:
        plan.errors = list(exc.errors)
        return plan
    plan.frame = frame
    fields = [c for c in frame.columns if c in CONTACT_FIELDS]
    rows = raw.attrs["file_rows"]
    bad_rows = set(plan.rejected_rows)
    stored = stored_rows(session, [Contact.account_id, Contact.name, Contact.email,
                                   Contact.role, Contact.lang, Contact.erased_at],
                         Contact.code, frame["contact_id"].dropna().unique().tolist())
    codes = {v: k for k, v in accounts.items()}
    for pos, row in enumerate(records(frame)):
        file_row = int(rows[pos])
        code = cell_text(row["contact_id"])
        if code is None or file_row in bad_rows:
            continue
        given = {c: cell_text(row[c]) for c in fields}
        account = given.get("account_id")
        if visible is not None and account is not None and account not in visible:
            plan.errors.append(CellError(file_row, "account_id",
                                         another_managers_account(account)))
            continue
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
        changes = differences({**contact, "account_id": codes.get(contact["account_id"])},
                              given)
        plan.rows.append(RowPlan(file_row, code, label,
                                 "updated" if changes else "unchanged", tuple(changes)))
    plan.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return plan


def apply_contacts(session: Session, plan: ImportPlan) -> None:
    """Write a contacts plan (no commit: :func:`.imports.apply_plan` owns the
    transaction)."""
    accounts = dict(session.execute(select(Account.code, Account.id)).all())
    changing = [r for r in plan.rows if r.action in ("new", "updated")]
    ids = ids_by_code(session, Contact, [r.key for r in changing])
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
    bulk_write(session, Contact, new, updated)
