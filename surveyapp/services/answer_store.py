"""Reading a wave's stored answers fast: the raw read path behind the analysis input.

One query per wave through the database driver's own cursor (no ORM rows, no SQLAlchemy
``Row`` objects), the packed answers decoded chunk by chunk straight into one preallocated
column-major array that holds every wave's columns, and no cyclic garbage collection while
millions of small objects are built (they hold no cycles; the collector's passes over them
cost about as much as the load). Measured in ``bench/analysis.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Account, Campaign, Contact, Response
from .responses import VALUE_DTYPE

FETCH_CHUNK = 100_000


def _codes(session: Session, model: type[Account] | type[Contact],
           ids: np.ndarray) -> pd.Series:
    """Integer ids (NaN = none) → their codes, as a string column.

    Few ids: looked up in IN lists; many (a contact per response): the whole table read
    through the driver, which costs less than binding a million parameters.
    """
    present = ~np.isnan(ids)
    unique = np.unique(ids[present]).astype("int64")
    table = model.__tablename__
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    labels: dict[int, str] = {}
    try:
        if len(unique) > 20_000:
            cursor.execute(f"SELECT id, code FROM {table}")
            labels = dict(cursor.fetchall())
        else:
            for start in range(0, len(unique), 5_000):  # keep IN lists a safe size
                part = ",".join(str(int(i)) for i in unique[start:start + 5_000])
                cursor.execute(f"SELECT id, code FROM {table} WHERE id IN ({part})")
                labels.update(cursor.fetchall())
    finally:
        cursor.close()
    categories = pd.Index([labels[i] for i in unique.tolist()], dtype="string")
    codes = np.full(len(ids), -1, dtype="int64")
    codes[present] = np.searchsorted(unique, ids[present].astype("int64"))
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


def _strings(values: list) -> pd.Series:
    """Repeated short strings (roles, languages) as a categorical of their few values.

    Hashed once (factorize) and built from the codes: ``pd.Categorical(values)`` on a
    million Python strings costs several times more for the same column."""
    if not values:
        return pd.Series(pd.Categorical(values))
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)
    categories = pd.Index(uniques, dtype="str")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


def _repeated(runs: list[tuple[str | None, int]]) -> pd.Series:
    """A categorical of (value, count) runs, built from codes (a wave name per row)."""
    if not sum(n for _v, n in runs):
        return pd.Series(pd.Categorical([]))
    names = sorted({v for v, _n in runs if v is not None})
    code = {v: k for k, v in enumerate(names)}
    codes = np.repeat(np.array([-1 if v is None else code[v] for v, _n in runs],
                               dtype=np.int64),
                      [n for _v, n in runs])
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype="str")))


class _NaNPrefill:
    """Fills a fresh (columns × rows) array with NaN, a band of rows at a time, in a thread
    of its own while the rows are read from the database.

    The first touch of fresh memory is the costly part of filling it here (this kind of
    machine pays several seconds per GB: the kernel and the hypervisor hand out each page
    when it is first written, and NumPy's fill does not hold the GIL), and it overlaps the
    driver's fetching instead of coming before it. :meth:`wait` returns once the rows
    before ``upto`` are filled.
    """

    BAND = FETCH_CHUNK

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.done = 0
        self.failed: BaseException | None = None
        self.ready = threading.Condition()
        self.thread = threading.Thread(target=self._fill, name="nan-prefill", daemon=True)
        self.thread.start()

    def _fill(self) -> None:
        total = self.values.shape[1]
        try:
            for start in range(0, total, self.BAND):
                self.values[:, start:start + self.BAND] = np.nan
                with self.ready:
                    self.done = min(start + self.BAND, total)
                    self.ready.notify_all()
        except BaseException as exc:  # never seen; the reader must not wait forever
            with self.ready:
                self.failed = exc
                self.ready.notify_all()

    def wait(self, upto: int) -> None:
        with self.ready:
            self.ready.wait_for(lambda: self.done >= upto or self.failed is not None)
        if self.failed is not None:
            raise RuntimeError("filling the answer array failed") from self.failed
        if upto >= self.values.shape[1]:
            self.thread.join()


def waves_frame(session: Session, campaigns: Sequence[Campaign],
                with_contacts: Sequence[bool] | None = None) -> pd.DataFrame:
    """The waves' responses stacked in one wide frame in the file format's columns.

    Metadata ``response_id, account_id, contact_id, role, wave, submitted_at, lang`` (text;
    all but ``response_id`` categorical: a million rows hold a few thousand codes), then
    one float32 column per numeric answer of any of the waves (in the order they first
    appear); a wave's rows are NaN in the other waves' columns. ``with_contacts``
    per wave (default all): False leaves that wave's ``contact_id`` empty.
    """
    columns: list[str] = []
    for campaign in campaigns:
        columns += [c for c in campaign.answer_columns if c not in columns]
    position = {c: k for k, c in enumerate(columns)}
    counts = [session.scalar(select(func.count(Response.id)).where(
        Response.campaign_id == c.id)) or 0 for c in campaigns]
    total = sum(counts)
    # float32, as stored: every answer is a small integer (exact in float32), and half the
    # memory of float64 (a million rows × 117 answers: 0.47 GB, not 0.94); each model
    # converts only its own columns to float64 before any arithmetic
    values = np.empty((len(columns), total), dtype=VALUE_DTYPE)
    prefill = _NaNPrefill(values)  # NaN (not answered) everywhere, filled while rows are read
    rid = np.empty(total, dtype="int64")
    account = np.full(total, np.nan)
    contact = np.full(total, np.nan)
    roles: list = []
    stamps = np.zeros(total, dtype="int64")  # microseconds since 1970 (UTC), exact
    # the database turns its timestamps into integers: no million strings to parse
    # (SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff", as SQLAlchemy writes it)
    epoch = ("CAST(EXTRACT(EPOCH FROM submitted_at) * 1000000 AS BIGINT)"
             if session.get_bind().dialect.name == "postgresql" else
             "CAST(strftime('%s', submitted_at) AS INTEGER) * 1000000"
             " + CAST(substr(submitted_at, 21, 6) AS INTEGER)")
    langs: list = []
    waves: list = []
    filled = 0
    connection = session.connection()
    for campaign, count, named in zip(campaigns, counts, with_contacts or [True] * len(
            campaigns), strict=True):
        targets = np.array([position[c] for c in campaign.answer_columns])
        width = len(targets)
        # campaign.id is an int from the database: safe to inline, and the only parameter;
        # on PostgreSQL a named (server-side) cursor streams the rows instead of holding all
        dbapi = connection.connection.dbapi_connection
        cursor = (dbapi.cursor(name=f"wave_answers_{int(campaign.id)}")  # type: ignore[union-attr]
                  if connection.dialect.name == "postgresql" else dbapi.cursor())  # type: ignore[union-attr]
        try:
            cursor.execute(
                f'SELECT id, account_id, contact_id, role, {epoch}, lang, "values" '
                f"FROM responses WHERE campaign_id = {int(campaign.id)} ORDER BY id")
            taken = 0
            while taken < count:
                chunk = cursor.fetchmany(FETCH_CHUNK)
                if not chunk:
                    break
                chunk = chunk[:count - taken]  # rows added while reading are left out
                n = len(chunk)
                ids_, acc, con, role, stamp, lang, blob = zip(*chunk, strict=True)
                rows = slice(filled, filled + n)
                rid[rows] = ids_
                account[rows] = np.array(acc, dtype="float64")  # None → NaN
                if named:
                    contact[rows] = np.array(con, dtype="float64")
                flat = np.frombuffer(b"".join(blob), dtype=VALUE_DTYPE).reshape(n, width)
                prefill.wait(filled + n)  # these rows' NaN is written before their answers
                values[targets, rows] = flat.T
                roles += role
                stamps[rows] = np.array(stamp, dtype="int64")
                langs += lang
                waves.append((campaign.wave, n))
                filled += n
                taken += n
        finally:
            cursor.close()
    prefill.wait(total)
    values = values[:, :filled]
    meta = {
        # the ids as text by Arrow's cast: no million Python strings (1.3 s → 0.05 s)
        "response_id": pd.array(pa.array(rid[:filled]).cast(pa.string()), dtype="string"),
        "account_id": _codes(session, Account, account[:filled]).array,
        "contact_id": _codes(session, Contact, contact[:filled]).array,
        "role": _strings(roles).array,
        "wave": _repeated(waves).array,
        "submitted_at": pd.to_datetime(stamps[:filled], unit="us", utc=True).array,
        "lang": _strings(langs).array,
    }
    frame = pd.DataFrame(values.T, columns=columns, copy=False)
    for k, (name, column) in enumerate(meta.items()):  # insert, not concat: no copy
        frame.insert(k, name, column)
    return frame
