"""Scoring runs: a wave's figures, computed once per change in the background and stored.

A change the figures rest on (a response, an import, an assessment edit, a changed
setting) calls :func:`request_recompute` after its commit: the wave is marked stale and the
recompute job is queued a few seconds later. The job compares a cheap fingerprint of the
data with the newest run and does nothing when it is current, so changes in quick
succession cost one recompute. A run stores the analysis summary (JSON) and every result
table as Parquet bytes in the database, so every app server reads the same runs. A failed
recompute is stored with its error and the previous successful run stays in use.
"""

from __future__ import annotations

import gc
import io
import json
import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from analysis import analyze

from .. import jobs
from ..models import Campaign, ScoringRequest, ScoringRun, ScoringTable
from .wave_inputs import ScoringSettings, fingerprint, load_inputs

DEFAULT_DELAY_S = 3.0  # changes within this time are scored together
KEEP_RUNS = 3  # successful runs kept per wave (older ones are deleted with their tables)
CLAIM_TIMEOUT = timedelta(minutes=30)  # a claim older than this belongs to a dead worker
COVERAGE_TABLE = "coverage"
_in_job: ContextVar[bool] = ContextVar("surveyapp_in_scoring_job", default=False)


# --------------------------------------------------------------------------- requests


def customer_wave_ids(session: Session, campaign_ids: Iterable[int] | None) -> list[int]:
    """The customer waves whose figures a change to ``campaign_ids`` touches.

    The managers' assessment is read beside every customer wave, so a change to it touches
    them all; ``None`` means every wave.
    """
    waves = dict(session.execute(select(Campaign.id, Campaign.audience)).all())
    customer = sorted(i for i, audience in waves.items() if audience == "customer")
    if campaign_ids is None:
        return customer
    wanted = set(campaign_ids)
    if any(waves.get(i) == "manager" for i in wanted):
        return customer
    return [i for i in customer if i in wanted]


def request_recompute(session: Session, campaign_ids: Iterable[int] | None = None, *,
                      delay: float | None = None) -> list[int]:
    """Mark the waves' stored figures stale and queue their recompute.

    Call after committing a change that the figures rest on (a response, an import, an
    assessment edit, a changed setting); ``None`` means every wave. Returns the customer
    waves marked. ``delay`` (seconds; default the ``RECOMPUTE_DELAY`` setting) gathers
    changes in quick succession into one recompute.
    """
    ids = customer_wave_ids(session, campaign_ids)
    if not ids:
        return []
    now = datetime.now(UTC)
    for campaign_id in ids:
        _mark_stale(session, campaign_id, now)
    if _in_command() and has_app_context():
        # a command line (an import, a wave command) finishes its work before it returns:
        # no worker may be running, and the person at the terminal expects current figures
        recompute_now(session, ids, ScoringSettings.from_config(current_app.config))
        return ids
    if delay is None:
        delay = float(current_app.config.get("RECOMPUTE_DELAY", DEFAULT_DELAY_S)
                      if has_app_context() else DEFAULT_DELAY_S)
    if delay <= 0 or jobs.huey.immediate:  # huey keeps delayed jobs aside in immediate mode
        recompute_job(ids)
    else:
        recompute_job.schedule(args=(ids,), delay=delay)
    return ids


def request_first_run(session: Session, campaign: Campaign) -> bool:
    """Queue the first run of a wave that has none and none pending (e.g. a wave created
    before scoring runs existed); True when one was queued."""
    if newest_run(session, campaign.id, status=None) is not None or is_stale(
            session, campaign.id):
        return False
    request_recompute(session, [campaign.id], delay=0)
    return True


def _in_command() -> bool:
    """Running inside a ``surveyapp`` command, not a web request or a background job
    (click's context is per thread: request threads of ``surveyapp run`` have none)."""
    import click
    from flask import has_request_context

    return not has_request_context() and not _in_job.get() and \
        click.get_current_context(silent=True) is not None


