"""Follow-up tasks: what an account's owner is to do by a date, closed with a note.

An alert opens one (:func:`open_for_alert`); a manager may also open one by hand on an
account (:func:`create`). Lists are always scoped to the accounts the user may see
(:func:`services.access.account_filter`): a manager sees their own accounts' tasks only,
administrators and leadership see all. The dashboard reads :func:`open_for` and
:func:`overdue`; :func:`open_counts` gives one number per account for a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ..models import Account, Alert, FollowUpTask, Response
from . import access, audit

TITLE_MAX = 300
NOTE_MAX = 4000
DEFAULT_DUE_DAYS = 7


class TaskError(ValueError):
    """A task cannot be created or closed as asked (the message says why)."""


def _visible(user: access.Person, account_ids: Iterable[int] | None) -> Select:
    query = (select(FollowUpTask).join(Account, FollowUpTask.account_id == Account.id)
             .where(access.account_filter(user))
             .options(joinedload(FollowUpTask.account), joinedload(FollowUpTask.owner),
                      # the alert's wave names its rule: read with the list, not per task
                      joinedload(FollowUpTask.alert).joinedload(Alert.response)
                      .load_only(Response.id, Response.campaign_id)))
    if account_ids is not None:
        query = query.where(FollowUpTask.account_id.in_(list(account_ids)))
    return query


def open_for(session: Session, user: access.Person,
             account_ids: Iterable[int] | None = None,
             limit: int | None = None) -> list[FollowUpTask]:
    """Open tasks of the accounts ``user`` sees (optionally only ``account_ids``), soonest
    due first; at most ``limit`` of them."""
    return list(session.scalars(_visible(user, account_ids)
                                .where(FollowUpTask.closed_at.is_(None))
                                .order_by(FollowUpTask.due_on, FollowUpTask.id)
                                .limit(limit)))


def overdue(session: Session, user: access.Person, today: date,
            account_ids: Iterable[int] | None = None,
            limit: int | None = None,
            account_codes: Iterable[str] | None = None) -> list[FollowUpTask]:
    """Open tasks whose due date is before ``today``, the longest overdue first; at most
    ``limit`` of them (only the accounts of ``account_codes`` when given)."""
    query = _visible(user, account_ids)
    if account_codes is not None:
        query = query.where(Account.code.in_(list(account_codes)))
    return list(session.scalars(query
                                .where(FollowUpTask.closed_at.is_(None),
                                       FollowUpTask.due_on < today)
                                .order_by(FollowUpTask.due_on, FollowUpTask.id)
                                .limit(limit)))


def closed_for(session: Session, user: access.Person,
               account_ids: Iterable[int] | None = None,
               limit: int = 100) -> list[FollowUpTask]:
    """Closed tasks, the most recently closed first."""
    return list(session.scalars(_visible(user, account_ids)
                                .where(FollowUpTask.closed_at.is_not(None))
                                .order_by(FollowUpTask.closed_at.desc()).limit(limit)))


def open_counts(session: Session, user: access.Person, today: date,
                account_codes: Iterable[str] | None = None) -> tuple[int, int]:
    """(open, overdue) task counts over the accounts ``user`` sees (only those of
    ``account_codes`` when given)."""
    query = (select(func.count(FollowUpTask.id),
                    func.count(FollowUpTask.id).filter(FollowUpTask.due_on < today))
             .join(Account, FollowUpTask.account_id == Account.id)
             .where(access.account_filter(user), FollowUpTask.closed_at.is_(None)))
    if account_codes is not None:
        query = query.where(Account.code.in_(list(account_codes)))
    row = session.execute(query).one()
    return int(row[0] or 0), int(row[1] or 0)


def find(session: Session, user: access.Person, task_id: int) -> FollowUpTask | None:
    """The task, if ``user`` may see its account (else None, as for a missing task)."""
    return session.scalar(_visible(user, None).where(FollowUpTask.id == task_id))


def open_for_alert(session: Session, alert: Alert, title: str, today: date,
                   due_days: int = DEFAULT_DUE_DAYS) -> FollowUpTask:
    """The alert's follow-up task, owned by the account's owner (added, not committed)."""
    task = FollowUpTask(account_id=alert.account_id, owner_id=alert.owner_id, alert=alert,
                        title=title[:TITLE_MAX], due_on=today + timedelta(days=due_days))
    session.add(task)
    return task


def create(session: Session, account: Account, title: str, due_on: date | None,
           today: date, actor: access.Person, due_days: int = DEFAULT_DUE_DAYS,
           ) -> FollowUpTask:
    """A task opened by hand on an account, owned by its owner (the creator when the
    account has none). Committed, with an audit event."""
    title = (title or "").strip()
    if not title:
        raise TaskError("a task needs a title")
    if len(title) > TITLE_MAX:
        raise TaskError(f"a task's title has at most {TITLE_MAX} characters")
    due = due_on or today + timedelta(days=due_days)
    if due < today:
        raise TaskError("the due date is in the past")
    task = FollowUpTask(account_id=account.id, owner_id=account.owner_id or actor.id,
                        title=title, due_on=due, created_by_id=actor.id)
    session.add(task)
    session.flush()
    audit.record(session, "task.created", account.code, {"task": task.id, "due_on":
                                                          due.isoformat()})
    session.commit()
    return task


def close(session: Session, task: FollowUpTask, note: str, actor: access.Person
          ) -> FollowUpTask:
    """Close the task with a note saying what was done. Committed, with an audit event."""
    note = (note or "").strip()
    if task.closed_at is not None:
        raise TaskError("this task is already closed")
    if not note:
        raise TaskError("say in a note what was done to close the task")
    if len(note) > NOTE_MAX:
        raise TaskError(f"a note has at most {NOTE_MAX} characters")
    task.closed_at = datetime.now(UTC)
    task.closed_by_id = actor.id
    task.note = note
    audit.record(session, "task.closed", task.account.code, {"task": task.id})
    session.commit()
    return task
