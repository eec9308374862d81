"""The portfolio dashboard, read from a wave's stored scoring run.

Nothing here computes a statistic: the run holds the NPS with its margin of error, the
gaps with their tests, importance and performance, contribution, classes and quadrants.
This module picks the accounts a user may see and asked for (customer type, industry,
owner), counts them by stage, class and quadrant, and shapes each chart's series for the
page. Figures that rest on respondents rather than accounts (NPS, gaps, satisfaction,
loyalty) are a segment's when one filter is set or the user is a manager (:mod:`.segments`),
else the wave's as the run scored it; importance stays the wave's. The page says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import StageModel
from analysis.drivers import CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL

from .. import labels
from ..models import Account, Campaign
from ..services.figures import MIN_ANSWERS, Freshness, WaveFigures, enough, wave_figures
from ..services.scoring import COVERAGE_TABLE
from . import segments
from .segments import SIGNIFICANCE, Scope, p_text

PARETO_BARS = 40  # the largest contributors drawn; the ABC table covers all
SCATTER_POINTS = 600  # accounts drawn in the quadrant chart (the largest contributors)
QUADRANT_ORDER = ("loyalist", "mercenary", "hostage", "defector")
ABC_ORDER = ("A", "B", "C", "D")
IPA_QUADRANTS = {CONCENTRATE: _l("Concentrate here"), KEEP_UP: _l("Keep up the good work"),
                 LOW_PRIORITY: _l("Low priority"), OVERKILL: _l("Possible overkill")}


@dataclass(frozen=True)
class DashboardQuery:
    customer_type: str | None = None
    industry: str | None = None
    owner: str | None = None
    own: str | None = None  # a manager's email: their own accounts' figures are shown

    @property
    def filtered(self) -> bool:
        return any((self.customer_type, self.industry, self.owner))

    @property
    def scope(self) -> Scope:
        return segments.scope_of({"customer_type": self.customer_type,
                                  "industry": self.industry, "owner": self.owner}, self.own)


@dataclass
class Dashboard:
    campaign: Campaign
    query: DashboardQuery
    freshness: Freshness | None
    available: bool
    accounts: int = 0  # accounts shown (visible and matching the filters)
    chosen_codes: frozenset[str] | None = None  # their codes when a filter is set
    unplaced: int = 0  # of which without answers in the wave: no stage, no class
    options: dict[str, list[str]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)
    scope: Scope = field(default_factory=lambda: Scope(segments.WAVE))
    nps: dict[str, Any] | None = None  # the scope's (a segment's, or the wave's)
    gaps: list[dict[str, Any]] = field(default_factory=list)  # the scope's, each with "wave"
    indices: dict[str, dict[str, Any]] = field(default_factory=dict)  # satisfaction, loyalty
    wave_nps: dict[str, Any] | None = None  # the whole wave's, beside a segment's
    wave_indices: dict[str, dict[str, Any]] = field(default_factory=dict)
    importance: list[dict[str, Any]] = field(default_factory=list)
    importance_split: tuple[float | None, float | None] = (None, None)
    abc: list[dict[str, Any]] = field(default_factory=list)
    pareto: list[dict[str, Any]] = field(default_factory=list)
    quadrants: list[dict[str, Any]] = field(default_factory=list)
    quadrant_points: list[dict[str, Any]] = field(default_factory=list)
    quadrant_cutoffs: dict[str, float] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # open alerts, in words
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def portfolio(session: Session, codes: frozenset[str] | None) -> pd.DataFrame:
    """Every account the user may see, answered or not (the run's tables hold only the
    accounts that answered): code, name, segment and revenue, as imported."""
    query = select(Account.code.label("account_id"), Account.name, Account.customer_type,
                   Account.industry, Account.owner, Account.revenue)
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["account_id", "name", "customer_type", "industry", "owner",
                                  "revenue"])
    if codes is not None:
        frame = frame[frame["account_id"].isin(codes)]
    return frame.reset_index(drop=True)


def _matching(table: pd.DataFrame, query: DashboardQuery) -> pd.DataFrame:
    if table.empty:
        return table
    mask = pd.Series(True, index=table.index)
    for column, value in (("customer_type", query.customer_type),
                          ("industry", query.industry), ("owner", query.owner)):
        if value and column in table.columns:
            mask &= table[column].astype("string") == value
    return table[mask.fillna(False).to_numpy(dtype=bool)]


def _value(value: Any) -> float | None:
    """A run value as a plain float for the page and the chart data (missing → None)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def build(campaign: Campaign, figures: WaveFigures, every: Callable[[], pd.DataFrame],
          query: DashboardQuery, stage_model: StageModel | None, lang: str,
          trend_figures: list[WaveFigures] | None = None) -> Dashboard:
    """The dashboard of ``figures`` (already limited to what the user may see) over the
    accounts ``every()`` returns (:func:`portfolio`). Built once per run, set of visible
    accounts, filter and language in each process (an import or new answers make a new
    run); only how fresh the figures are is read each time."""
    freshness = figures.freshness()
    if not figures.available:
        return Dashboard(campaign, query, freshness, False)
    trend = trend_figures or []
    key = (f"dashboard {query} {lang} "
           + " ".join(str(f.key) for f in trend if f.available))
    board: Dashboard = figures.derived(key, lambda: _build(
        campaign, figures, every(), query, stage_model, lang, trend))
    return replace(board, freshness=freshness)


