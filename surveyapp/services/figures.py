"""Results → pages: the newest scoring run of a wave, its tables and how fresh it is.

Pages, downloads and exports read figures only through here; nothing here runs the
analysis. Runs never change once stored, so their decoded tables are kept in a small
per-process cache keyed by run id: each app server decodes a run's table once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, Response, ScoringRequest, ScoringRun, ScoringTable
from .scoring import newest_run, read_table
from .wave_inputs import response_facts

CACHE_SIZE = 32  # decoded tables kept per process (a few runs' worth)
# below this many answers a page says "too few answers" instead of a figure: a mean or an
# NPS of two or three people moves by tens of points with one more answer
MIN_ANSWERS = 5
# each run's figures per segment: one row per (segment, value) with the wave's measures, and
# the SERVQUAL items per (segment, value); segment is one of SEGMENT_KINDS
SEGMENTS_TABLE = "segments"
SEGMENT_ITEMS_TABLE = "segment_items"
SEGMENT_KINDS = ("customer_type", "industry", "owner")


def enough(n: object) -> bool:
    """Whether ``n`` answers are enough to show a figure resting on them."""
    try:
        return float(n) >= MIN_ANSWERS  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False

# figures whose n is not "<figure>.n": both NPS columns rest on the recommendation answers;
# the loyalty quadrant and the apostle type on the satisfaction and loyalty indices
SHARED_N = {"nps": ("nps.n",), "nps.unweighted": ("nps.n",),
            "quadrant": ("satisfaction.n", "loyalty_index.n"),
            "apostle": ("satisfaction.n", "loyalty_index.n")}


def _resting_on(columns: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each respondent-based figure among ``columns`` → the n columns it rests on (a
    figure "x" rests on "x.n"; its unweighted twin "x.mean" on the same n)."""
    present = set(columns)
    found = {c: n for c, n in SHARED_N.items() if c in present and set(n) <= present}
    for column in present:
        if column.endswith(".n"):
            continue
        base = column.removesuffix(".mean")
        if f"{base}.n" in present:
            found[column] = (f"{base}.n",)
    return found


