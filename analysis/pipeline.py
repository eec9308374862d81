"""Run every model whose instrument is present, on any questionnaire and responses frame.

Which model runs is decided by the instruments, never by their file names:

* SERVQUAL — an instrument with facets ``e`` and ``p`` (gaps, scores, significance);
* Gap 1 — an instrument asking the SERVQUAL dimensions with facet ``e`` only, answered by
  managers;
* the satisfaction index model (PLS-PM) — an instrument with a ``[model]`` section;
* loyalty — an instrument with the four degree constructs (NPS from an item ``nps``);
* the manager's relationship assessment — an instrument whose items are stage indicators;
* the twenty-five grid — an instrument with items ``grid_step`` and ``grid_level``;
* contribution and stages — when an accounts frame is given.

Each model uses the rows that answered its instrument, so customers' and managers' answers
can share one file. The result is a JSON-ready summary (keys documented in the README) and
tables for the workbook. Pure: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import loyalty as loyalty_mod
from .contribution import account_contribution
from .drivers import importance_performance, relative_weights, stated_importance
from .frames import META_COLUMNS, reverse_keyed
from .instrument import Instrument, Questionnaire
from .pls import ConvergenceError, blocks_from_instrument, bootstrap, pls_pm, ranges_from_instrument
from .reliability import item_statistics, reliability_table
from .rollup import (
    BUYER_ROLES,
    UNKNOWN_ROLE,
    account_rollup,
    normalize_roles,
    unknown_roles,
)
from .servqual import (
    SCORE_COLUMNS,
    ServqualLayout,
    construct_means,
    gap1,
    item_gaps,
    respondent_scores,
    summarize,
)
from .significance import gap_significance
from .stages import (
    StageModel,
    account_grid,
    count_roles,
    latest_assessment,
    place_accounts,
    stage_distribution,
    stage_indicators,
)

GRID_ITEMS = ("grid_step", "grid_level")


@dataclass(frozen=True)
class AnalysisOptions:
    """Choices a user can make; defaults follow DESIGN.md."""

    role_weights: Mapping[str, float] | None = None
    stage_model: StageModel | None = None
    scaled: bool = True  # PLS indicators standardized (False: centred only)
    n_boot: int = 0  # bootstrap resamples for the path intervals (0: none)
    seed: int = 2026
    by: Sequence[str] = ()  # extra groupings for SERVQUAL (role, wave, customer_type, owner…)


@dataclass
class AnalysisResult:
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _answered(responses: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Rows that answered at least one of ``columns``."""
    cols = [c for c in columns if c in responses.columns]
    if not cols:
        return pd.Series(False, index=responses.index)
    return responses[cols].notna().any(axis=1)


