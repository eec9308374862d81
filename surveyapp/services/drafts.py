"""Answers saved as a contact goes, page by page, so the link resumes on any device.

A draft is merged per answer: a save changes only the answers it carries (and the ones the
contact emptied on purpose), so two devices saving the same invitation in turn keep every
answer either of them saved last. The write is a compare-and-swap on the stored answers,
retried when another save came in between, so it needs no lock on SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Draft, Invitation, utcnow

SAVE_ATTEMPTS = 20  # compare-and-swap rounds before giving up (each lost round is a save
                    # that won; twenty in a row would take twenty devices at once)


# waits between tries when the database stays locked (each try already waited for the
# engine's busy timeout); then the page says the answers are kept and to try again
BUSY_BACKOFF_S = (0.2, 0.5, 1.0)

T = TypeVar("T")


class DraftConflict(Exception):
    """The draft kept changing under this save; nothing of this save was stored."""


class StorageBusy(Exception):
    """The database stayed locked through every retry; nothing of this change was stored."""


def is_busy(exc: OperationalError) -> bool:
    """A lock that did not clear in time (SQLite's "database is locked", a lock timeout on
    PostgreSQL), as opposed to a broken database."""
    text = str(exc.orig).lower()
    return any(sign in text for sign in ("locked", "busy", "lock timeout",
                                         "could not obtain lock"))


def retry_when_busy(session: Session, work: Callable[[], T],
                    backoff: tuple[float, ...] | None = None) -> T:
    """Run ``work`` (which commits); when the database is locked, roll back, wait and try
    again; raise :class:`StorageBusy` when it stays locked."""
    waits = BUSY_BACKOFF_S if backoff is None else backoff
    for wait in (*waits, None):
        try:
            return work()
        except OperationalError as exc:
            session.rollback()
            if not is_busy(exc):
                raise
            if wait is None:
                raise StorageBusy() from exc
            time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


@dataclass
class SavedDraft:
    answers: dict[str, object] = field(default_factory=dict)
    page: int = 0
    stored: str | None = None  # the answers as stored: what a save compares against


def _decode(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def load(session: Session, invitation_id: int) -> SavedDraft:
    row = session.execute(select(Draft.answers_json, Draft.page).where(
        Draft.invitation_id == invitation_id)).first()
    if row is None:
        return SavedDraft()
    return SavedDraft(_decode(row.answers_json), row.page, row.answers_json)


def save(session: Session, invitation: Invitation, answers: Mapping[str, object],
         cleared: Iterable[str] = (), page: int = 0,
         loaded: SavedDraft | None = None) -> SavedDraft:
    """Merge ``answers`` into the invitation's draft (see :func:`_save`), retried while the
    database is locked; raises :class:`StorageBusy` when it stays locked."""
    cleared = set(cleared)
    tries = iter(range(len(BUSY_BACKOFF_S) + 1))

    def one_try() -> SavedDraft:
        # after a lost try the draft read by the request may be outdated: read it again
        return _save(session, invitation, answers, cleared, page,
                     loaded if next(tries) == 0 else None)

    return retry_when_busy(session, one_try)


def _save(session: Session, invitation: Invitation, answers: Mapping[str, object],
          cleared: set[str], page: int, loaded: SavedDraft | None) -> SavedDraft:
    """Merge ``answers`` into the invitation's draft, drop the ``cleared`` answers that this
    save does not give again, remember ``page`` as where to resume, and commit.

    ``loaded`` (the draft as this request read it) saves reading it again; when it is no
    longer what is stored, the save reads the draft and merges again. The first save also
    stamps ``Invitation.started_at``. Raises :class:`DraftConflict` when other saves won
    every round (nothing stored).
    """
    cleared = set(cleared) - set(answers)
    for attempt in range(SAVE_ATTEMPTS):
        if attempt == 0 and loaded is not None:
            current = loaded.stored
        else:
            current = session.execute(select(Draft.answers_json).where(
                Draft.invitation_id == invitation.id)).scalar_one_or_none()
        merged = {k: v for k, v in _decode(current).items() if k not in cleared}
        merged.update(answers)
        text = json.dumps(merged, ensure_ascii=False, sort_keys=True)
        now = utcnow()
        try:
            if current is None:
                session.add(Draft(invitation_id=invitation.id, answers_json=text, page=page,
                                  updated_at=now))
                session.flush()
            else:
                swapped = session.execute(
                    update(Draft)
                    .where(Draft.invitation_id == invitation.id,
                           Draft.answers_json == current)
                    .values(answers_json=text, page=page, updated_at=now)
                    .execution_options(synchronize_session=False))
                if swapped.rowcount != 1:  # type: ignore[attr-defined]
                    session.rollback()
                    continue
            if invitation.started_at is None:
                session.execute(
                    update(Invitation)
                    .where(Invitation.id == invitation.id, Invitation.started_at.is_(None))
                    .values(started_at=now).execution_options(synchronize_session=False))
            session.commit()
        except IntegrityError:  # another device made the first save at the same moment
            session.rollback()
            continue
        if invitation.started_at is None:  # as stored, without a pending change
            set_committed_value(invitation, "started_at", now)
        return SavedDraft(merged, page, text)
    raise DraftConflict()


def mark_opened(session: Session, invitation: Invitation) -> None:
    """Stamp the first visit of the link (once; later visits change nothing) and commit.

    A database locked past its busy timeout skips the stamp (the next visit sets it):
    showing the page matters more than when it was first shown."""
    if invitation.opened_at is not None:
        return
    now = utcnow()
    try:
        session.execute(update(Invitation)
                        .where(Invitation.id == invitation.id, Invitation.opened_at.is_(None))
                        .values(opened_at=now).execution_options(synchronize_session=False))
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if not is_busy(exc):
            raise
        return
    set_committed_value(invitation, "opened_at", now)


def discard(session: Session, invitation_id: int) -> None:
    """Delete the draft (added to the caller's transaction, not committed): once the
    response is stored, no device may bring the answers back."""
    session.execute(delete(Draft).where(Draft.invitation_id == invitation_id)
                    .execution_options(synchronize_session=False))