def _build(campaign: Campaign, figures: WaveFigures, every: pd.DataFrame,
           query: DashboardQuery, stage_model: StageModel | None, lang: str,
           trend_figures: list[WaveFigures]) -> Dashboard:
    board = Dashboard(campaign, query, None, True)
    board.options = {c: sorted(str(v) for v in every[c].dropna().unique())
                     for c in ("customer_type", "industry", "owner")}
    chosen = _matching(every, query)
    accounts = _matching(figures.table("accounts"), query)
    board.accounts = len(chosen)
    if query.filtered:
        board.chosen_codes = frozenset(str(c) for c in chosen["account_id"])
    board.unplaced = len(chosen) - len(accounts)
    summary = figures.summary
    _stages(board, accounts, figures.inputs.get("stage_order") or [], stage_model, lang)
    _nps(board, summary.get("nps") or {})
    _gaps(board, figures, lang)
    _scoped(board, figures, lang)
    _importance(board, figures, lang)
    _contribution(board, accounts)
    _quadrant(board, accounts, summary.get("quadrant_cutoffs") or {})
    _coverage(board, figures, chosen)
    board.trend = [_wave_point(f) for f in trend_figures if f.available]
    board.charts = _charts(board)
    return board


def _stages(board: Dashboard, accounts: pd.DataFrame, order: list[str],
            model: StageModel | None, lang: str) -> None:
    counts = accounts["stage"].value_counts() if "stage" in accounts.columns else pd.Series()
    # the ladder in order (孕育 → 协作式), uncoupling last; a stage no account is at shows 0
    known = [s for s in order if s != "uncoupling"] + [s for s in order if s == "uncoupling"]
    for stage in known or list(counts.index):
        name = model.stage(stage).name.get(lang, stage) if model else stage
        board.stages.append({"stage": stage, "name": name, "n": int(counts.get(stage, 0))})


def _nps(board: Dashboard, nps: dict[str, Any]) -> None:
    if not nps:
        return
    board.nps = board.wave_nps = segments.nps_figure(nps)


def _gaps(board: Dashboard, figures: WaveFigures, lang: str) -> None:
    dims = (figures.summary.get("servqual") or {}).get("dimensions") or {}
    tests = figures.table("servqual_tests")
    by_dim = {str(r["dimension"]): r for r in tests.to_dict(orient="records")} \
        if not tests.empty else {}
    names = _dimension_names(figures, lang)
    for dim, values in dims.items():
        test = by_dim.get(dim, {})
        n = int(values.get("n") or 0)
        p_holm = _value(test.get("p_holm"))
        board.gaps.append({
            "dimension": dim, "name": names.get(dim, dim), "e": _value(values.get("e")),
            "p": _value(values.get("p")), "gap": _value(values.get("gap")), "n": n,
            "enough": enough(n), "p_holm": p_holm, "p_t_holm": _value(test.get("p_t_holm")),
            "significant": p_holm is not None and p_holm < SIGNIFICANCE,
            "p_text": p_text(p_holm)})
    for gap in board.gaps:
        gap["wave"] = gap["gap"]


def _scoped(board: Dashboard, figures: WaveFigures, lang: str) -> None:
    """The segment's NPS, gaps and indices in place of the wave's (kept beside them)."""
    scope = board.query.scope
    board.scope = scope
    board.wave_indices = board.indices = segments.wave_indices(figures)
    if not scope.scoped:
        return
    row = segments.scoped_row(figures, scope)
    board.nps = segments.segment_nps(row)
    dims = [g["dimension"] for g in board.gaps]
    wave = {g["dimension"]: g["gap"] for g in board.gaps}
    board.gaps = [{**g, "wave": wave.get(g["dimension"])}
                  for g in segments.segment_gaps(row, dims, _dimension_names(figures, lang))]
    board.indices = segments.segment_indices(row)


