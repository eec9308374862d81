"""Responses: store a submitted questionnaire, and load a campaign's answers as a wide frame."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Questionnaire

from ..models import Account, Campaign, Contact, Response, TextAnswer

VALUE_DTYPE = np.dtype("<f4")  # every scale answer and allocation is a small integer


def pack(values: Mapping[str, float | int | None], columns: list[str]) -> bytes:
    """Numeric answers in column order as little-endian float32 (NaN = missing)."""
    array = np.array([np.nan if values.get(c) is None else values[c] for c in columns],
                     dtype=VALUE_DTYPE)
    return array.tobytes()


def unpack(blobs: list[bytes] | pd.Series, n_columns: int) -> np.ndarray:
    """Packed rows → a (rows, columns) float64 array."""
    if len(blobs) == 0:
        return np.empty((0, n_columns), dtype="float64")
    flat = np.frombuffer(b"".join(blobs), dtype=VALUE_DTYPE)
    return flat.reshape(len(blobs), n_columns).astype("float64")


def add_response(session: Session, campaign: Campaign, answers: Mapping[str, object],
                 questionnaire: Questionnaire, *, contact: Contact | None = None,
                 invitation_id: int | None = None, lang: str | None = None) -> Response:
    """Add (not commit) a response from validated answers keyed by answer column."""
    columns = campaign.answer_columns
    numeric = {c: answers.get(c) for c in columns}
    response = Response(
        campaign_id=campaign.id, invitation_id=invitation_id,
        account_id=contact.account_id if contact else None,
        contact_id=contact.id if contact else None,
        role=contact.role if contact else None, lang=lang,
        values=pack(numeric, columns))  # type: ignore[arg-type]
    for col in questionnaire.text_columns:
        text = answers.get(col)
        if isinstance(text, str) and text.strip():
            response.texts.append(TextAnswer(answer_id=col, text=text.strip()))
    session.add(response)
    return response


def campaign_frame(session: Session, campaign: Campaign,
                   account_ids: list[int] | None = None) -> pd.DataFrame:
    """The campaign's responses as a wide frame in the file format's columns.

    Metadata columns ``response_id, account_id, contact_id, role, wave, submitted_at, lang``
    (account and contact as their codes), then one float column per numeric answer.
    """
    query = (
        select(Response.id.label("response_id"), Account.code.label("account_id"),
               Contact.code.label("contact_id"), Response.role, Response.submitted_at,
               Response.lang, Response.values)
        .select_from(Response)
        .outerjoin(Account, Account.id == Response.account_id)
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(Response.campaign_id == campaign.id)
        .order_by(Response.id)
    )
    if account_ids is not None:
        query = query.where(Response.account_id.in_(account_ids))
    rows = session.execute(query).all()
    columns = campaign.answer_columns
    meta = pd.DataFrame(
        [r[:-1] for r in rows],
        columns=["response_id", "account_id", "contact_id", "role", "submitted_at", "lang"])
    meta["response_id"] = meta["response_id"].astype("string")
    meta.insert(4, "wave", campaign.wave)
    values = pd.DataFrame(unpack([r[-1] for r in rows], len(columns)), columns=columns)
    return pd.concat([meta, values], axis=1)


def text_answers(session: Session, campaign: Campaign,
                 account_id: int | None = None) -> pd.DataFrame:
    """Free-text answers with who gave them (role) and when."""
    query = (select(TextAnswer.answer_id, TextAnswer.text, Response.role, Response.submitted_at)
             .join(Response, Response.id == TextAnswer.response_id)
             .where(Response.campaign_id == campaign.id)
             .order_by(Response.submitted_at.desc()))
    if account_id is not None:
        query = query.where(Response.account_id == account_id)
    return pd.DataFrame(session.execute(query).all(),
                        columns=["answer_id", "text", "role", "submitted_at"])