def withhold_thin(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of an account-level table with every figure resting on fewer than
    MIN_ANSWERS respondents blanked (NaN; its n kept), so no page, chart or export shows
    it as a number. The one place the fewer-than-5 rule is applied to the accounts."""
    out = table.copy()
    for column, ns in _resting_on(out.columns).items():
        thin = pd.Series(False, index=out.index)
        for n in ns:
            thin |= ~(pd.to_numeric(out[n], errors="coerce") >= MIN_ANSWERS).fillna(False)
        if thin.any():
            if not (pd.api.types.is_float_dtype(out[column])
                    or pd.api.types.is_object_dtype(out[column])):
                out[column] = out[column].astype("object")
            out.loc[thin.to_numpy(dtype=bool), column] = None
    return out


def withhold_thin_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`withhold_thin` for one account's row (None for a blanked figure)."""
    out = dict(row)
    for column, ns in _resting_on(out).items():
        if not all(enough(out.get(n)) for n in ns):
            out[column] = None
    return out


_cache: OrderedDict[tuple[Any, str], Any] = OrderedDict()
_lock = threading.Lock()


def cached(run_id: Any, name: str, build: Any) -> Any:
    """``build()`` once per run and name in this process (runs are immutable)."""
    key = (run_id, name)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = build()
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


@dataclass
class Freshness:
    """How fresh the figures on a page are."""

    as_of: datetime | None  # when the run was computed (None: never)
    scored: int  # responses in the run
    stored: int  # responses stored now
    stale: bool  # a change is waiting to be scored
    error: str | None  # the newest recompute failed: why (its figures are not shown)
    failed_at: datetime | None = None

    @property
    def pending(self) -> int:
        """New answers not yet in the figures."""
        return max(self.stored - self.scored, 0)


class WaveFigures:
    """One wave's newest successful run: its summary and tables, read lazily."""

    def __init__(self, session: Session, campaign: Campaign, run: ScoringRun | None) -> None:
        self.session = session
        self.campaign = campaign
        self.run = run
        # which database and which run: ids repeat across databases (and after a reset)
        self.key = None if run is None else (
            str(session.get_bind().engine.url), run.id, run.created_at.isoformat())

    @property
    def available(self) -> bool:
        return self.run is not None

    @property
    def summary(self) -> dict[str, Any]:
        if self.run is None:
            return {}
        run = self.run
        return cached(self.key, "summary", lambda: json.loads(run.summary_json or "{}"))

    @property
    def inputs(self) -> dict[str, Any]:
        if self.run is None:
            return {}
        run = self.run
        return cached(self.key, "inputs", lambda: json.loads(run.inputs_json or "{}"))

    def names(self) -> list[str]:
        if self.run is None:
            return []
        run_id = self.run.id
        return cached(self.key, "table names", lambda: list(self.session.scalars(
            select(ScoringTable.name).where(ScoringTable.run_id == run_id)
            .order_by(ScoringTable.name))))

    def table(self, name: str) -> pd.DataFrame:
        """A result table (empty when the run has none of that name)."""
        if self.run is None:
            return pd.DataFrame()
        run_id = self.run.id

        def load() -> pd.DataFrame:
            data = self.session.scalar(select(ScoringTable.data).where(
                ScoringTable.run_id == run_id, ScoringTable.name == name))
            return pd.DataFrame() if data is None else read_table(data)

        return cached(self.key, f"table:{name}", load)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in self.names()}

    def derived(self, name: str, build: Any) -> Any:
        """A view of the run's tables built once per process (e.g. an index by account)."""
        if self.run is None:
            return build()
        return cached(self.key, f"derived:{name}", build)

    def freshness(self) -> Freshness:
        stale = self.session.get(ScoringRequest, self.campaign.id) is not None
        failed = newest_run(self.session, self.campaign.id, status=None)
        error = failed_at = None
        if failed is not None and failed.status == "failed":
            error, failed_at = failed.error, failed.created_at
        if self.run is None:
            stored, _last = response_facts(self.session, self.campaign.id)
            return Freshness(None, 0, stored, stale, error, failed_at)
        # answers after the run's newest: an index range of a few rows, not a count of all
        newer = self.session.scalar(select(func.count(Response.id)).where(
            Response.campaign_id == self.campaign.id,
            Response.id > (self.run.last_response_id or 0))) or 0
        return Freshness(self.run.created_at, self.run.response_count,
                         self.run.response_count + int(newer), stale, error, failed_at)


def wave_figures(session: Session, campaign: Campaign) -> WaveFigures:
    return WaveFigures(session, campaign, newest_run(session, campaign.id))


def _plain(value: Any) -> Any:
    try:
        return None if bool(pd.isna(value)) else value
    except (TypeError, ValueError):  # lists and the like are values
        return value


def segment_row(figures: WaveFigures, segment: str, value: str) -> dict[str, Any] | None:
    """The run's figures of one segment (e.g. ``"customer_type", "partnership"``), missing
    values as None; None when the run has no such segment (nobody in it answered)."""
    def build() -> dict[tuple[str, str], dict[str, Any]]:
        table = figures.table(SEGMENTS_TABLE)
        if table.empty or not {"segment", "value"} <= set(table.columns):
            return {}
        return {_segment_key(row["segment"], row["value"]): {str(k): _plain(v)
                                                              for k, v in row.items()}
                for row in table.to_dict(orient="records")}
    rows: dict[tuple[str, str], dict[str, Any]] = figures.derived("segment rows", build)
    return rows.get(_segment_key(segment, value))


def _segment_key(segment: Any, value: Any) -> tuple[str, str]:
    # an owner is an email address, which the accounts file and the login may spell in
    # different case
    return str(segment), str(value).casefold() if segment == "owner" else str(value)


def segment_items(figures: WaveFigures, segment: str, value: str) -> dict[str, dict[str, Any]]:
    """One segment's SERVQUAL items by item id (e, p, gap, n)."""
    def build() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
        table = figures.table(SEGMENT_ITEMS_TABLE)
        out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        if table.empty or not {"segment", "value", "item"} <= set(table.columns):
            return out
        for row in table.to_dict(orient="records"):
            key = _segment_key(row["segment"], row["value"])
            out.setdefault(key, {})[str(row["item"])] = {str(k): _plain(v)
                                                          for k, v in row.items()}
        return out
    items: dict[tuple[str, str], dict[str, dict[str, Any]]] = figures.derived(
        "segment items", build)
    return items.get(_segment_key(segment, value), {})
