"""The analysis run as a workbook: one sheet per table, each with a title and a note."""

from __future__ import annotations

import pandas as pd

from .workbook import Sheet, workbook_bytes

# table name → (sheet name, title, note); tables not listed are added after, as they are
SHEETS: dict[str, tuple[str, str, str]] = {
    "accounts": ("Account measures", "Accounts: stage, contribution, loyalty, satisfaction, "
                 "gaps",
                 "Role-weighted account scores ('.mean' = unweighted mean over respondents, "
                 "'.n' = respondents). Stage with the unmet criteria of the next stage."),
    "stage_distribution": ("Stages", "Accounts per relationship stage", ""),
    "stage_evidence": ("Stage evidence", "Every stage criterion per account",
                       "indicator, threshold, the account's value, met / not met / unknown"),
    "servqual_tests": ("SERVQUAL", "Service gaps per dimension (P − E)",
                       "Wilcoxon signed-rank and paired t against 0, Holm-adjusted across "
                       "the dimensions."),
    "servqual_items": ("SERVQUAL items", "Item gaps", "n = respondents with both E and P"),
    "servqual_importance": ("Importance", "Importance–performance",
                            "Stated importance (mean points) × perception (0–100)."),
    "servqual_derived_importance": ("Derived importance",
                                    "Derived importance of the dimensions × performance",
                                    "Relative weights (Johnson 2000) of the dimension "
                                    "perceptions in each respondent's satisfaction index."),
    "servqual_gap1": ("Gap 1", "Gap 1: customers' E − managers' estimate of it", ""),
    "servqual_account_tests": ("Gap tests by account", "Gap significance per account",
                               "Holm-adjusted across the dimensions within each account."),
    "reliability": ("Reliability", "Cronbach's alpha per construct",
                    "raw and standardized alpha with the Feldt 95% CI; n = complete rows"),
    "reliability_items": ("Reliability items", "Item statistics per construct",
                          "corrected item-total correlation and alpha if the item were "
                          "deleted (raw alpha), on the same rows as the construct's alpha"),
    "model_paths": ("Model paths", "Satisfaction index model: path coefficients", ""),
    "model_constructs": ("Model constructs", "R², AVE, Dillon-Goldstein's rho, 0–100 index",
                         ""),
    "model_outer": ("Model indicators", "Outer weights and loadings", ""),
    "model_effects": ("Model effects", "Direct, indirect and total effects", ""),
    "model_bootstrap": ("Model bootstrap", "Bootstrap percentile intervals of the paths", ""),
    "model_drivers": ("Key drivers", "Relative weights of satisfaction's drivers",
                      "Johnson (2000): raw weights sum to R²; percent sums to 100."),
}


def analysis_workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    """Workbook bytes with one sheet per non-empty table, in a reader's order."""
    sheets = analysis_sheets(tables)
    if not sheets:
        sheets.append(Sheet("Summary", pd.DataFrame({"note": ["no results"]})))
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
            column = name.removeprefix("servqual_by_")
            sheet_name, title, note = (f"SERVQUAL by {column}", f"Service gaps by {column}",
                                       "Means over respondents; '.n' = respondents.")
        else:
            sheet_name, title, note = name, name, ""
        formats = {str(c): "0.000" for c in table.columns if table[c].dtype.kind == "f"}
        sheets.append(Sheet(sheet_name, table, title=title, note=note or None,
                            number_formats=formats))
    return sheets
