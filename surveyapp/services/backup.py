"""Backup and restore of the embedded SQLite database (PostgreSQL: ``pg_dump``/``pg_restore``).

SQLite's online backup API copies a consistent snapshot while app servers keep writing, page
by page, so a backup never holds half a transaction.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..models import Account, Response

BACKUP_PAGES_PER_STEP = 1024  # pages copied between yields to writers


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


def sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "backup and restore here are for the SQLite database; on PostgreSQL use "
            "'pg_dump --format=custom --file=FILE DBNAME' and "
            "'pg_restore --clean --if-exists --dbname=DBNAME FILE'")
    return Path(url.database)


def _private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (answers and contacts are personal data)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def backup(engine: Engine, target: Path) -> int:
    """Copy the live database to ``target`` (a new file); returns the responses it holds."""
    source = sqlite_path(engine)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    try:
        _private_file(target)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from exc
    try:
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy, pages=BACKUP_PAGES_PER_STEP)
            (count,) = copy.execute("SELECT count(*) FROM responses").fetchone()
        return int(count)
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}; nothing was written") from exc


def _check_backup(path: Path) -> int:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as backup_db:
            tables = {row[0] for row in backup_db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "responses", "accounts"} <= tables:
                raise BackupError(f"{path} is not a backup of this application's database")
            (count,) = backup_db.execute("SELECT count(*) FROM responses").fetchone()
            return int(count)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database ({exc})") from exc


def holds_data(session: Session) -> bool:
    """Whether the database has accounts or responses (a database with no schema has none)."""
    if not inspect(session.get_bind()).has_table(Account.__tablename__):
        return False
    return bool(session.scalar(select(func.count()).select_from(Account))
                or session.scalar(select(func.count()).select_from(Response)))


def restore(engine: Engine, source: Path) -> int:
    """Replace the (empty) live database by the backup ``source``; returns its responses.

    The caller checks the live database is empty or that replacing it is wanted, and
    migrates the restored schema afterwards.
    """
    count = _check_backup(source)
    target = sqlite_path(engine)
    engine.dispose()  # no pooled connection may keep the old pages
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db, \
                sqlite3.connect(target) as live:
            backup_db.backup(live, pages=BACKUP_PAGES_PER_STEP)
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from exc
    return count