def _dimension_names(figures: WaveFigures, lang: str) -> dict[str, str]:
    from ..services.instruments import questionnaire_of

    instrument = questionnaire_of(figures.campaign).get("servqual")
    if instrument is None:
        return {}
    return {c.id: c.name.get(lang) or c.id for c in instrument.constructs}


def _importance(board: Dashboard, figures: WaveFigures, lang: str) -> None:
    table = figures.table("servqual_importance")
    if table.empty:
        return
    names = _dimension_names(figures, lang)
    for row in table.to_dict(orient="records"):
        board.importance.append({
            "dimension": row["dimension"], "name": names.get(row["dimension"],
                                                              row["dimension"]),
            "importance": _value(row.get("importance")),
            "performance": _value(row.get("performance")),
            "quadrant": row.get("quadrant"),
            "quadrant_name": str(IPA_QUADRANTS.get(str(row.get("quadrant")),
                                                   row.get("quadrant"))),
            "n": int(row.get("n") or 0)})
    first = table.iloc[0]
    board.importance_split = (_value(first.get("importance_split")),
                              _value(first.get("performance_split")))


def _contribution(board: Dashboard, accounts: pd.DataFrame) -> None:
    if "contribution" not in accounts.columns:
        return
    classes = accounts.groupby("abc", observed=True)["contribution"].agg(["size", "sum"]) \
        if "abc" in accounts.columns else pd.DataFrame()
    for name in ABC_ORDER:
        if name in classes.index:
            board.abc.append({"abc": name, "n": int(classes.at[name, "size"]),  # type: ignore[arg-type]
                              "contribution": _value(classes.loc[name, "sum"])})
        else:
            board.abc.append({"abc": name, "n": 0, "contribution": 0.0})
    top = accounts.sort_values("contribution", ascending=False, na_position="last",
                               kind="stable").head(PARETO_BARS)
    board.pareto = [{"account_id": r["account_id"], "name": r.get("name"),
                     "contribution": _value(r.get("contribution")), "abc": r.get("abc"),
                     "cumulative_share": _value(r.get("cumulative_share"))}
                    for r in top.to_dict(orient="records")]


def _quadrant(board: Dashboard, accounts: pd.DataFrame, cutoffs: dict[str, float]) -> None:
    board.quadrant_cutoffs = cutoffs
    counts = accounts["quadrant"].value_counts() if "quadrant" in accounts.columns \
        else pd.Series()
    board.quadrants = [{"quadrant": q, "n": int(counts.get(q, 0))} for q in QUADRANT_ORDER]
    if not {"satisfaction", "loyalty_index"} <= set(accounts.columns):
        return
    placed = accounts.dropna(subset=["satisfaction", "loyalty_index"])
    if "contribution" in placed.columns:
        placed = placed.sort_values("contribution", ascending=False, kind="stable")
    board.quadrant_points = [
        {"account_id": r["account_id"], "name": r.get("name"), "quadrant": r.get("quadrant"),
         "x": _value(r["satisfaction"]), "y": _value(r["loyalty_index"])}
        for r in placed.head(SCATTER_POINTS).to_dict(orient="records")]


def _coverage(board: Dashboard, figures: WaveFigures, accounts: pd.DataFrame) -> None:
    """Who answered: contacts, accounts, and the share of revenue behind the answers."""
    coverage = figures.table(COVERAGE_TABLE)
    if coverage.empty or accounts.empty:
        return
    joined = accounts[["account_id", "revenue"]].merge(coverage, on="account_id", how="left")
    invited = int(joined["invited"].fillna(0).sum())
    responded = int(joined["responded"].fillna(0).sum())
    answered = joined["responded"].fillna(0) > 0
    revenue = joined["revenue"].fillna(0)
    total = float(revenue.sum())
    board.coverage = {
        "accounts": len(joined), "answered_accounts": int(answered.sum()),
        "invited": invited, "responded": responded,
        "contact_share": responded / invited if invited else None,
        "revenue": total, "revenue_answered": float(revenue[answered].sum()),
        "revenue_share": float(revenue[answered].sum()) / total if total > 0 else None}


def _wave_point(figures: WaveFigures) -> dict[str, Any]:
    summary = figures.summary
    nps = summary.get("nps") or {}
    dims = (summary.get("servqual") or {}).get("dimensions") or {}
    n = int(nps.get("n") or 0)
    return {"campaign": figures.campaign.id, "name": figures.campaign.name,
            "wave": figures.campaign.wave or figures.campaign.name,
            "nps": _value(nps.get("nps")) if enough(n) else None,
            "moe": _value(nps.get("moe")), "n": n,
            "gaps": {d: _value(v.get("gap")) for d, v in dims.items()},
            "stages": summary.get("stages") or {}}


