"""What an accounts or contacts import would change: the plan, its rows, and the cell and
row helpers the account and contact planners share (see :mod:`.imports`)."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from analysis.frames import (
    ACCOUNT_NUMERIC_COLUMNS,
    ACCOUNT_TEXT_COLUMNS,
    CONTACT_COLUMNS,
    CellError,
    InputFileError,
)

from ..models import Account, Contact

KINDS = ("accounts", "contacts")
ACCOUNT_COLUMNS = (*ACCOUNT_TEXT_COLUMNS, *ACCOUNT_NUMERIC_COLUMNS)


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
    columns: list[str] = field(default_factory=list)  # the file's header, as read

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

    def looks_like(self) -> str | None:
        """The other kind, when the file was uploaded as one kind but its header is the
        other's (a contacts file sent as accounts): the likeliest fix of its errors."""
        header = set(self.columns)
        if self.ok or not header:
            return None
        if self.kind == "accounts" and "contact_id" in header \
                and header <= set(CONTACT_COLUMNS):
            return "contacts"
        if self.kind == "contacts" and "contact_id" not in header \
                and header & (set(ACCOUNT_COLUMNS) - set(CONTACT_COLUMNS)):
            return "accounts"
        return None

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


def another_managers_account(code: str) -> str:
    """What a manager is told of a row for an account they do not own, in the accounts and
    the contacts import alike (no more than that the account is not theirs)."""
    return (f"account '{code}' belongs to another account manager; ask an administrator "
            "to import it")


# --------------------------------------------------------------------------- cell values


def cell_text(value: object) -> str | None:
    """A cell as stored text; blank (None, NA, NaN) = None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def cell_number(value: object) -> float | None:
    """A cell as a number; blank = None."""
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def shown(value: object) -> str:
    """A value as the preview shows it (numbers without float noise, blank as '')."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def differences(stored: Mapping[str, object], given: Mapping[str, object]) -> list[Change]:
    return [Change(name, shown(stored.get(name)), shown(value))
            for name, value in given.items() if stored.get(name) != value]


def max_lengths(model: type[Account] | type[Contact], columns: Mapping[str, str]
                ) -> dict[str, int]:
    """File column → the most characters its database column holds."""
    table = model.__table__
    lengths = {file_col: getattr(table.c[db_col].type, "length", None)
               for file_col, db_col in columns.items()}
    return {col: length for col, length in lengths.items() if length}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, missing = None (row by row, pandas would cost ~0.3 ms a row)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(  # type: ignore[return-value]
        "records")


# --------------------------------------------------------------------------- stored rows

IN_LIST_SIZE = 5_000  # keep IN lists a safe size for every database


def stored_rows(session: Session, columns: Sequence[Any], key: Any,
                codes: list[str]) -> dict[str, dict[str, Any]]:
    """Stored rows by code, as dicts of the named columns (no ORM objects to build)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), IN_LIST_SIZE):
        for row in session.execute(select(key, *columns).where(
                key.in_(codes[start:start + IN_LIST_SIZE]))).mappings():
            found[row["code"]] = dict(row)
    return found


def ids_by_code(session: Session, model: type[Account] | type[Contact],
                codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(codes), IN_LIST_SIZE):
        found.update(session.execute(select(model.code, model.id).where(
            model.code.in_(codes[start:start + IN_LIST_SIZE]))).all())
    return found


def bulk_write(session: Session, model: type[Account] | type[Contact],
               new: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
    """Bulk INSERT and UPDATE by primary key (one statement per batch, not one per row)."""
    if new:
        session.execute(insert(model), new)
    if updated:
        session.execute(update(model), updated)
