"""The analysis run as a workbook: one sheet per table, each with a title and a note.

Every sheet says in its note what its numbers are and how to read them. Number formats come
from the column names (:func:`analysis.report.workbook.number_format_for`): money as
``#,##0``, shares as ``0.0%``, p-values below 0.001 in scientific notation, counts without
decimals, 0–100 indices with one decimal.
"""

from __future__ import annotations

import pandas as pd

from .workbook import DECIMAL, Sheet, workbook_bytes

GAP = "gap = P − E on the 1–7 scale (below 0: perception falls short of expectation)"
TESTS = ("p_wilcoxon (Wilcoxon signed-rank) and p_t (paired t) test the mean gap against 0; "
         "p_holm and p_t_holm are Holm-adjusted across the dimensions. p below 0.05: a gap "
         "unlikely to be chance; p-values below 0.001 show as e.g. 1.20E-07.")

# table name → (sheet name, title, note); tables not listed are added after, as they are
SHEETS: dict[str, tuple[str, str, str]] = {
    "accounts": (
        "Account measures", "Accounts: stage, contribution, loyalty, satisfaction, gaps",
        "One row per account. Scores are role-weighted over the buying centre; '.mean' is "
        "the unweighted mean over respondents and '.n' the respondents behind it. "
        f"servqual.* {GAP}. Satisfaction, loyalty degrees, NPS and contribution_score are "
        "0–100. contribution = revenue × margin − cost to serve; ABC: A = accounts making "
        "the first 80 % of positive contribution, B up to 95 %, C the rest, D = loss-making. "
        "stage = highest relationship stage whose criteria all hold; next_unmet = what the "
        "next stage still needs. Empty = not known."),
    "stage_distribution": (
        "Stages", "Accounts per relationship stage",
        "n = accounts at each stage (ladder order, uncoupling last); share = of all "
        "accounts placed."),
    "stage_evidence": (
        "Stage evidence", "Every stage criterion per account",
        "One row per account and criterion: the indicator, the threshold, the account's "
        "value and whether it is met, not met or unknown (no value). next = TRUE marks the "
        "criteria of the account's next stage; reason = where the threshold comes from. "
        "Shares show as %."),
    "servqual_tests": (
        "SERVQUAL", "Service gaps per dimension (P − E)",
        f"Mean {GAP}; n = respondents with a gap, n_zero = zero gaps (left out of the "
        f"Wilcoxon ranking). {TESTS}"),
    "servqual_items": (
        "SERVQUAL items", "Item gaps",
        f"Per item: mean expectation e, perception p (1–7) and {GAP}; n = respondents who "
        "answered both E and P."),
    "servqual_importance": (
        "Importance", "Importance–performance",
        "importance = mean of the 100 points respondents shared across the dimensions; "
        "performance = mean perception as a 0–100 index. The axes are split at the split "
        "columns (means over the dimensions) into quadrants (Martilla & James 1977): "
        "'concentrate here' = important but below par. n = respondents whose points count."),
    "servqual_derived_importance": (
        "Derived importance", "Derived importance of the dimensions × performance",
        "importance = each dimension's share (%, sums to 100) of the explained variance of "
        "respondents' satisfaction index, by relative weights (Johnson 2000) of the "
        "dimension perceptions; performance = mean perception, 0–100. Quadrants as on the "
        "Importance sheet."),
    "servqual_gap1": (
        "Gap 1", "Gap 1: customers' E − managers' estimate of it",
        "customer_e = customers' mean expectation, manager_e = what managers think customers "
        "expect (1–7); gap1 = customer_e − manager_e: above 0, customers expect more than "
        "managers think. customer_n, manager_n = respondents on each side."),
    "servqual_account_tests": (
        "Gap tests by account", "Gap significance per account",
        f"As on the SERVQUAL sheet, one account at a time: mean {GAP}, n = the account's "
        "respondents with a gap. Holm-adjusted across the dimensions within each account. "
        "With few respondents a large p does not show there is no gap."),
    "reliability": (
        "Reliability", "Cronbach's alpha per construct",
        "Raw alpha and standardized alpha_std with the Feldt 95% CI (ci_lo to ci_hi); "
        "n = complete rows used, k = items. on = the answers used (SERVQUAL: perceptions "
        "and gaps). 0.70 or more is usually taken as acceptable."),
    "reliability_items": (
        "Reliability items", "Item statistics per construct",
        "Per item, on the rows used for the construct's alpha: mean, sd, item_total_r "
        "(corrected item-total correlation: the item against the sum of the others) and "
        "alpha if the item were deleted. An item with item_total_r below 0.30, or whose "
        "deletion raises alpha, is worth a look."),
    "model_paths": (
        "Model paths", "Satisfaction index model: path coefficients",
        "PLS path model on standardized scores: estimate = change in the target, in "
        "standard deviations, per standard deviation of the source, the others held fixed; "
        "std_error, t and p from the regression of each target on its sources. p below "
        "0.05: a path unlikely to be zero."),
    "model_constructs": (
        "Model constructs", "R², AVE, Dillon-Goldstein's rho, 0–100 index",
        "Per construct: k = indicators; r2 = share of its variance explained by the paths "
        "into it (empty for exogenous constructs); ave = average variance extracted (0.50 "
        "or more: the indicators measure one thing); alpha_std and dg_rho = reliability "
        "(0.70 or more); eig_1st, eig_2nd = eigenvalues of the block (one large, the rest "
        "below 1: one dimension); index = the construct's 0–100 score, as the ACSI reports."),
    "model_outer": (
        "Model indicators", "Outer weights and loadings",
        "Per indicator: weight = its weight in the construct score; loading = its "
        "correlation with the construct score (0.70 or more is good); communality = "
        "loading²; redundancy = communality × the construct's R²; index_weight = weight "
        "rescaled to sum to 1 per construct, used for the 0–100 index."),
    "model_effects": (
        "Model effects", "Direct, indirect and total effects",
        "Effect of each construct on each other in standardized units: direct = the path "
        "itself, indirect = through the constructs in between, total = direct + indirect."),
    "model_bootstrap": (
        "Model bootstrap", "Bootstrap percentile intervals of the paths",
        "original = the path estimate on all data; mean and std_error over the bootstrap "
        "resamples; lo to hi = the percentile interval (95 % unless set otherwise). An "
        "interval that does not contain 0 marks a path that holds up."),
    "model_drivers": (
        "Key drivers", "Relative weights of satisfaction's drivers",
        "Relative weights (Johnson 2000): weight = each driver's part of the explained "
        "variance (they sum to R²); percent = the same as % of R² (sums to 100); r = "
        "correlation with satisfaction; beta = regression coefficient; rank 1 = the "
        "strongest driver."),
}

