"""Key-account scorecards, the Method sheet, and the raw sheets (responses, actions,
comments) of the leadership workbook."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .blocks import TOP, WRAP, Page
from .criteria import unmet_words
from .labels import Labels
from .sections import DECIMAL2, bar_chart, largest_gaps
from .sheetxml import streamed_sheet
from .workbook import COUNT, INDEX, LINE_HEIGHT, MONEY, SHARE, Sheet, _lines, unique_sheet_name

CARD_MEASURES = (("col.stage", "stage", None), ("col.abc", "abc", None),
                 ("col.customer_type", "customer_type", None), ("col.owner", "owner", None),
                 ("col.revenue", "revenue", MONEY), ("col.contribution", "contribution", MONEY),
                 ("col.share_of_wallet", "share_of_wallet", SHARE),
                 ("col.growth", "growth", SHARE), ("col.nps", "nps", INDEX),
                 ("col.satisfaction", "satisfaction", INDEX),
                 ("col.loyalty_index", "loyalty_index", INDEX),
                 ("col.servqual", "servqual.unweighted", DECIMAL2),
                 ("col.quadrant", "quadrant", None), ("col.responses", "responses", COUNT),
                 ("col.roles", "roles", None), ("col.next_unmet", "next_unmet", None))


def key_accounts(data: Any) -> list[str]:
    """The accounts that get a scorecard sheet: those chosen, else the A accounts."""
    table = data.table("accounts")
    if table.empty:
        return []
    if data.key_accounts is not None:
        known = set(table["account_id"].astype(str))
        return [str(c) for c in data.key_accounts if str(c) in known]
    if "abc" not in table:
        return []
    ranked = table[table["abc"] == "A"].sort_values("contribution", ascending=False)
    return [str(c) for c in ranked["account_id"]]


def _shown(key: str, value: Any, labels: Labels) -> Any:
    if key == "stage":
        return labels.coded("stage", value)
    if key == "customer_type":
        return labels.coded("customer_type", value)
    if key == "quadrant":
        return labels.coded("quadrant", value)
    if key == "roles":
        return labels.roles(value)
    return value


def card_rows(data: Any, codes: list[str]
              ) -> dict[str, tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]]:
    """Each key account's row of the accounts table, its item gaps and its stage evidence,
    looked up once."""
    accounts = data.table("accounts")
    chosen = accounts[accounts["account_id"].astype(str).isin(codes)]
    rows = {str(r["account_id"]): r for r in chosen.to_dict(orient="records")}
    items = data.table("servqual_account_items")
    by_account = {} if items.empty else {
        str(k): g for k, g in items[items["account_id"].astype(str).isin(codes)].groupby(
            items["account_id"].astype(str), sort=False)}
    evidence = data.table("stage_evidence")
    criteria = {} if evidence.empty else {
        str(k): g for k, g in evidence[evidence["account_id"].astype(str).isin(codes)].groupby(
            evidence["account_id"].astype(str), sort=False)}
    return {code: (rows[code], by_account.get(code, pd.DataFrame()),
                   criteria.get(code, pd.DataFrame())) for code in codes if code in rows}


def write_scorecard(wb: Any, used: set[str], code: str, row: dict[str, Any],
                    items: pd.DataFrame, evidence: pd.DataFrame, data: Any,
                    labels: Labels) -> None:
    name = unique_sheet_name(f"{labels('sheet.scorecard')} {code}", used)
    page = Page(streamed_sheet(wb, name), [30, 24, 12, 12, 12, 8], landscape=False,
                one_page=True)
    page.title(f"{labels('t.card')}: {row.get('name') or code}", labels("n.card"), span=6)
    page.blank()
    page.header([labels("col.measure"), labels("col.value")])
    for key, col, fmt in CARD_MEASURES:  # each measure in its own number format
        if col in row:
            value = unmet_words(evidence, labels, data.indicator_units) \
                if col == "next_unmet" else _shown(col, row.get(col), labels)
            lines = _lines(value, page.widths[1]) if isinstance(value, str) and value else 1
            page.append([page.cell(labels(key), align=TOP),
                         page.cell(value, fmt=fmt, align=WRAP)],
                        height=LINE_HEIGHT * min(lines, 8) if lines > 1 else None)
    dims = list((data.summary.get("servqual") or {}).get("dimensions") or {})
    if dims and f"servqual.{dims[0]}.gap" in row:
        page.blank()
        span = page.table([labels("col.dimension"), labels("col.e"), labels("col.p"),
                           labels("col.gap"), labels("col.n")],
                          [[labels.coded("dim", d), row.get(f"servqual.{d}.e"),
                            row.get(f"servqual.{d}.p"), row.get(f"servqual.{d}.gap"),
                            row.get(f"servqual.{d}.gap.n")] for d in dims],
                          [None, DECIMAL2, DECIMAL2, DECIMAL2, COUNT])
        chart = bar_chart(page.ws, labels("col.gap"), span, 1, 4, horizontal=True)
        chart.height, chart.width = 6.0, 12.0
        page.ws.add_chart(chart, f"A{page.row + 2}")
        page.blank(14)
    if not items.empty:
        mine = items.dropna(subset=["gap"])
        worst = mine.sort_values("gap").head(5)
        if not worst.empty:
            page.section(labels("t.top_gaps"))
            page.table([labels("col.item"), labels("col.gap"), labels("col.n")],
                       [[labels(f"item.{r['item']}"), r["gap"], r["n"]]
                        for r in worst.to_dict(orient="records")], [None, DECIMAL2, COUNT])


def write_method(wb: Any, name: str, data: Any, labels: Labels) -> None:
    from .method import definitions

    page = Page(streamed_sheet(wb, name), [28, 100], landscape=False)
    page.title(labels("t.method"), span=2)
    page.blank()
    facts = [(labels("w.wave"), data.wave),
             (labels("w.as_of"), f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else ""),
             (labels("m.responses"), str(data.response_count if data.response_count
                                         is not None else data.summary.get("n_responses", ""))),
             ("Instruments" if labels.lang == "en" else "问卷版本",
              ", ".join(data.instruments) or ", ".join(data.summary.get("instruments") or [])),
             (labels("w.filters"), data.filters or labels("w.all"))]
    if data.anonymous:
        facts.append(("", labels("n.anonymous")))
    page.table([labels("col.measure"), labels("col.value")], facts, [None, None])
    page.blank()
    page.table([labels("col.measure"), labels("col.definition")],
               definitions(labels.lang), [None, None])
    page.blank()
    few = _few_answers(data)
    page.banner(labels("n.few", n=data.min_answers) + (few or labels("w.none")))


def _few_answers(data: Any) -> str:
    accounts = data.table("accounts")
    if accounts.empty or "responses" not in accounts:
        return ""
    thin = accounts[pd.to_numeric(accounts["responses"], errors="coerce").fillna(0)
                    .between(1, data.min_answers - 1)]
    return ", ".join(f"{r.get('name') or r['account_id']} (n = {int(r['responses'])})"
                     for r in thin.to_dict(orient="records"))


def actions_table(data: Any, labels: Labels) -> tuple[pd.DataFrame, str]:
    """Open follow-up tasks when there are any; else improvement actions from the largest
    gaps (the note says which)."""
    tasks = data.tasks
    if tasks is not None and not tasks.empty:
        return _tasks_by_account(tasks, labels), labels("n.tasks")
    top = largest_gaps(data, 5)
    rows = [{labels("col.problem"): labels("w.gap_problem",
                                           dim=labels.coded("dim", r["dimension"])),
             labels("col.action"): labels("w.improve", item=labels(f"item.{r['item']}"),
                                          gap=f"{r['gap']:.2f}"),
             labels("col.owner"): "", labels("col.due"): ""}
            for r in top.to_dict(orient="records")]
    return pd.DataFrame(rows, columns=[labels("col.problem"), labels("col.action"),
                                       labels("col.owner"), labels("col.due")]), \
        labels("n.gap_actions")


def raw_sheets(data: Any, labels: Labels) -> list[tuple[Sheet, list[str] | None]]:
    sheets: list[tuple[Sheet, list[str] | None]] = []
    if data.responses is not None and not data.responses.empty:
        note = labels("n.responses") + (" " + labels("n.anonymous") if data.anonymous else "")
        technical = [str(c) for c in data.responses.columns]
        readable = [response_header(c, labels) for c in technical]
        if len(set(readable)) < len(readable):  # two columns, one header: keep the names
            readable = technical
        sheets.append((Sheet(labels("sheet.responses"), data.responses.set_axis(
            readable, axis="columns"), title=labels("t.responses"), note=note), technical))
    actions, note = actions_table(data, labels)
    sheets.append((Sheet(labels("sheet.actions"), actions, title=labels("t.actions"),
                         note=note), None))
    if data.comments is not None and not data.comments.empty:
        comments = data.comments.copy()
        if "role" in comments:  # the buying role and the question as a reader knows them
            comments["role"] = [labels.coded("role", r) if isinstance(r, str) else r
                                for r in comments["role"]]
        if "item" in comments:
            comments["item"] = [labels.extra.get(f"item.{i}", i) for i in comments["item"]]
        comments = comments.rename(columns={
            "account_id": labels("col.account_id"), "role": labels("col.role"),
            "submitted_at": labels("col.date"), "item": labels("col.item"),
            "text": labels("col.text")})
        sheets.append((Sheet(labels("sheet.comments"), comments, title=labels("t.comments"),
                             note=labels("n.anonymous") if data.anonymous else None), None))
    return sheets


RESPONSE_META = ("response_id", "account_id", "contact_id", "role", "wave", "lang",
                 "submitted_at")


def response_header(column: str, labels: Labels) -> str:
    """A wide-format column as a reader knows it: the item's text and whether it is the
    expectation or the perception; the id itself when the questionnaire does not name it."""
    if column in RESPONSE_META:
        return labels(f"col.{column}")
    base, _, part = column.rpartition(".")
    if base == "imp":
        return labels("w.points", dim=labels.coded("dim", part))
    if base and part in ("e", "p") and f"item.{base}" in labels.extra:
        return f"{labels.extra[f'item.{base}']}（{labels('w.' + part)}）" if \
            labels.lang == "zh" else f"{labels.extra[f'item.{base}']} ({labels('w.' + part)})"
    return labels.extra.get(f"item.{column}", column)


def _tasks_by_account(tasks: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """One row per account: how many tasks are open, what they ask (each once, with how
    many times; the account's name, which the titles repeat, left out), who owns them and
    the first due date. A list of near-identical task rows ran to a dozen pages."""
    sep = "；" if labels.lang == "zh" else "; "
    rows = []
    for account, group in tasks.groupby("account", sort=False):
        prefix = f"{account}: "
        titles = [str(t).removeprefix(prefix) for t in group["title"]]
        counted: dict[str, int] = {}
        for title in titles:
            counted[title] = counted.get(title, 0) + 1
        actions = sep.join(t if n == 1 else f"{t} ×{n}" for t, n in counted.items())
        owners = ", ".join(dict.fromkeys(str(o) for o in group["owner"] if o))
        due = pd.to_datetime(group["due"], errors="coerce").min()
        rows.append({labels("col.name"): account, labels("col.open_tasks"): len(group),
                     labels("col.action"): actions, labels("col.owner"): owners,
                     labels("col.first_due"): None if pd.isna(due) else due.date()})
    return pd.DataFrame(rows)
