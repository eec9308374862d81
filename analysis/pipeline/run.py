"""The analysis run: every model whose instrument is present, then the account table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import loyalty as loyalty_mod
from ..frames import reverse_keyed
from ..instrument import Questionnaire
from ..rollup import account_rollup, unknown_roles
from ..servqual import (
    SCORE_COLUMNS,
    ServqualLayout,
)
from ..significance import gap_significance
from .account_detail import account_item_gaps
from .accounts import QUADRANT_CUTOFFS, account_summary, customer_rows
from .common import (
    AnalysisOptions,
    AnalysisResult,
    as_count,
    jsonable,
    num,
    rows_answering,
    subset,
)
from .detect import find_gap1, find_loyalty, find_nps_column, find_servqual
from .grouping import GroupSums
from .importance_run import rated_importance
from .measures import reliability_summary, satisfaction_index, satisfaction_model_summary
from .notices import model_warnings, nps_warnings, reliability_warnings, wallet_warnings
from .respondents import RespondentFigures
from .roles import BuyingGroups, account_role_table
from .segments import segment_tables
from .servqual_run import derived_importance, gap1_summary, servqual_summary


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
    figures = RespondentFigures()
    if not responses.index.is_unique:  # figures are regrouped by row label
        responses = responses.reset_index(drop=True)

    if "account_id" in responses.columns and "role" not in responses.columns:
        # role is optional: without it every respondent weighs as an unknown role
        responses = responses.assign(role=pd.Series(pd.NA, index=responses.index,
                                                    dtype="string"))
    keyed_answers = reverse_keyed(responses, questionnaire)
    reliability = reliability_summary(questionnaire, keyed_answers, options.missing)
    summary["reliability"], tables["reliability"], tables["reliability_items"] = reliability

    servqual = find_servqual(questionnaire)
    if servqual is not None:
        sq_summary, sq_tables, sq_scores = servqual_summary(servqual, keyed_answers, accounts,
                                                            options)
        tables.update(sq_tables)
        gap1_inst = find_gap1(questionnaire, servqual)
        if gap1_inst is not None:
            sq_summary["gap1"], tables["servqual_gap1"] = gap1_summary(
                gap1_inst, servqual, keyed_answers, sq_scores.index)
        summary["servqual"] = sq_summary
        figures.servqual, figures.servqual_answers = sq_scores, keyed_answers
        figures.servqual_tests = sq_tables["servqual_tests"]
        figures.servqual_layout = ServqualLayout.of(servqual)
        if has_accounts_col:
            layout = ServqualLayout.of(servqual)
            measures = [f"{d}.{part}" for d in layout.dimensions
                        for part in ("e", "p", "gap")] + list(SCORE_COLUMNS)
            keyed = sq_scores[sq_scores["account_id"].notna()]
            if len(keyed):
                per_account.append(account_rollup(keyed, measures, weights=options.role_weights)
                                   .drop(columns=["n", "roles"]).add_prefix("servqual."))
                tests = gap_significance(keyed, layout.dimensions, by="account_id")
                tables["servqual_account_tests"] = tests
                # the item gaps read their columns one at a time: no rows are copied
                tables["servqual_account_items"] = account_item_gaps(keyed_answers, layout,
                                                                     rows=keyed.index)

    sat_by_account = None
    for inst in questionnaire.instruments:
        if inst.model is None:
            continue
        model_summary, model_tables, weights = satisfaction_model_summary(inst, keyed_answers,
                                                                          options)
        summary["model"] = model_summary
        tables.update(model_tables)
        sat = inst.satisfaction_construct
        if sat is not None and servqual is not None and "servqual" in summary:
            derived = derived_importance(servqual, sq_scores, keyed_answers, inst, sat,
                                          weights)
            if derived is not None:
                summary["servqual"]["derived_importance"], \
                    tables["servqual_derived_importance"] = derived
        if sat is not None and has_accounts_col:
            rows = rows_answering(responses, inst.single_columns(sat))
            frame = responses.loc[rows, ["account_id"]].copy()
            frame["role"] = responses.loc[rows, "role"] if "role" in responses.columns else \
                pd.Series(pd.NA, index=frame.index, dtype="string")
            frame["satisfaction"] = satisfaction_index(
                keyed_answers.loc[rows, inst.single_columns(sat)], inst, sat,
                                                       weights)
            figures.satisfaction = frame["satisfaction"]
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
        figures.nps_answers = responses[nps_column]
        summary["nps"] = {"nps": num(result.nps), "moe": num(result.moe), "n": result.n,
                          "promoters": result.promoters, "passives": result.passives,
                          "detractors": result.detractors}
        tables["nps"] = pd.DataFrame([{"item": nps_column, **summary["nps"]}])
    loyalty_inst = find_loyalty(questionnaire)
    loyalty_by_account = None
    if loyalty_inst is not None:
        rows = rows_answering(responses, loyalty_inst.numeric_columns)
        scores = loyalty_mod.loyalty_scores(subset(responses, rows, [
            *loyalty_inst.numeric_columns, *([nps_column] if nps_column else [])]),
                                            loyalty_inst,
                                            nps_item=nps_column if nps_column in
                                            loyalty_inst.numeric_columns else None)
        figures.loyalty_index = scores["loyalty_index"]
        summary["loyalty"] = {
            "n": int(scores["loyalty_index"].notna().sum()),
            "loyalty_index": num(scores["loyalty_index"].mean()),
            "degrees": {d: num(scores[d].mean()) for d in loyalty_mod.DEGREES
                        if d in scores.columns},
        }
        tables["loyalty"] = pd.DataFrame(
            [{"measure": d, "mean": summary["loyalty"]["degrees"][d],
              "n": int(scores[d].notna().sum())} for d in summary["loyalty"]["degrees"]]
            + [{"measure": "loyalty_index", "mean": summary["loyalty"]["loyalty_index"],
                "n": summary["loyalty"]["n"]}])
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

    rated_tables = []
    for inst in questionnaire.instruments:
        rated = rated_importance(inst, keyed_answers)
        if rated is not None:
            summary.setdefault("rated_importance", {})[inst.id] = rated[0]
            rated_tables.append(rated[1].assign(instrument=inst.id))
    if rated_tables:
        tables["rated_importance"] = pd.concat(rated_tables, ignore_index=True)
    if options.by and servqual is None:
        by_warning = [f"--by {', '.join(options.by)}: groups SERVQUAL scores, and the "
                      f"questionnaire has no SERVQUAL instrument; nothing was grouped"]
    else:
        by_warning = []
    text_columns = [c for c in questionnaire.text_columns if c in responses.columns]
    if text_columns and options.free_text:
        answered_text = responses[text_columns].notna().any(axis=1)
        if answered_text.any():
            meta = [c for c in ("response_id", "account_id", "role") if c in responses.columns]
            tables["free_text"] = responses.loc[answered_text, [*meta, *text_columns]] \
                .reset_index(drop=True)
    warnings: list[str] = [*reliability_warnings(summary["reliability"]),
                           *model_warnings(questionnaire, summary.get("model")),
                           *nps_warnings(questionnaire), *by_warning]
    if servqual is not None and servqual.allocations and \
            ServqualLayout.of(servqual).allocation is None:
        warnings.append(f"the allocation of '{servqual.id}' does not cover exactly its "
                        "dimensions: no importance-weighted score and no stated importance")
    warnings += wallet_warnings(accounts)
    if "role" in responses.columns:
        # only roles that weigh in an account roll-up matter (staff rows have no account)
        rolled = responses["role"] if "account_id" not in responses.columns else \
            responses.loc[responses["account_id"].notna(), "role"]
        strange = unknown_roles(rolled, options.role_weights)
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
        account_table, listing, extra = account_summary(
            questionnaire, responses, accounts, per_account, sat_by_account,
            loyalty_by_account, options)
        summary["accounts"] = listing
        if "quadrant" in account_table.columns:
            summary["quadrant_cutoffs"] = dict(QUADRANT_CUTOFFS)
        tables["accounts"] = account_table.reset_index()
        if has_accounts_col:
            customers = customer_rows(questionnaire, responses, options)
            groups = BuyingGroups.of(customers, responses.index, options.min_role_answers,
                                     options.role_weights)
            sums = GroupSums.of(figures, responses.index, groups.codes, groups.size)
            tables["account_roles"] = account_role_table(groups, sums,
                                                         options.min_role_answers)
            if accounts is not None:
                tables["segments"], tables["segment_items"] = segment_tables(
                    figures, responses.index, groups, sums, accounts)
        tables.update(extra)
        if "stage_distribution" in extra:
            summary["stages"] = {str(r["stage"]): as_count(r["n"]) for _, r in
                                 extra["stage_distribution"].iterrows()}
    summary["warnings"] = warnings  # always there: an empty list says nothing was weakened
    return AnalysisResult(jsonable(summary), tables)
