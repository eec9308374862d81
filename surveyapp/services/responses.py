"""Responses: store a submitted questionnaire, and load a campaign's answers as a wide frame."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from analysis import Questionnaire

from ..models import Account, Campaign, Contact, Response, TextAnswer

VALUE_DTYPE = np.dtype("<f4")  # every scale answer and allocation is a small integer


def pack(values: Mapping[str, float | int | None], columns: list[str]) -> bytes:
    """Numeric answers in column order as little-endian float32 (NaN = missing)."""
    array = np.array([np.nan if values.get(c) is None else values[c] for c in columns],
                     dtype=VALUE_DTYPE)
    return array.tobytes()


def pack_rows(values: np.ndarray) -> list[bytes]:
    """Each row of a (responses, columns) array, packed as :func:`pack` does."""
    return [row.tobytes() for row in np.ascontiguousarray(values, dtype=VALUE_DTYPE)]


def unpack(blobs: list[bytes] | pd.Series, n_columns: int) -> np.ndarray:
    """Packed rows → a (rows, columns) float64 array."""
    if len(blobs) == 0:
        return np.empty((0, n_columns), dtype="float64")
    flat = np.frombuffer(b"".join(blobs), dtype=VALUE_DTYPE)
    return flat.reshape(len(blobs), n_columns).astype("float64")


def add_response(session: Session, campaign: Campaign, answers: Mapping[str, object],
                 questionnaire: Questionnaire, *, contact: Contact | None = None,
                 invitation_id: int | None = None, lang: str | None = None) -> Response:
    """Add (not commit) a response from validated answers keyed by answer column.

    An answer of :data:`analysis.instrument.NOT_APPLICABLE` is stored as missing in the
    values and listed in ``not_applicable_json``, so it is counted apart from a blank.
    """
    import json  # local: this file's imports belong to its other functions' owners

    from analysis.instrument import NOT_APPLICABLE

    columns = campaign.answer_columns
    not_applicable = [c for c in columns if answers.get(c) == NOT_APPLICABLE]
    marked = set(not_applicable)
    numeric = {c: None if c in marked else answers.get(c) for c in columns}
    response = Response(
        campaign_id=campaign.id, invitation_id=invitation_id,
        account_id=contact.account_id if contact else None,
        contact_id=contact.id if contact else None,
        role=contact.role if contact else None, lang=lang,
        values=pack(numeric, columns),  # type: ignore[arg-type]
        not_applicable_json=json.dumps(not_applicable) if not_applicable else None)
    for col in questionnaire.text_columns:
        text = answers.get(col)
        if isinstance(text, str) and text.strip():
            response.texts.append(TextAnswer(answer_id=col, text=text.strip()))
    session.add(response)
    return response


FETCH_CHUNK = 50_000


def _codes(session: Session, model: type[Account] | type[Contact],
           ids: np.ndarray) -> pd.Categorical:
    """Integer ids → their codes as a categorical (one string per distinct id, not per row)."""
    present = ~np.isnan(ids)
    unique = np.unique(ids[present]).astype("int64")
    labels: dict[int, str] = {}
    for start in range(0, len(unique), 10_000):  # keep IN lists a safe size
        part = unique[start:start + 10_000].tolist()
        labels.update(session.execute(select(model.id, model.code).where(
            model.id.in_(part))).all())
    categories = [labels[i] for i in unique.tolist()]
    codes = np.full(len(ids), -1, dtype="int64")
    codes[present] = np.searchsorted(unique, ids[present].astype("int64"))
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="string"))


def campaign_frame(session: Session, campaign: Campaign,
                   account_ids: list[int] | None = None) -> pd.DataFrame:
    """The campaign's responses as a wide frame in the file format's columns.

    Metadata columns ``response_id, account_id, contact_id, role, wave, submitted_at, lang``
    (account and contact as their codes, categorical), then one float64 column per numeric
    answer. Rows are read in chunks straight into preallocated arrays, so a million
    responses cost little more memory than the answers themselves.
    """
    columns = campaign.answer_columns
    condition = Response.campaign_id == campaign.id
    if account_ids is not None:
        condition = condition & Response.account_id.in_(account_ids)
    total = session.scalar(select(func.count()).select_from(Response).where(condition)) or 0
    query = (
        select(Response.id, Response.account_id, Response.contact_id, Response.role,
               cast(Response.submitted_at, String), Response.lang, Response.values)
        .where(condition).order_by(Response.id)
        .execution_options(yield_per=FETCH_CHUNK)
    )
    # column-major, as pandas keeps a block: each answer column is then contiguous in memory
    values = np.empty((len(columns), total), dtype="float64")
    ids = np.empty(total, dtype="int64")
    account = np.full(total, np.nan)
    contact = np.full(total, np.nan)
    roles: list[pd.Categorical] = []
    stamps: list[pd.Series] = []
    langs: list[pd.Categorical] = []
    filled = 0
    # Core, not ORM, execution: rows come back as plain tuples without ORM bookkeeping; on
    # PostgreSQL yield_per streams them through a server-side cursor, closed in any case
    result = session.connection().execute(query)
    try:
        for chunk in result.partitions(FETCH_CHUNK):
            n = min(len(chunk), total - filled)  # rows added while reading are left out
            if n <= 0:
                break
            rid, acc, con, role, stamp, lang, blob = zip(*chunk[:n], strict=True)
            rows = slice(filled, filled + n)
            ids[rows] = rid
            account[rows] = np.array(acc, dtype="float64")  # None → NaN
            contact[rows] = np.array(con, dtype="float64")
            values[:, rows] = unpack(list(blob), len(columns)).T
            roles.append(pd.Categorical(role))
            stamps.append(pd.Series(stamp, dtype="string"))
            langs.append(pd.Categorical(lang))
            filled += n
    finally:
        result.close()
    values = values[:, :filled]

    def joined(parts: list[pd.Categorical]) -> pd.Series:
        if not parts:
            return pd.Series([], dtype="string")
        return pd.Series(union_categoricals(parts, ignore_order=True))

    meta = pd.DataFrame({
        "response_id": pd.array(ids[:filled].astype(str), dtype="string"),
        "account_id": _codes(session, Account, account[:filled]),
        "contact_id": _codes(session, Contact, contact[:filled]),
        "role": joined(roles),
        "wave": pd.Categorical([campaign.wave] * filled),
        "submitted_at": pd.to_datetime(
            pd.concat(stamps, ignore_index=True) if stamps else pd.Series([], dtype="string"),
            utc=True, format="ISO8601"),
        "lang": joined(langs),
    })
    frame = pd.DataFrame(values.T, columns=columns, copy=False)
    for position, name in enumerate(meta.columns):  # insert, not concat: no copy of values
        frame.insert(position, name, meta[name].to_numpy() if name == "response_id"
                     else meta[name].array)
    return frame


def text_answers(session: Session, campaign: Campaign,
                 account_id: int | None = None) -> pd.DataFrame:
    """Free-text answers with where they came from (account, role) and when."""
    query = (select(Account.code, Account.name, Response.role, Response.submitted_at,
                    TextAnswer.answer_id, TextAnswer.text)
             .join(Response, Response.id == TextAnswer.response_id)
             .outerjoin(Account, Account.id == Response.account_id)
             .where(Response.campaign_id == campaign.id)
             .order_by(Response.submitted_at.desc()))
    if account_id is not None:
        # the account's responses first (its index: a few rows), so the planner does not
        # walk the whole wave by campaign to find one account's comments
        ids = [rid for rid, wave in session.execute(
            select(Response.id, Response.campaign_id).where(Response.account_id == account_id))
            if wave == campaign.id]
        query = query.where(TextAnswer.response_id.in_(ids))
    return pd.DataFrame(session.execute(query).all(),
                        columns=["account_id", "account", "role", "submitted_at", "answer_id",
                                 "text"])


def text_answer_frame(session: Session, campaign: Campaign) -> pd.DataFrame:
    """Free-text answers in the wide format: one row per response (``response_id``), one
    column per open question."""
    rows = session.execute(
        select(TextAnswer.response_id, TextAnswer.answer_id, TextAnswer.text)
        .join(Response, Response.id == TextAnswer.response_id)
        .where(Response.campaign_id == campaign.id)).all()
    frame = pd.DataFrame(rows, columns=["response_id", "answer_id", "text"])
    frame["response_id"] = frame["response_id"].astype("string")
    return frame.pivot(index="response_id", columns="answer_id", values="text")