def trend_figures(session: Session, waves: list[Campaign]) -> list[WaveFigures]:
    """The newest run of each wave, oldest wave first (for the trend charts)."""
    return [wave_figures(session, c) for c in sorted(waves, key=lambda c: c.id)]


# --------------------------------------------------------------------------- charts


def _charts(board: Dashboard) -> dict[str, dict[str, Any]]:
    """Each chart's data for the static chart script (read from a JSON block)."""
    charts: dict[str, dict[str, Any]] = {}
    if board.stages:
        charts["stages"] = {"kind": "bar", "labels": [s["name"] for s in board.stages],
                            "series": [{"label": _("Accounts"),
                                        "data": [s["n"] for s in board.stages]}],
                            "y": _("Accounts"), "colors": "stages", "counts": True}
    shown = [g for g in board.gaps if g["enough"]]
    if shown:
        charts["gaps"] = {"kind": "bar", "labels": [g["name"] for g in shown],
                          "series": [{"label": _("Gap (P − E)"),
                                      "data": [g["gap"] for g in shown]}],
                          "y": _("Gap (P − E)"), "colors": "sign"}
        if board.scope.scoped:  # the segment's bars beside the whole wave's
            charts["gaps"]["series"] = [
                {"label": _("These accounts") if board.scope.kind == segments.SEGMENT
                 else _("Your accounts"), "data": [g["gap"] for g in shown]},
                {"label": _("Whole wave"), "data": [g["wave"] for g in shown]}]
            del charts["gaps"]["colors"]
        charts["ep"] = {"kind": "bar", "labels": [g["name"] for g in shown],
                        "series": [{"label": _("Expectation"), "data": [g["e"] for g in shown]},
                                   {"label": _("Perception"), "data": [g["p"] for g in shown]}],
                        "y": _("Mean on the 1–7 scale"), "min": 1, "max": 7}
    if board.importance:
        x_split, y_split = board.importance_split
        charts["importance"] = {
            "kind": "scatter", "x": _("Importance (points of 100)"),
            "y": _("Performance (0–100)"), "split": [x_split, y_split],
            "series": [{"label": row["name"],
                        "data": [{"x": row["importance"], "y": row["performance"]}]}
                       for row in board.importance], "legend": True}
    if board.pareto:
        charts["pareto"] = {
            "kind": "pareto", "labels": [r["account_id"] for r in board.pareto],
            "series": [{"label": _("Contribution"), "data": [r["contribution"]
                                                             for r in board.pareto]},
                       {"label": _("Cumulative share of contribution"),
                        "data": [r["cumulative_share"] for r in board.pareto]}],
            "classes": [r["abc"] for r in board.pareto],
            "y": _("Contribution"), "y2": _("Cumulative share")}
    if board.quadrant_points:
        cut = board.quadrant_cutoffs
        charts["quadrant"] = {
            "kind": "scatter", "x": _("Satisfaction index (0–100)"),
            "y": _("Loyalty index (0–100)"),
            "split": [cut.get("satisfaction"), cut.get("loyalty")], "min": 0, "max": 100,
            "series": [{"label": str(labels.QUADRANTS.get(q, q)),
                        "data": [{"x": p["x"], "y": p["y"], "id": p["account_id"]}
                                 for p in board.quadrant_points if p["quadrant"] == q]}
                       for q in QUADRANT_ORDER], "legend": True}
    if len(board.trend) >= 1:
        charts["trend"] = {"kind": "line", "labels": [t["wave"] for t in board.trend],
                           "series": [{"label": "NPS", "data": [t["nps"] for t in board.trend]}],
                           "y": "NPS", "min": -100, "max": 100}
    return charts


def describe_alerts(session: Session, open_alerts: list[Any], lang: str
                    ) -> list[dict[str, Any]]:
    """Open alerts as the dashboard lists them: the account, what happened (every rule the
    response broke, the role, the date) and when the alert was raised."""
    from ..services.alerts import alert_title

    questionnaires: dict = {}
    return [{"code": a.account.code, "account": a.account.name,
             "what": alert_title(session, a, lang, questionnaires, with_account=False),
             "created_at": a.created_at} for a in open_alerts]


__all__ = ["MIN_ANSWERS", "Dashboard", "DashboardQuery", "build", "trend_figures"]
