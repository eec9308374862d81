"""The analysis run as a workbook: one sheet per table, each with a title and a note.

Every sheet says in its note what its numbers are and how to read them. Number formats come
from the column names (:func:`analysis.report.workbook.number_format_for`): money as
``#,##0``, shares as ``0.0%``, p-values below 0.001 in scientific notation, counts without
decimals, 0–100 indices with one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .labels import LABELS, Labels
from .stats_words import SHEETS_ZH, ZH_OTHER_NOTE, by_sheet_zh, readable_header
from .workbook import DECIMAL, Sheet, number_format_for, workbook_bytes

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
    "nps": (
        "NPS", "Net Promoter Score",
        "NPS = % promoters (9–10) − % detractors (0–6) of the answers to the 0–10 "
        "recommendation question; moe = 95 % margin of error; n = answers."),
    "loyalty": (
        "Loyalty", "The four degrees of loyalty",
        "Per measure: the mean on 0–100 over the respondents who answered it; n = those "
        "respondents."),
    "rated_importance": (
        "Rated importance", "Importance–performance from rated importance",
        "importance = mean importance rating, performance = mean perception, each on "
        "0–100; quadrants split at the means over the constructs; n = respondents."),
    "segments": (
        "Segments", "The portfolio's figures per customer type, industry and owner",
        "One row per segment (segment = the column, value = its value; all = every "
        "respondent): NPS with its margin of error, per dimension mean e, p and "
        f"{GAP} with Holm-adjusted p-values, the satisfaction and loyalty indices, each a "
        "plain mean over the segment's respondents; '.n' = the respondents behind it."),
    "segment_items": (
        "Segment items", "Item gaps per segment",
        f"Per segment and item: mean expectation e, perception p (1–7) and {GAP}; n = "
        "respondents who answered both E and P."),
    "free_text": (
        "Free text", "The respondents' own words",
        "One row per response with its account and role; written as text, never as a "
        "formula."),
}

# formats the column names alone would get wrong: "p" here is the mean perception
FORMATS: dict[str, dict[str, str]] = {"servqual_items": {"e": DECIMAL, "p": DECIMAL},
                                      "segment_items": {"e": DECIMAL, "p": DECIMAL}}
# headers the column names alone would get wrong (the same: "p" is the mean perception)
HEADER_OVERRIDES: dict[str, dict[str, tuple[str, str]]] = {
    "segment_items": {"p": ("感知 P", "Perception P")},
    "servqual_items": {"p": ("感知 P", "Perception P")}}
# coded values shown by name in the statistics sheets: column → label kind
CODED_COLUMNS = {"dimension": "dim", "construct": "dim", "role": "role"}


def _by_sheet(column: str) -> tuple[str, str, str]:
    return (f"SERVQUAL by {column}", f"Service gaps by {column}",
            f"Means over respondents per {column}: e, p and {GAP}, per dimension; "
            "unweighted = SERVQUAL (mean gap), weighted = weighted by the importance points, "
            "servperf = mean perception. '.n' = respondents behind each mean.")


def analysis_workbook(tables: dict[str, pd.DataFrame], summary: Mapping[str, Any] | None = None,
                      lang: str = "en", **context: Any) -> bytes:
    """The leadership workbook of an analysis (the sheets its data allow), then the
    statistics; without a summary, one sheet per non-empty table."""
    if summary is not None:
        from .leadership import ReportData, leadership_workbook
        data = leadership_workbook(ReportData(tables=tables, summary=summary, **context), lang)
        assert data is not None
        return data
    sheets = analysis_sheets(tables)
    if not sheets:
        sheets.append(Sheet("Summary", pd.DataFrame({"note": ["no results"]}),
                            title="No results",
                            note="No model could run on these data: no table to show."))
    return workbook_bytes(sheets)


# shown on the leadership sheets already (accounts, stages, gaps, importance, Gap 1)
LEADERSHIP_TABLES = ("accounts", "stage_distribution", "stage_evidence", "servqual_items",
                     "servqual_importance", "servqual_gap1", "coverage", "account_roles",
                     "servqual_account_items")


def analyst_sheets(tables: Mapping[str, pd.DataFrame], lang: str
                   ) -> list[tuple[Sheet, list[str]]]:
    """The statistics sheets after the leadership sheets, in ``lang``: readable headers
    with the technical name beneath each."""
    rest = {k: v for k, v in tables.items() if k not in LEADERSHIP_TABLES}
    out = []
    for table_name, sheet in _named_sheets(rest):
        technical = [str(c) for c in sheet.table.columns]
        headers = {c: h for c in technical if (h := readable_header(c, lang)) is not None}
        overrides = HEADER_OVERRIDES.get(table_name, {})
        headers.update({c: names[0 if lang == "zh" else 1] for c, names in overrides.items()
                        if c in technical})
        name, title, note = sheet.name, sheet.title, sheet.note
        if lang == "zh":
            name, title, note = SHEETS_ZH.get(table_name) or (
                by_sheet_zh(table_name.removeprefix("servqual_by_"))
                if table_name.startswith("servqual_by_") else
                (table_name, readable_header(table_name, lang) or table_name, ZH_OTHER_NOTE))
        formats = {headers.get(c, c): f for c, f in sheet.number_formats.items()}
        for c in technical:  # keep the formats the technical names give
            if c in headers and c not in sheet.number_formats:
                formats[headers[c]] = number_format_for(c, sheet.table[c])
        renamed = _named_values(sheet.table, lang).rename(columns=headers)
        if renamed.columns.duplicated().any():  # two columns, one header: keep the names
            renamed, formats = sheet.table, dict(sheet.number_formats)
        out.append((Sheet(name, renamed, title=title, note=note,
                          number_formats=formats, freeze_columns=sheet.freeze_columns,
                          row_measures={headers.get(k, k): headers.get(v, v) for k, v in
                                        sheet.row_measures.items()}), technical))
    return out


def _named_values(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Dimensions, roles and a segment's customer types by name (有形性, not tangibles); a
    value without a name (a construct such as SAT) stays as it is."""
    words = Labels(lang)
    out = table
    for column, kind in CODED_COLUMNS.items():
        if column in table.columns:
            out = out if out is not table else table.copy()
            out[column] = [words(f"{kind}.{v}") if isinstance(v, str) and
                           f"{kind}.{v}" in LABELS[lang] else v for v in table[column]]
    if {"segment", "value"} <= set(table.columns):
        out = out if out is not table else table.copy()
        out["value"] = [words(f"customer_type.{v}") if s == "customer_type" and
                        f"customer_type.{v}" in LABELS[lang] else v
                        for s, v in zip(table["segment"], table["value"], strict=True)]
        out["segment"] = [words(f"col.{s}") if f"col.{s}" in LABELS[lang] else s
                          for s in table["segment"]]
    return out


