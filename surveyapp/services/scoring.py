"""Scoring runs: a wave's figures, computed once per change in the background and stored."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session


def request_recompute(session: Session, campaign_ids: Iterable[int] | None = None) -> None:
    """Mark the waves' stored figures stale and queue their recompute.

    Call after committing a change that the figures rest on (a response, an import, an
    assessment edit, a changed setting); ``None`` means every wave.
    """
