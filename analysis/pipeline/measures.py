"""Reliability and the satisfaction index model, as the analysis run reports them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..drivers import relative_weights
from ..instrument import Instrument, Questionnaire
from ..pls import (
    ConvergenceError,
    blocks_from_instrument,
    bootstrap,
    pls_pm,
    ranges_from_instrument,
)
from ..reliability import item_statistics, reliability_table, shared_moments
from ..scales import block_index, rescale_0_100
from .common import AnalysisOptions, as_count, num, rows_answering, subset


def reliability_summary(q: Questionnaire, responses: pd.DataFrame,
                        missing: str = "listwise") -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Alpha per construct with ≥ 2 items: single answers; for E/P items on P and on gaps;
    with each item's corrected item-total correlation and alpha if it were deleted.
    ``missing`` is the missing-answer policy of :func:`analysis.reliability.cronbach_alpha`;
    each entry says it and how many respondents answered any of the items
    (``n_answering``), so that what listwise deletion dropped can be told."""
    with shared_moments():  # alpha and the item statistics read each block once
        return _reliability_summary(q, responses, missing)


def _reliability_summary(q: Questionnaire, responses: pd.DataFrame,
                         missing: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
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
                for p_col, e_col in zip(p_cols, e_cols, strict=True):
                    gaps[f"{p_col}.gap"] = _item_gap(responses, p_col, e_col)
            frame = pd.DataFrame(gaps, index=responses.index, copy=False)
        for name, table_blocks, data in (("answers", blocks, responses),
                                         ("gaps", gap_blocks, frame)):
            present = {c: np.isfinite(data[cols].to_numpy(dtype="float64", na_value=np.nan))
                       for c, cols in table_blocks.items()}
            usable = {c: cols for c, cols in table_blocks.items()
                      if (present[c].all(axis=1).sum() if missing == "listwise"
                          else present[c].sum(axis=0).min()) >= 3}
            if not usable:
                continue
            table = reliability_table(data, usable, missing=missing)
            for construct_id, row in table.iterrows():
                c_id = str(construct_id)
                entry: dict[str, Any] = {
                         "alpha": num(row["alpha"]), "alpha_std": num(row["alpha_std"]),
                         "ci": [num(row["ci_lo"]), num(row["ci_hi"])],
                         "n": as_count(row["n"]), "k": as_count(row["k"]),
                         "n_answering": int(present[c_id].any(axis=1).sum()),
                         "missing": missing}
                on = "gaps" if name == "gaps" else "p" if c_id in gap_blocks else "answers"
                items = item_statistics(data, usable[c_id], missing=missing)
                entry["items"] = {str(col): {"item_total_r": num(r["item_total_r"]),
                                             "alpha_if_deleted": num(r["alpha_if_deleted"])}
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


def _item_gap(responses: pd.DataFrame, p_col: str, e_col: str) -> np.ndarray:
    """``P − E`` of one item per respondent, computed in float64 and kept in float32 when
    that holds every value exactly (whole-number answers always: half the memory of a
    million-row gap table; readers widen it back, exactly)."""
    gap = (responses[p_col].to_numpy(dtype="float64", na_value=np.nan)
           - responses[e_col].to_numpy(dtype="float64", na_value=np.nan))
    narrow = gap.astype(np.float32)
    return narrow if np.array_equal(narrow, gap, equal_nan=True) else gap


def _no_model(inst: Instrument, n: int, why: str) -> dict[str, Any]:
    """The model keys, empty, and the reason it was not estimated."""
    return {"instrument": inst.id, "n": int(n), "note": f"model not estimated: {why}",
            "scaled": None, "paths": {}, "path_p": {}, "r2": {}, "outer_weights": {},
            "loadings": {}, "index": {}, "index_weights": {}, "ave": {}, "dg_rho": {},
            "gof": None}


def satisfaction_model_summary(
        inst: Instrument, responses: pd.DataFrame,
        options: AnalysisOptions) -> tuple[dict, dict[str, pd.DataFrame], pd.Series | None]:
    assert inst.model is not None  # noqa: S101 (guarded by the caller)
    blocks = blocks_from_instrument(inst)
    blocks = {c: cols for c, cols in blocks.items() if cols}
    paths = list(inst.model.paths)
    ranges = ranges_from_instrument(inst, blocks)
    indicators = [c for cols in blocks.values() for c in cols]
    rows = rows_answering(responses, indicators)
    # listwise, the fit reads only complete rows, and a row that answered none of the
    # indicators is never complete: the rows are not copied out for it (mean replacement
    # fills the rows that answered, so there they are)
    # indicators of every row: the frame itself (the fit reads its columns one at a time)
    data = subset(responses, rows, inst.numeric_columns) if options.model_missing == "mean" \
        else responses
    n_answering = int(rows.sum())
    if options.model_missing == "mean" and len(data):
        # mean replacement: an item's mean over the rows that answered the model (in
        # float64 whatever width the answers are stored in)
        wide = {c: data[c].astype("float64") for c in indicators}
        data = data.assign(**{c: wide[c].fillna(wide[c].mean()) for c in indicators})
    # rows with every indicator, counted column by column (no copy of the rows)
    answered_all = np.ones(len(data), dtype=bool)
    for column in indicators:
        answered_all &= data[column].notna().to_numpy()
    n_complete = int(answered_all.sum())
    if n_complete < 10:
        return (_no_model(inst, n_complete, "fewer than 10 complete responses"), {}, None)
    try:
        result = pls_pm(data, blocks, paths, scaled=options.scaled, ranges=ranges,
                        scheme=options.scheme)
    except (ConvergenceError, ValueError) as exc:  # e.g. an indicator that never varies
        return (_no_model(inst, n_complete, str(exc)), {}, None)
    summary: dict[str, Any] = {
        "instrument": inst.id, "n": result.n, "scaled": result.scaled,
        "paths": {k: num(v) for k, v in result.path_coefficients.items()},
        "path_p": {k: num(v) for k, v in result.inner["p"].items()},
        "r2": {k: num(v) for k, v in result.r2.items()},
        "outer_weights": {k: num(v) for k, v in result.outer_weights.items()},
        "loadings": {k: num(v) for k, v in result.loadings.items()},
        "index": {k: num(v) for k, v in result.indices.items()},
        "index_weights": {k: num(v) for k, v in result.outer["index_weight"].items()},
        "ave": {k: num(v) for k, v in result.constructs["ave"].items()},
        "dg_rho": {k: num(v) for k, v in result.constructs["dg_rho"].items()},
        "gof": num(result.gof),
        "n_answering": n_answering, "missing": options.model_missing,
        "scheme": options.scheme,
    }
    tables = {"model_paths": result.inner.reset_index(names="path"),
              "model_constructs": result.constructs.reset_index(names="construct"),
              "model_outer": result.outer.reset_index(names="indicator"),
              "model_effects": result.effects.reset_index(names="path")}
    if options.n_boot > 0:
        boot = bootstrap(data, blocks, paths, n_boot=options.n_boot, seed=options.seed,
                         scaled=options.scaled, scheme=options.scheme)
        summary["paths_ci"] = {k: [num(r["lo"]), num(r["hi"])]
                               for k, r in boot.paths.iterrows()}
        summary["bootstrap"] = {"n_boot": boot.n_boot, "n_used": boot.n_used,
                                "seed": boot.seed, "confidence": boot.confidence}
        tables["model_bootstrap"] = boot.paths.reset_index(names="path")
    # key drivers of satisfaction: which antecedents move it most (Johnson 2000)
    target = inst.satisfaction_construct
    if target is not None:
        drivers = [s for s, t in paths if t == target]
        if len(drivers) >= 2:
            rw = relative_weights(result.scores, target, drivers)
            summary["drivers"] = {"target": target, "r2": num(rw.r2), "n": rw.n,
                                  "percent": {k: num(v) for k, v in rw.percent.items()}}
            tables["model_drivers"] = rw.table.reset_index(names="driver")
    weights = result.outer.get("index_weight")
    return summary, tables, weights


def satisfaction_index(responses: pd.DataFrame, inst: Instrument, construct: str,
                       weights: pd.Series | None) -> pd.Series:
    """Per respondent 0–100 index of one construct: ACSI weights over the items answered
    (renormalised), equal weights without a fitted model."""
    cols = inst.single_columns(construct)
    if not cols:
        return pd.Series(np.nan, index=responses.index)
    lo = np.array([inst.column_range(c)[0] for c in cols], dtype="float64")
    hi = np.array([inst.column_range(c)[1] for c in cols], dtype="float64")
    x = rescale_0_100(responses[cols].to_numpy(dtype="float64"), lo, hi)
    w = None if weights is None else weights.reindex(cols).fillna(0).to_numpy()
    return pd.Series(block_index(x, w), index=responses.index)


# --------------------------------------------------------------------------- the whole run