def _subset(responses: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """The rows selected, without copying the frame when every row is."""
    return responses if bool(rows.all()) else responses.loc[rows]


def _num(value: Any) -> float | None:
    """A JSON number, or None for missing."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _int(value: Any) -> int:
    number = _num(value)
    return 0 if number is None else int(number)


def jsonable(value: Any) -> Any:
    """Nested data with NaN → None and numpy scalars → Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _num(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def find_servqual(q: Questionnaire) -> Instrument | None:
    for inst in q.instruments:
        if {"e", "p"} <= set(inst.facets) and any(
                {"e", "p"} <= set(i.facets) for i in inst.items):
            return inst
    return None


def find_gap1(q: Questionnaire, servqual: Instrument | None) -> Instrument | None:
    if servqual is None:
        return None
    dims = {c.id for c in servqual.constructs}
    for inst in q.instruments:
        if inst is servqual or "p" in inst.facets or "e" not in inst.facets:
            continue
        if {c.id for c in inst.constructs} & dims:
            return inst
    return None


def find_loyalty(q: Questionnaire) -> Instrument | None:
    for inst in q.instruments:
        if set(loyalty_mod.DEGREES) <= {c.id for c in inst.constructs}:
            return inst
    return None


def find_nps_column(q: Questionnaire) -> str | None:
    for inst in q.instruments:
        for item in inst.items:
            scale = inst.scales[item.scale]
            if item.id == "nps" and not item.facets and (scale.min, scale.max) == (0, 10):
                return item.id
    return None


def find_assessment(q: Questionnaire, model: StageModel | None) -> Instrument | None:
    if model is None:
        return None
    indicators = set(model.indicators)
    for inst in q.instruments:
        if {i.id for i in inst.items} & indicators:
            return inst
    return None


def find_grid(q: Questionnaire) -> Instrument | None:
    for inst in q.instruments:
        if set(GRID_ITEMS) <= {i.id for i in inst.items}:
            return inst
    return None


# --------------------------------------------------------------------------- the models


def _reliability(q: Questionnaire,
                 responses: pd.DataFrame) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Alpha per construct with ≥ 2 items: single answers; for E/P items on P and on gaps;
    with each item's corrected item-total correlation and alpha if it were deleted."""
    out: dict[str, Any] = {}
    rows = []
    item_rows: list[pd.DataFrame] = []
    for inst in q.instruments:
        blocks: dict[str, list[str]] = {}
        gap_blocks: dict[str, list[str]] = {}
        frame = responses
        for c in inst.constructs:
            single = inst.single_columns(c.id)
            p_cols = inst.facet_columns(c.id, "p")
            e_cols = inst.facet_columns(c.id, "e")
            if len(single) >= 2:
                blocks[c.id] = single
            elif len(p_cols) >= 2:
                blocks[c.id] = p_cols
                if len(e_cols) == len(p_cols):
                    gap_blocks[c.id] = [f"{col}.gap" for col in p_cols]
        if gap_blocks:
            gaps = {}
            for c_id in gap_blocks:
                e_cols, p_cols = inst.facet_columns(c_id, "e"), inst.facet_columns(c_id, "p")
                diff = (responses[p_cols].to_numpy(dtype="float64", na_value=np.nan)
                        - responses[e_cols].to_numpy(dtype="float64", na_value=np.nan))
                gaps.update({f"{p_col}.gap": diff[:, j] for j, p_col in enumerate(p_cols)})
            frame = pd.DataFrame(gaps, index=responses.index)
        for name, table_blocks, data in (("answers", blocks, responses),
                                         ("gaps", gap_blocks, frame)):
            usable = {c: cols for c, cols in table_blocks.items()
                      if np.isfinite(data[cols].to_numpy(dtype="float64", na_value=np.nan))
                      .all(axis=1).sum() >= 3}
            if not usable:
                continue
            table = reliability_table(data, usable)
            for construct_id, row in table.iterrows():
                c_id = str(construct_id)
                entry: dict[str, Any] = {
                         "alpha": _num(row["alpha"]), "alpha_std": _num(row["alpha_std"]),
                         "ci": [_num(row["ci_lo"]), _num(row["ci_hi"])],
                         "n": _int(row["n"]), "k": _int(row["k"])}
                on = ("gaps" if name == "gaps" else
                      "perception" if c_id in gap_blocks else "answers")
                items = item_statistics(data, usable[c_id])
                entry["items"] = {str(col): {"item_total_r": _num(r["item_total_r"]),
                                             "alpha_if_deleted": _num(r["alpha_if_deleted"])}
                                  for col, r in items.iterrows()}
                if name == "answers":
                    entry["on"] = "p" if c_id in gap_blocks else "answers"
                    out[c_id] = {**out.get(c_id, {}), **entry}
                else:
                    out.setdefault(c_id, {})["gaps"] = entry
                rows.append({"instrument": inst.id, "construct": c_id, "on": on,
                             **{k: row[k] for k in table.columns}})
                item_rows.append(items.reset_index(names="item").assign(
                    instrument=inst.id, construct=c_id, on=on))
    items_table = pd.concat(item_rows, ignore_index=True) if item_rows else pd.DataFrame()
    if not items_table.empty:
        first = ["instrument", "construct", "on", "item"]
        items_table = items_table[first + [c for c in items_table.columns if c not in first]]
    return out, pd.DataFrame(rows), items_table


def _servqual(inst: Instrument, responses: pd.DataFrame, accounts: pd.DataFrame | None,
              options: AnalysisOptions) -> tuple[dict, dict[str, pd.DataFrame], pd.DataFrame]:
    layout = ServqualLayout.of(inst)
    rows = _answered(responses, [c for d in layout.dimensions
                                 for c in layout.e_columns[d] + layout.p_columns[d]])
    answered = _subset(responses, rows)
    scores = respondent_scores(answered, layout)
    meta = [c for c in META_COLUMNS if c in answered.columns and c != "response_id"]
    scores = pd.concat([answered[meta], scores], axis=1)
    overall = summarize(scores.drop(columns=meta)).iloc[0]
    tests = gap_significance(scores, layout.dimensions).set_index("dimension")
    dims = {}
    for d in layout.dimensions:
        dims[d] = {"e": _num(overall[f"{d}.e"]), "p": _num(overall[f"{d}.p"]),
                   "gap": _num(overall[f"{d}.gap"]), "n": _int(overall[f"{d}.gap.n"]),
                   "p_wilcoxon": _num(tests.loc[d, "p_wilcoxon"]),
                   "p_holm": _num(tests.loc[d, "p_holm"]),
                   "t": _num(tests.loc[d, "t"]), "p_t": _num(tests.loc[d, "p_t"]),
                   "p_t_holm": _num(tests.loc[d, "p_t_holm"])}
    summary: dict[str, Any] = {
        "instrument": inst.id, "n": int(len(scores)), "dimensions": dims,
        **{m: _num(overall[m]) for m in SCORE_COLUMNS},
        "n_scores": {m: _int(overall[f"{m}.n"]) for m in SCORE_COLUMNS},
    }
    tables = {"servqual_items": item_gaps(answered, layout).reset_index(),
              "servqual_tests": tests.reset_index()}
    if layout.allocation is not None:
        imp = stated_importance(answered, layout.allocation)
        perf = pd.Series({d: _index_of(overall[f"{d}.p"], inst, layout.p_columns[d][0])
                          for d in layout.dimensions})
        ipa = importance_performance(imp["importance"], perf)
        summary["importance"] = {d: {"points": _num(imp.loc[d, "importance"]),
                                     "n": _int(imp.loc[d, "n"]),
                                     "quadrant": ipa.loc[d, "quadrant"]}
                                 for d in layout.dimensions}
        tables["servqual_importance"] = ipa.join(imp[["n"]]).reset_index(names="dimension")
    by_tables = {}
    grouping = scores
    if accounts is not None and "account_id" in scores.columns:
        extra = [c for c in ("customer_type", "owner", "industry") if c in accounts.columns]
        grouping = scores.join(accounts.set_index("account_id")[extra], on="account_id")
    score_columns = [c for c in scores.columns if c not in meta]
    for column in options.by:
        if column not in grouping.columns:
            raise ValueError(f"cannot group by '{column}': no such column in the responses "
                             f"or accounts (argument by)")
        table = summarize(grouping[[column, *score_columns]], by=column)
        by_tables[column] = table
        tables[f"servqual_by_{column}"] = table.reset_index()
    if by_tables:
        summary["by"] = {col: [{column_name: (jsonable(v) if not isinstance(v, str) else v)
                                for column_name, v in row.items()}
                               for row in t.reset_index().to_dict(orient="records")]
                         for col, t in by_tables.items()}
    return summary, tables, scores


def _index_of(value: float, inst: Instrument, column: str) -> float:
    """A mean answer on the column's scale as a 0–100 index."""
    lo, hi = inst.column_range(column)
    return 100 * (value - lo) / (hi - lo)


def _gap1(gap1_inst: Instrument, servqual: Instrument, responses: pd.DataFrame,
          customer_rows: pd.Index) -> tuple[dict, pd.DataFrame]:
    manager_rows = _answered(responses, gap1_inst.numeric_columns)
    managers = construct_means(responses.loc[manager_rows], gap1_inst, "e")
    customers = construct_means(responses.loc[customer_rows], servqual, "e")
    dims = [d for d in customers.columns if d in managers.columns]
    table = gap1(customers, managers, dims)
    summary = {str(r["dimension"]): {"customer_e": _num(r["customer_e"]),
                                     "manager_e": _num(r["manager_e"]),
                                     "gap1": _num(r["gap1"]),
                                     "customer_n": _int(r["customer_n"]),
                                     "manager_n": _int(r["manager_n"])}
               for _, r in table.iterrows()}
    return summary, table


def _no_model(inst: Instrument, n: int, why: str) -> dict[str, Any]:
    """The model keys, empty, and the reason it was not estimated."""
    return {"instrument": inst.id, "n": int(n), "note": f"model not estimated: {why}",
            "paths": {}, "r2": {}, "outer_weights": {}, "index": {}}


def _satisfaction_model(inst: Instrument, responses: pd.DataFrame,
                        options: AnalysisOptions) -> tuple[dict, dict[str, pd.DataFrame],
                                                           pd.Series | None]:
    assert inst.model is not None  # noqa: S101 (guarded by the caller)
    blocks = blocks_from_instrument(inst)
    blocks = {c: cols for c, cols in blocks.items() if cols}
    paths = list(inst.model.paths)
    ranges = ranges_from_instrument(inst, blocks)
    rows = _answered(responses, [c for cols in blocks.values() for c in cols])
    data = responses.loc[rows]
    complete = data[[c for cols in blocks.values() for c in cols]].dropna()
    if len(complete) < 10:
        return (_no_model(inst, len(complete), "fewer than 10 complete responses"), {}, None)
    try:
        result = pls_pm(data, blocks, paths, scaled=options.scaled, ranges=ranges)
    except (ConvergenceError, ValueError) as exc:  # e.g. an indicator that never varies
        return (_no_model(inst, len(complete), str(exc)), {}, None)
    summary: dict[str, Any] = {
        "instrument": inst.id, "n": result.n, "scaled": result.scaled,
        "paths": {k: _num(v) for k, v in result.path_coefficients.items()},
        "path_p": {k: _num(v) for k, v in result.inner["p"].items()},
        "r2": {k: _num(v) for k, v in result.r2.items()},
        "outer_weights": {k: _num(v) for k, v in result.outer_weights.items()},
        "loadings": {k: _num(v) for k, v in result.loadings.items()},
        "index": {k: _num(v) for k, v in result.indices.items()},
        "index_weights": {k: _num(v) for k, v in result.outer["index_weight"].items()},
        "ave": {k: _num(v) for k, v in result.constructs["ave"].items()},
        "dg_rho": {k: _num(v) for k, v in result.constructs["dg_rho"].items()},
        "gof": _num(result.gof),
    }
    tables = {"model_paths": result.inner.reset_index(names="path"),
              "model_constructs": result.constructs.reset_index(names="construct"),
              "model_outer": result.outer.reset_index(names="indicator"),
              "model_effects": result.effects.reset_index(names="path")}
    if options.n_boot > 0:
        boot = bootstrap(data, blocks, paths, n_boot=options.n_boot, seed=options.seed,
                         scaled=options.scaled)
        summary["paths_ci"] = {k: [_num(r["lo"]), _num(r["hi"])]
                               for k, r in boot.paths.iterrows()}
        summary["bootstrap"] = {"n_boot": boot.n_boot, "n_used": boot.n_used,
                                "seed": boot.seed, "confidence": boot.confidence}
        tables["model_bootstrap"] = boot.paths.reset_index(names="path")
    # key drivers of satisfaction: which antecedents move it most (Johnson 2000)
    target = next((t for s, t in paths if t.upper().startswith("SAT")), None)
    if target is not None:
        drivers = [s for s, t in paths if t == target]
        if len(drivers) >= 2:
            rw = relative_weights(result.scores, target, drivers)
            summary["drivers"] = {"target": target, "r2": _num(rw.r2), "n": rw.n,
                                  "percent": {k: _num(v) for k, v in rw.percent.items()}}
            tables["model_drivers"] = rw.table.reset_index(names="driver")
    weights = result.outer.get("index_weight")
    return summary, tables, weights


def _derived_importance(servqual: Instrument, sq_scores: pd.DataFrame,
                        answers: pd.DataFrame, inst: Instrument, sat: str,
                        weights: pd.Series | None) -> tuple[dict, pd.DataFrame] | None:
    """Derived importance of the service dimensions: Johnson's relative weights of each
    respondent's dimension perceptions in their satisfaction index, against performance."""
    layout = ServqualLayout.of(servqual)
    predictors = [f"{d}.p" for d in layout.dimensions]
    data = sq_scores[predictors].copy()
    data["satisfaction"] = satisfaction_index(answers.loc[sq_scores.index], inst, sat, weights)
    if data.dropna().shape[0] < len(predictors) + 10:
        return None
    rw = relative_weights(data, "satisfaction", predictors)
    percent = rw.percent.rename(lambda c: c.removesuffix(".p"))
    perf = pd.Series({d: _index_of(data[f"{d}.p"].mean(), servqual, layout.p_columns[d][0])
                      for d in layout.dimensions})
    ipa = importance_performance(percent, perf)
    summary = {"target": "satisfaction", "r2": _num(rw.r2), "n": rw.n,
               "dimensions": {d: {"percent": _num(percent[d]),
                                  "performance": _num(perf[d]),
                                  "quadrant": ipa.loc[d, "quadrant"]}
                              for d in layout.dimensions}}
    return summary, ipa.reset_index(names="dimension")


def satisfaction_index(responses: pd.DataFrame, inst: Instrument, construct: str,
                       weights: pd.Series | None) -> pd.Series:
    """Per respondent 0–100 index of one construct: ACSI weights over the items answered
    (renormalised), equal weights without a fitted model."""
    cols = inst.single_columns(construct)
    if not cols:
        return pd.Series(np.nan, index=responses.index)
    lo = np.array([inst.column_range(c)[0] for c in cols], dtype="float64")
    hi = np.array([inst.column_range(c)[1] for c in cols], dtype="float64")
    x = 100 * (responses[cols].to_numpy(dtype="float64") - lo) / (hi - lo)
    w = np.ones(len(cols)) if weights is None else weights.reindex(cols).fillna(0).to_numpy()
    present = np.isfinite(x)
    wsum = (present * w).sum(axis=1)
    value = np.where(wsum > 0, np.nansum(np.where(present, x * w, 0), axis=1) /
                     np.where(wsum > 0, wsum, 1), np.nan)
    return pd.Series(value, index=responses.index)


# --------------------------------------------------------------------------- the whole run


def analyze(questionnaire: Questionnaire, responses: pd.DataFrame,
            accounts: pd.DataFrame | None = None,
            options: AnalysisOptions | None = None) -> AnalysisResult:
    """Run every model the questionnaire supports on ``responses`` (and ``accounts``).

    Parameters
    ----------
    questionnaire : Questionnaire
        The instruments the responses answer.
    responses : DataFrame
        Validated wide responses (:func:`analysis.frames.validate_responses`).
    accounts : DataFrame, optional
        One row per account (``account_id`` and the DESIGN.md account columns).
    options : AnalysisOptions, optional

    Returns
    -------
    AnalysisResult
        ``summary`` (JSON-ready) and ``tables`` (frames for a workbook).
    """
    options = options or AnalysisOptions()
    summary: dict[str, Any] = {"n_responses": int(len(responses)),
                               "instruments": [i.id for i in questionnaire.instruments]}
    tables: dict[str, pd.DataFrame] = {}
    has_accounts_col = "account_id" in responses.columns
    per_account: list[pd.DataFrame] = []

    if "account_id" in responses.columns and "role" not in responses.columns:
        # role is optional: without it every respondent weighs as an unknown role
        responses = responses.assign(role=pd.Series(pd.NA, index=responses.index,
                                                    dtype="string"))
    keyed_answers = reverse_keyed(responses, questionnaire)
    summary["reliability"], tables["reliability"], tables["reliability_items"] = _reliability(
        questionnaire, keyed_answers)

    servqual = find_servqual(questionnaire)
    if servqual is not None:
        sq_summary, sq_tables, sq_scores = _servqual(servqual, keyed_answers, accounts, options)
        tables.update(sq_tables)
        gap1_inst = find_gap1(questionnaire, servqual)
        if gap1_inst is not None:
            sq_summary["gap1"], tables["servqual_gap1"] = _gap1(
                gap1_inst, servqual, keyed_answers, sq_scores.index)
        summary["servqual"] = sq_summary
        if has_accounts_col:
            layout = ServqualLayout.of(servqual)
            measures = [f"{d}.gap" for d in layout.dimensions] + list(SCORE_COLUMNS)
            keyed = sq_scores[sq_scores["account_id"].notna()]
            if len(keyed):
                per_account.append(account_rollup(keyed, measures, weights=options.role_weights)
                                   .drop(columns=["n", "roles"]).add_prefix("servqual."))
                tests = gap_significance(keyed, layout.dimensions, by="account_id")
                tables["servqual_account_tests"] = tests

    sat_by_account = None
    for inst in questionnaire.instruments:
        if inst.model is None:
            continue
        model_summary, model_tables, weights = _satisfaction_model(inst, keyed_answers, options)
        summary["model"] = model_summary
        tables.update(model_tables)
        sat = next((c.id for c in inst.constructs if c.id.upper().startswith("SAT")), None)
        if sat is not None and servqual is not None and "servqual" in summary:
            derived = _derived_importance(servqual, sq_scores, keyed_answers, inst, sat,
                                          weights)
            if derived is not None:
                summary["servqual"]["derived_importance"], \
                    tables["servqual_derived_importance"] = derived
        if sat is not None and has_accounts_col:
            rows = _answered(responses, inst.single_columns(sat))
            frame = responses.loc[rows, ["account_id"]].copy()
            frame["role"] = responses.loc[rows, "role"] if "role" in responses.columns else \
                pd.Series(pd.NA, index=frame.index, dtype="string")
            frame["satisfaction"] = satisfaction_index(keyed_answers.loc[rows], inst, sat,
                                                       weights)
            frame = frame[frame["account_id"].notna()]
            if len(frame):
                sat_by_account = account_rollup(frame, ["satisfaction"],
                                                weights=options.role_weights)
                per_account.append(sat_by_account[["satisfaction", "satisfaction.mean",
                                                   "satisfaction.n"]])
        break

    nps_column = find_nps_column(questionnaire)
    if nps_column is not None:
        result = loyalty_mod.nps(responses[nps_column])
        summary["nps"] = {"nps": _num(result.nps), "moe": _num(result.moe), "n": result.n,
                          "promoters": result.promoters, "passives": result.passives,
                          "detractors": result.detractors}
    loyalty_inst = find_loyalty(questionnaire)
    loyalty_by_account = None
    if loyalty_inst is not None:
        rows = _answered(responses, loyalty_inst.numeric_columns)
        scores = loyalty_mod.loyalty_scores(responses.loc[rows], loyalty_inst,
                                            nps_item=nps_column if nps_column in
                                            loyalty_inst.numeric_columns else None)
        summary["loyalty"] = {
            "n": int(scores["loyalty_index"].notna().sum()),
            "loyalty_index": _num(scores["loyalty_index"].mean()),
            "degrees": {d: _num(scores[d].mean()) for d in loyalty_mod.DEGREES
                        if d in scores.columns},
        }
        if has_accounts_col:
            keyed = scores[scores["account_id"].notna()]
            if len(keyed):
                degrees = [d for d in loyalty_mod.DEGREES if d in keyed.columns]
                loyalty_by_account = loyalty_mod.account_loyalty(
                    keyed, degrees, weights=options.role_weights)
                measures = [*degrees, "loyalty_index"]
                keep = [c for m in measures for c in (m, f"{m}.mean", f"{m}.n")] + [
                    "nps", "nps.unweighted", "nps.n"]
                keep = [c for c in keep if c in loyalty_by_account.columns]
                per_account.append(loyalty_by_account[keep])

    warnings: list[str] = []
    if "role" in responses.columns:
        strange = unknown_roles(responses["role"], options.role_weights)
        if strange:
            shown = ", ".join(strange[:10]) + (" …" if len(strange) > 10 else "")
            warnings.append(f"{len(strange)} role name(s) are not buying roles and weigh as "
                            f"an unknown role: {shown}")
    if accounts is not None and has_accounts_col:
        known = set(accounts["account_id"].astype(str))
        answered_ids = {str(a) for a in responses["account_id"].dropna().unique()}
        unknown = sorted(answered_ids - known)
        if unknown:
            shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
            warnings.append(f"{len(unknown)} account(s) in the responses are not in the "
                            f"accounts file and have no account row: {shown}")
    if has_accounts_col or accounts is not None:
        account_table, account_summary, extra = _accounts(
            questionnaire, responses, accounts, per_account, sat_by_account,
            loyalty_by_account, options)
        summary["accounts"] = account_summary
        tables["accounts"] = account_table.reset_index()
        tables.update(extra)
        if "stage_distribution" in extra:
            summary["stages"] = {str(r["stage"]): _int(r["n"]) for _, r in
                                 extra["stage_distribution"].iterrows()}
    if warnings:
        summary["warnings"] = warnings
    return AnalysisResult(jsonable(summary), tables)


def _accounts(questionnaire: Questionnaire, responses: pd.DataFrame,
              accounts: pd.DataFrame | None, per_account: list[pd.DataFrame],
              sat_by_account: pd.DataFrame | None, loyalty_by_account: pd.DataFrame | None,
              options: AnalysisOptions) -> tuple[pd.DataFrame, list[dict], dict]:
    ids = set()
    if "account_id" in responses.columns:
        ids |= {str(a) for a in responses["account_id"].dropna().unique()}
    base = pd.DataFrame(index=pd.Index(sorted(ids), name="account_id"))
    if accounts is not None:
        base = accounts.set_index("account_id")
        base.index = base.index.astype(str)
        base.index.name = "account_id"
    table = base.copy()
    extra: dict[str, pd.DataFrame] = {}
    if "account_id" in responses.columns:
        staff = [i for i in (find_gap1(questionnaire, find_servqual(questionnaire)),
                             find_assessment(questionnaire, options.stage_model),
                             find_grid(questionnaire)) if i is not None]
        customer_columns = [c for inst in questionnaire.instruments if inst not in staff
                            for c in inst.numeric_columns]
        keyed = responses[responses["account_id"].notna()
                          & _answered(responses, customer_columns)]
        # customers' responses only: the managers' own assessment rows are not counted
        counts = keyed.groupby("account_id", observed=True).size().rename("responses")
        table = table.join(counts)
        if "role" in keyed.columns:
            pairs = pd.DataFrame({"account_id": keyed["account_id"].astype("string"),
                                  "role": normalize_roles(keyed["role"], options.role_weights)})
            pairs = pairs[pairs["role"] != UNKNOWN_ROLE]
            pairs = pairs.dropna().drop_duplicates()
            order = {r: k for k, r in enumerate(BUYER_ROLES)}
            pairs["order"] = pairs["role"].map(lambda r: order.get(r, len(order)))
            pairs = pairs.sort_values(["account_id", "order", "role"])
            role_lists = pairs.groupby("account_id", sort=False)["role"].agg(",".join)
            table = table.join(role_lists.rename("roles"))
    for part in per_account:
        table = table.join(part)
    if sat_by_account is not None and loyalty_by_account is not None:
        both = pd.DataFrame({"satisfaction": sat_by_account["satisfaction"],
                             "loyalty_index": loyalty_by_account["loyalty_index"]})
        table = table.join(loyalty_mod.jones_sasser(both))
    if accounts is not None and {"revenue", "margin", "cost_to_serve"} <= set(accounts.columns):
        contrib = account_contribution(
            accounts.assign(account_id=accounts["account_id"].astype(str)),
            wallet="wallet" if "wallet" in accounts.columns else None,
            revenue_prev="revenue_prev" if "revenue_prev" in accounts.columns else None,
            referral="referral_value" if "referral_value" in accounts.columns else None)
        new = [c for c in contrib.columns if c not in table.columns]
        table = table.join(contrib[new])
    grid = find_grid(questionnaire)
    if grid is not None and "account_id" in responses.columns:
        rows = _answered(responses, GRID_ITEMS) & responses["account_id"].notna()
        keys = ["account_id", "contact_id"] if "contact_id" in responses.columns else [
            "account_id"]
        latest = latest_assessment(responses.loc[rows, [*keys, *GRID_ITEMS,
                                                        *(["submitted_at"] if "submitted_at"
                                                          in responses.columns else [])]],
                                   keys=keys,
                                   order_by="submitted_at" if "submitted_at" in
                                   responses.columns else None)
        if len(latest):
            cells = account_grid(latest.reset_index())
            table = table.join(cells[["modal_cell", "top_cell", "contacts"]].add_prefix(
                "grid."))
    model = options.stage_model
    if model is not None and accounts is not None:
        extras: list[pd.DataFrame | pd.Series] = []
        assessment_inst = find_assessment(questionnaire, model)
        if assessment_inst is not None and "account_id" in responses.columns:
            cols = [i.id for i in assessment_inst.items if i.id in model.indicators]
            rows = _answered(responses, cols) & responses["account_id"].notna()
            if rows.any():
                sub = responses.loc[rows, ["account_id", *cols, *(
                    ["submitted_at"] if "submitted_at" in responses.columns else [])]]
                sub = sub.assign(account_id=sub["account_id"].astype(str))
                extras.append(latest_assessment(
                    sub, order_by="submitted_at" if "submitted_at" in sub.columns else None))
        if loyalty_by_account is not None:
            loy = loyalty_by_account[["loyalty_index"]].copy()
            loy.index = loy.index.astype(str)
            extras.append(loy)
        if "role" in responses.columns and "account_id" in responses.columns:
            pairs = responses.loc[responses["account_id"].notna(), ["account_id", "role"]]
            pairs = pairs.drop_duplicates()  # roles that answered, once per account
            pairs = pairs.assign(account_id=pairs["account_id"].astype(str),
                                 role=normalize_roles(pairs["role"], options.role_weights))
            extras.append(count_roles(pairs).rename("roles_covered"))
        indicators = stage_indicators(
            accounts.assign(account_id=accounts["account_id"].astype(str)), model,
            extra=extras)
        placement = place_accounts(indicators, model)
        keep = [c for c in placement.placement.columns
                if c in ("stage", "stage_zh", "stage_en", "ladder_stage", "next_stage",
                         "next_unmet", "uncoupling_triggers", "unknown")]
        table = table.join(placement.placement[keep])
        table = table.join(indicators.add_prefix("indicator."))
        extra["stage_evidence"] = placement.evidence
        extra["stage_distribution"] = stage_distribution(placement).reset_index()
    listing = []
    for account_id, row in zip(table.index, table.to_dict(orient="records"), strict=True):
        entry: dict[str, Any] = {"account_id": str(account_id)}
        for key, column in (("name", "name"), ("customer_type", "customer_type"),
                            ("stage", "stage"), ("next_stage", "next_stage"),
                            ("next_unmet", "next_unmet"), ("abc", "abc"),
                            ("quadrant", "quadrant"), ("value_quadrant", "value_quadrant"),
                            ("grid_cell", "grid.modal_cell")):
            value = row.get(column)
            entry[key] = None if value is None or pd.isna(value) else str(value)
        for key, column in (("contribution", "contribution"),
                            ("share_of_wallet", "share_of_wallet"), ("growth", "growth"),
                            ("nps", "nps"), ("loyalty_index", "loyalty_index"),
                            ("satisfaction", "satisfaction"),
                            ("servqual", "servqual.unweighted"),
                            ("contribution_score", "contribution_score"),
                            ("servqual_weighted", "servqual.weighted")):
            entry[key] = _num(row[column]) if column in table.columns else None
        entry["responses"] = _int(row["responses"]) if "responses" in table.columns else 0
        roles: Any = row["roles"] if "roles" in table.columns else None
        entry["roles"] = [] if roles is None or pd.isna(roles) or not roles else \
            str(roles).split(",")
        listing.append(entry)
    return table, listing, extra