def _mark_stale(session: Session, campaign_id: int, now: datetime) -> None:
    changed = session.execute(update(ScoringRequest)
                              .where(ScoringRequest.campaign_id == campaign_id)
                              .values(requested_at=now)).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.add(ScoringRequest(campaign_id=campaign_id, requested_at=now))
    try:
        session.commit()
    except IntegrityError:  # another process marked it at the same moment: it is marked
        session.rollback()


MAX_ROUNDS = 20  # recomputes one job runs back to back while changes keep arriving


@jobs.job(retries=2, retry_delay=10)
def recompute_job(campaign_ids: list[int]) -> None:
    """Bring the waves' scoring runs up to date (nothing to do when they are current)."""
    from ..db import get_session

    settings = ScoringSettings.from_config(current_app.config)
    session = get_session()
    token = _in_job.set(True)
    try:
        for campaign_id in campaign_ids:
            campaign = session.get(Campaign, campaign_id)
            if campaign is not None:
                catch_up(session, campaign, settings)
    finally:
        _in_job.reset(token)


def catch_up(session: Session, campaign: Campaign, settings: ScoringSettings) -> None:
    """Recompute until no change is left unscored.

    A change that arrives while a recompute runs queues a job that finds the wave claimed
    and returns at once; the running job then sees the wave still marked when it finishes
    and computes again straight away, instead of leaving that change unscored until the
    next one comes (or making it wait out a retry delay).
    """
    for _round in range(MAX_ROUNDS):
        run = recompute(session, campaign, settings)
        if run is None or run.status != "ok" or not is_stale(session, campaign.id):
            return  # current, claimed by another worker, or failed (the mark stays)


# --------------------------------------------------------------------------- computing


def newest_run(session: Session, campaign_id: int, status: str | None = "ok") -> ScoringRun | None:
    """The wave's newest run (successful by default). Its summary and inputs, megabytes on
    a large portfolio, are read only when used."""
    query = select(ScoringRun).where(ScoringRun.campaign_id == campaign_id).options(
        defer(ScoringRun.summary_json), defer(ScoringRun.inputs_json))
    if status is not None:
        query = query.where(ScoringRun.status == status)
    return session.scalar(query.order_by(ScoringRun.id.desc()).limit(1))


def is_stale(session: Session, campaign_id: int) -> bool:
    return session.get(ScoringRequest, campaign_id) is not None


def recompute(session: Session, campaign: Campaign, settings: ScoringSettings, *,
              force: bool = False) -> ScoringRun | None:
    """Compute and store a new run of the wave unless the newest one is current.

    Returns the new run (successful or failed), or None when nothing was computed: the
    newest run is current, or another worker is computing this wave right now (it will
    see any change that came after it started, as the request stays marked).
    """
    started = datetime.now(UTC)
    if not _claim(session, campaign.id, started):
        return None
    try:
        digest, facts = fingerprint(session, campaign, settings)
        current = newest_run(session, campaign.id)
        if not force and current is not None and current.fingerprint == digest:
            _release(session, campaign.id, started, done=True)
            return None
        run = _compute(session, campaign, settings, digest, facts)
        _release(session, campaign.id, started, done=run.status == "ok")
        return run
    except BaseException:
        session.rollback()
        _release(session, campaign.id, started, done=False)
        raise


def recompute_now(session: Session, campaign_ids: Iterable[int] | None,
                  settings: ScoringSettings) -> list[ScoringRun]:
    """Recompute here and now (CLI commands finish their work before they return)."""
    runs = []
    for campaign_id in customer_wave_ids(session, campaign_ids):
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            continue
        if session.get(ScoringRequest, campaign_id) is None:
            session.add(ScoringRequest(campaign_id=campaign_id, requested_at=datetime.now(UTC)))
            session.commit()
        run = recompute(session, campaign, settings)
        if run is not None:
            runs.append(run)
    return runs