def analysis_sheets(tables: dict[str, pd.DataFrame]) -> list[Sheet]:
    """One sheet per non-empty table, in a reader's order, each with a title and a note."""
    return [sheet for _name, sheet in _named_sheets(tables)]


def _named_sheets(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, Sheet]]:
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
        sheets.append((name, Sheet(sheet_name, table, title=title, note=note,
                                   number_formats=formats, row_measures=row_measures,
                                   freeze_columns=freeze)))
    return sheets


def question_texts(questionnaire: Any, lang: str) -> dict[str, str]:
    """Item texts and construct names of a questionnaire in ``lang`` (for the labels)."""
    texts: dict[str, str] = {}
    for instrument in questionnaire.instruments:
        texts.update({f"dim.{c.id}": c.name.get(lang, "en") for c in instrument.constructs})
        texts.update({f"item.{i.id}": f"{i.id} {i.text.get(lang, 'en')}"
                      for i in (*instrument.items, *instrument.open)})
    return texts


def file_workbook(result: Any, questionnaire: Any = None, lang: str = "en",
                  responses: pd.DataFrame | None = None) -> bytes:
    """The leadership workbook of an analysis of files (``surveyapp analyze --xlsx``): the
    sheets its data allow, then the statistics."""
    from .leadership import ReportData, leadership_workbook

    texts = question_texts(questionnaire, lang) if questionnaire is not None else {}
    instruments = [f"{i.id} v{i.version}" for i in questionnaire.instruments] \
        if questionnaire is not None else []
    data = leadership_workbook(ReportData(tables=result.tables, summary=result.summary,
                                          texts=texts, instruments=instruments,
                                          responses=responses), lang)
    assert data is not None
    return data
