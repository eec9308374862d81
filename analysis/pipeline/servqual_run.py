"""SERVQUAL in the analysis run: gaps, tests, importance, Gap 1, derived importance, and
each account's role-weighted gaps, tests and item gaps (the step :func:`run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..drivers import importance_performance, relative_weights, stated_importance
from ..frames import META_COLUMNS
from ..instrument import Instrument
from ..rollup import account_rollup, normalize_roles
from ..scales import rescale_0_100
from ..servqual import (
    SCORE_COLUMNS,
    ServqualLayout,
    construct_means,
    gap1,
    item_gaps,
    respondent_scores,
    summarize,
)
from ..significance import gap_significance
from .account_detail import account_item_gaps
from .common import AnalysisOptions, as_count, jsonable, num, rows_answering, subset
from .detect import find_gap1, find_servqual
from .measures import satisfaction_index

if TYPE_CHECKING:
    from .context import RunContext


def servqual_summary(
        inst: Instrument, responses: pd.DataFrame, accounts: pd.DataFrame | None,
        options: AnalysisOptions) -> tuple[dict, dict[str, pd.DataFrame], pd.DataFrame]:
    """Gaps, scores and their tests overall and by any grouping; item gaps; importance."""
    layout = ServqualLayout.of(inst)
    rows = rows_answering(responses, [c for d in layout.dimensions
                                 for c in layout.e_columns[d] + layout.p_columns[d]])
    answered = subset(responses, rows, inst.numeric_columns)
    scores = respondent_scores(answered, layout)
    meta = [c for c in META_COLUMNS if c in answered.columns and c != "response_id"]
    scores = pd.concat([answered[meta], scores], axis=1)
    overall = summarize(scores.drop(columns=meta)).iloc[0]
    tests = gap_significance(scores, layout.dimensions).set_index("dimension")
    dims = {}
    for d in layout.dimensions:
        dims[d] = {"e": num(overall[f"{d}.e"]), "p": num(overall[f"{d}.p"]),
                   "gap": num(overall[f"{d}.gap"]), "n": as_count(overall[f"{d}.gap.n"]),
                   "p_wilcoxon": num(tests.loc[d, "p_wilcoxon"]),
                   "p_holm": num(tests.loc[d, "p_holm"]),
                   "t": num(tests.loc[d, "t"]), "p_t": num(tests.loc[d, "p_t"]),
                   "p_t_holm": num(tests.loc[d, "p_t_holm"])}
    summary: dict[str, Any] = {
        "instrument": inst.id, "n": int(len(scores)), "dimensions": dims,
        **{m: num(overall[m]) for m in SCORE_COLUMNS},
        "n_scores": {m: as_count(overall[f"{m}.n"]) for m in SCORE_COLUMNS},
    }
    tables = {"servqual_items": item_gaps(answered, layout).reset_index(),
              "servqual_tests": tests.reset_index()}
    if layout.allocation is not None:
        imp = stated_importance(answered, layout.allocation)
        perf = pd.Series({d: index_of(overall[f"{d}.p"], inst, layout.p_columns[d][0])
                          for d in layout.dimensions})
        ipa = importance_performance(imp["importance"], perf)
        summary["importance"] = {d: {"points": num(imp.loc[d, "importance"]),
                                     "n": as_count(imp.loc[d, "n"]),
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
        if column not in grouping.columns and column in responses.columns:
            # a respondent attribute kept from the file (gender, region…)
            grouping = grouping.assign(**{column: responses.loc[grouping.index, column]})
        if column not in grouping.columns:
            raise ValueError(f"cannot group by '{column}': no such column in the responses "
                             f"or accounts (argument by)")
        frame = grouping[[column, *score_columns]]
        if column == "role":  # the same buying role under any of its names is one group
            frame = frame.assign(role=normalize_roles(frame["role"], options.role_weights))
        table = summarize(frame, by=column)
        by_tables[column] = table
        tables[f"servqual_by_{column}"] = table.reset_index()
    if by_tables:
        summary["by"] = {col: [{column_name: (jsonable(v) if not isinstance(v, str) else v)
                                for column_name, v in row.items()}
                               for row in t.reset_index().to_dict(orient="records")]
                         for col, t in by_tables.items()}
    return summary, tables, scores


def index_of(value: float, inst: Instrument, column: str) -> float:
    """A mean answer on the column's scale as a 0–100 index."""
    lo, hi = inst.column_range(column)
    return float(rescale_0_100(value, lo, hi))