def _claim(session: Session, campaign_id: int, now: datetime) -> bool:
    """Take the wave's recompute for this worker (one atomic UPDATE decides)."""
    if session.get(ScoringRequest, campaign_id) is None:
        session.add(ScoringRequest(campaign_id=campaign_id, requested_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    taken = session.execute(
        update(ScoringRequest)
        .where(ScoringRequest.campaign_id == campaign_id,
               (ScoringRequest.running_since.is_(None))
               | (ScoringRequest.running_since < now - CLAIM_TIMEOUT))
        .values(running_since=now)).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(taken)


def _release(session: Session, campaign_id: int, started: datetime, *, done: bool) -> None:
    """Give the claim back; the stale mark goes only if nothing changed since we started
    (a later change keeps it, and its own queued job scores it)."""
    if done:
        session.execute(delete(ScoringRequest).where(
            ScoringRequest.campaign_id == campaign_id,
            ScoringRequest.requested_at <= started))
    session.execute(update(ScoringRequest).where(ScoringRequest.campaign_id == campaign_id)
                    .values(running_since=None))
    session.commit()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Bulk loads build millions of small objects that hold no cycles; the cyclic
    collector's passes over them cost about as much as the load itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(session: Session, campaign: Campaign, settings: ScoringSettings, digest: str,
             facts: dict[str, Any]) -> ScoringRun:
    clock = time.perf_counter()
    run = ScoringRun(campaign_id=campaign.id, fingerprint=digest,
                     response_count=facts["responses"],
                     last_response_id=facts["last_response_id"],
                     assessment_campaign_id=(facts.get("assessment") or {}).get("campaign_id"),
                     inputs_json=json.dumps(facts, default=str, ensure_ascii=False))
    try:
        with no_cyclic_gc():
            inputs = load_inputs(session, campaign, settings, facts)
            if inputs.stage_model is not None:  # the ladder's order, for sorting by stage
                model = inputs.stage_model
                facts["stage_order"] = [*model.ladder, *(
                    [model.uncoupling.id] if model.uncoupling else [])]
                run.inputs_json = json.dumps(facts, default=str, ensure_ascii=False)
            result = analyze(inputs.questionnaire, inputs.responses, inputs.accounts,
                             inputs.options)
            tables = {**result.tables, COVERAGE_TABLE: inputs.coverage}
            encoded = {name: table_bytes(table) for name, table in tables.items()}
    except Exception as exc:  # any failure is the run's outcome, shown on the pages
        session.rollback()
        run.status = "failed"
        run.error = f"{type(exc).__name__}: {exc}"
        current_app.logger.warning("recompute of wave %s failed:\n%s", campaign.id,
                                   traceback.format_exc()) if has_app_context() else None
        run.duration_s = time.perf_counter() - clock
        session.add(run)
        session.commit()
        return run
    run.status = "ok"
    run.summary_json = json.dumps(result.summary, ensure_ascii=False, allow_nan=False)
    session.add(run)
    session.flush()
    for name, data in encoded.items():
        session.add(ScoringTable(run_id=run.id, name=name, data=data))
    run.duration_s = time.perf_counter() - clock
    session.commit()
    _prune(session, campaign.id)
    return run


def _prune(session: Session, campaign_id: int) -> None:
    """Keep the newest successful runs (and failures after them); delete the rest."""
    keep = session.scalars(select(ScoringRun.id).where(
        ScoringRun.campaign_id == campaign_id, ScoringRun.status == "ok")
        .order_by(ScoringRun.id.desc()).limit(KEEP_RUNS)).all()
    if len(keep) < KEEP_RUNS:
        return
    oldest = min(keep)
    old = select(ScoringRun.id).where(ScoringRun.campaign_id == campaign_id,
                                      ScoringRun.id < oldest)
    session.execute(delete(ScoringTable).where(ScoringTable.run_id.in_(old)))
    session.execute(delete(ScoringRun).where(ScoringRun.id.in_(old)))
    session.commit()


def table_bytes(table: pd.DataFrame) -> bytes:
    """A result table as Parquet; columns of mixed Python objects are stored as text."""
    frame = table
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].dropna()
            kinds = {type(v) for v in values}
            if kinds and not kinds <= {str} and not kinds <= {bool}:
                frame = frame.assign(**{str(column): frame[column].map(
                    lambda v: None if v is None or (isinstance(v, float) and v != v)
                    else str(v))})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", compression="zstd")
    return buffer.getvalue()


def read_table(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data), engine="pyarrow")