# formats the column names alone would get wrong: "p" here is the mean perception
FORMATS: dict[str, dict[str, str]] = {"servqual_items": {"e": DECIMAL, "p": DECIMAL}}


def _by_sheet(column: str) -> tuple[str, str, str]:
    return (f"SERVQUAL by {column}", f"Service gaps by {column}",
            f"Means over respondents per {column}: e, p and {GAP}, per dimension; "
            "unweighted = SERVQUAL (mean gap), weighted = weighted by the importance points, "
            "servperf = mean perception. '.n' = respondents behind each mean.")


def analysis_workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    """Workbook bytes with one sheet per non-empty table, in a reader's order."""
    sheets = analysis_sheets(tables)
    if not sheets:
        sheets.append(Sheet("Summary", pd.DataFrame({"note": ["no results"]}),
                            title="No results",
                            note="No model could run on these data: no table to show."))
    return workbook_bytes(sheets)


def analysis_sheets(tables: dict[str, pd.DataFrame]) -> list[Sheet]:
    """One sheet per non-empty table, in a reader's order, each with a title and a note."""
    order = [name for name in SHEETS if name in tables] + [
        name for name in tables if name not in SHEETS]
    sheets = []
    for name in order:
        table = tables[name]
        if table is None or table.empty:
            continue
        if name in SHEETS:
            sheet_name, title, note = SHEETS[name]
        elif name.startswith("servqual_by_"):
            sheet_name, title, note = _by_sheet(name.removeprefix("servqual_by_"))
        else:
            sheet_name, title, note = (name, name, "As computed by the analysis; n = "
                                       "respondents or accounts behind each number.")
        columns = [str(c) for c in table.columns]
        row_measures: dict[str, str] = {c: "indicator" for c in ("threshold", "value")
                        if c in columns and "indicator" in columns}
        # the accounts' names stay in view beside their ids
        freeze = 2 if columns[:2] == ["account_id", "name"] else 1
        formats = {c: f for c, f in FORMATS.get(name, {}).items() if c in columns}
        sheets.append(Sheet(sheet_name, table, title=title, note=note, number_formats=formats,
                            row_measures=row_measures, freeze_columns=freeze))
    return sheets