def gap1_summary(gap1_inst: Instrument, servqual: Instrument, responses: pd.DataFrame,
                 customer_rows: pd.Index) -> tuple[dict, pd.DataFrame]:
    """Gap 1 per dimension: the customers' rows against the managers' rows."""
    manager_rows = rows_answering(responses, gap1_inst.numeric_columns)
    managers = construct_means(subset(responses, manager_rows, gap1_inst.numeric_columns),
                               gap1_inst, "e")
    customer_e = [c for d in ServqualLayout.of(servqual).dimensions
                  for c in servqual.facet_columns(d, "e")]
    customers = construct_means(responses.loc[customer_rows, customer_e], servqual, "e")
    dims = [d for d in customers.columns if d in managers.columns]
    table = gap1(customers, managers, dims)
    summary = {str(r["dimension"]): {"customer_e": num(r["customer_e"]),
                                     "manager_e": num(r["manager_e"]),
                                     "gap1": num(r["gap1"]),
                                     "customer_n": as_count(r["customer_n"]),
                                     "manager_n": as_count(r["manager_n"])}
               for _, r in table.iterrows()}
    return summary, table


def derived_importance(servqual: Instrument, sq_scores: pd.DataFrame,
                        answers: pd.DataFrame, inst: Instrument, sat: str,
                        weights: pd.Series | None) -> tuple[dict, pd.DataFrame] | None:
    """Derived importance of the service dimensions: Johnson's relative weights of each
    respondent's dimension perceptions in their satisfaction index, against performance."""
    layout = ServqualLayout.of(servqual)
    predictors = [f"{d}.p" for d in layout.dimensions]
    data = sq_scores[predictors].copy()
    data["satisfaction"] = satisfaction_index(
        answers.loc[sq_scores.index, inst.single_columns(sat)], inst, sat, weights)
    if data.dropna().shape[0] < len(predictors) + 10:
        return None
    rw = relative_weights(data, "satisfaction", predictors)
    percent = rw.percent.rename(lambda c: c.removesuffix(".p"))
    perf = pd.Series({d: index_of(data[f"{d}.p"].mean(), servqual, layout.p_columns[d][0])
                      for d in layout.dimensions})
    ipa = importance_performance(percent, perf)
    summary = {"target": "satisfaction", "r2": num(rw.r2), "n": rw.n,
               "dimensions": {d: {"percent": num(percent[d]),
                                  "performance": num(perf[d]),
                                  "quadrant": ipa.loc[d, "quadrant"]}
                              for d in layout.dimensions}}
    return summary, ipa.reset_index(names="dimension")


def run(ctx: RunContext) -> None:
    """``summary["servqual"]`` and the ``servqual_*`` tables, when an instrument asks E and P."""
    servqual = find_servqual(ctx.questionnaire)
    if servqual is None:
        return
    answers, options = ctx.answers, ctx.options
    summary, tables, scores = servqual_summary(servqual, answers, ctx.accounts, options)
    ctx.tables.update(tables)
    gap1_inst = find_gap1(ctx.questionnaire, servqual)
    if gap1_inst is not None:
        summary["gap1"], ctx.tables["servqual_gap1"] = gap1_summary(
            gap1_inst, servqual, answers, scores.index)
    ctx.summary["servqual"] = summary
    ctx.servqual, ctx.servqual_scores = servqual, scores
    layout = ServqualLayout.of(servqual)
    figures = ctx.figures
    figures.servqual, figures.servqual_layout = scores, layout
    figures.servqual_tests = tables["servqual_tests"]
    if not ctx.has_accounts:
        return
    measures = [f"{d}.{part}" for d in layout.dimensions
                for part in ("e", "p", "gap")] + list(SCORE_COLUMNS)
    keyed = scores[scores["account_id"].notna()]
    if len(keyed):
        ctx.per_account.append(account_rollup(keyed, measures, weights=options.role_weights)
                               .drop(columns=["n", "roles"]).add_prefix("servqual."))
        ctx.tables["servqual_account_tests"] = gap_significance(keyed, layout.dimensions,
                                                                by="account_id")
        # the item gaps read their columns one at a time: no rows are copied
        ctx.tables["servqual_account_items"] = account_item_gaps(answers, layout,
                                                                 rows=keyed.index)
