"""The scorecard's words: a stage's evidence as a manager reads it, the next steps the
stage file gives for each unmet criterion, the twenty-five grid and the account's history.

Values come from the stored run (stage evidence, account rows of each wave) and the
manager's own ratings (the grid); nothing is computed here but the way they are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask_babel import gettext as _

from analysis import StageModel
from analysis.report.criteria import UnitWords, indicator_text
from analysis.stages import Criterion

from ..services.figures import WaveFigures, enough, segment_items, segment_row, withhold_thin_row
from .roles import role_views

GRID_STEPS = {"zh": ["寒暄", "事实", "观念", "行为", "价值观"],
              "en": ["Greeting", "Facts", "Shared views", "Interests", "Values"]}
GRID_LEVELS = {"zh": ["A 战略", "B 忠诚", "C 价值", "D 信任", "E 偏好"],  # top row first
               "en": ["A Strategy", "B Loyalty", "C Value", "D Trust", "E Preference"]}


def in_words(value: Any, unit: str, scale_max: float | None = None) -> str:
    """An indicator's value as a manager says it: 45 %, 3, yes, 4 of 5, 62 of 100, +12 %;
    a rating out of its own scale's top (``scale_max``, the stage file's ``max``; 5 when
    the file gives none)."""
    words = UnitWords(_("unknown"), _("yes"), _("no"),
                      lambda v, top: _("%(value)s of %(max)s", value=v, max=top), number=".1f")
    return indicator_text(value, unit, words, 5.0 if scale_max is None else scale_max)


def _criterion(model: StageModel, row: dict[str, Any]) -> Criterion | None:
    try:
        stage = model.stage(str(row["stage"]))
    except KeyError:
        return None
    return next((c for c in stage.criteria if c.indicator == row["indicator"]
                 and c.op == row["op"] and abs(c.value - float(row["threshold"])) < 1e-9),
                None)


@dataclass
class EvidenceLine:
    stage: str
    part: str  # "current" (why this stage) or "next" (what the next one takes)
    indicator: str
    actual: str
    threshold: str
    status: str  # met, not met, unknown
    next_step: str | None  # for an unmet criterion of the next stage


def evidence(rows: list[dict[str, Any]], model: StageModel | None, lang: str
             ) -> list[EvidenceLine]:
    """The stage criteria in words, with a next step for each unmet one of the next stage."""
    lines = []
    for row in rows:
        indicator = model.indicators.get(row["indicator"]) if model else None
        unit = indicator.unit if indicator else "number"
        name = indicator.name.get(lang, row["indicator"]) if indicator else row["indicator"]
        stage_name = row["stage"]
        if model is not None:
            try:
                stage_name = model.stage(row["stage"]).name.get(lang, row["stage"])
            except KeyError:
                pass
        op = {">=": "≥", "<=": "≤", "!=": "≠"}.get(row["op"], row["op"])
        top = indicator.max if indicator else None
        threshold = in_words(row["threshold"], unit, top)
        if unit == "yes_no":
            threshold = _("yes") if float(row["threshold"]) >= 1 else _("no")
            op = ""
        step = None
        if row.get("part") == "next" and not row.get("met") and model is not None:
            criterion = _criterion(model, row)
            texts = (criterion.next_step if criterion and criterion.next_step else
                     indicator.next_step if indicator else None)
            if texts:
                step = texts.get(lang, next(iter(texts.values()))).format(value=threshold)
        lines.append(EvidenceLine(str(stage_name), str(row.get("part")), str(name),
                                  in_words(row.get("value"), unit, top),
                                  f"{op} {threshold}".strip(), str(row.get("status")), step))
    return lines


def grid_rows(contacts: list[Any], ratings: dict[int, dict[str, float]], lang: str
              ) -> list[dict[str, Any]]:
    """The 5 × 5 grid, top level (A) first: each cell lists the contacts placed in it."""
    placed: dict[tuple[int, int], list[str]] = {}
    for contact in contacts:
        rating = ratings.get(contact.id) or {}
        step, level = rating.get("grid_step"), rating.get("grid_level")
        if step is None or level is None or pd.isna(step) or pd.isna(level):
            continue
        placed.setdefault((int(level), int(step)), []).append(contact.name)
    levels = GRID_LEVELS.get(lang, GRID_LEVELS["en"])
    return [{"level": levels[5 - level],
             "cells": [placed.get((level, step), []) for step in range(1, 6)]}
            for level in range(5, 0, -1)]


def unplaced_contacts(contacts: list[Any], ratings: dict[int, dict[str, float]]) -> list[str]:
    return [c.name for c in contacts
            if not {"grid_step", "grid_level"} <= set(ratings.get(c.id) or {})]


HISTORY_MEASURES = ("stage", "stage_zh", "stage_en", "nps.unweighted", "nps", "nps.n",
                    "servqual.unweighted", "servqual.unweighted.n", "satisfaction",
                    "loyalty_index", "loyalty_index.n", "contribution", "responses")


def history(waves: list[WaveFigures], code: str) -> list[dict[str, Any]]:
    """The account's row in each wave's newest run, oldest wave first."""
    out = []
    for figures in waves:
        if not figures.available:
            continue
        table = figures.table("accounts")
        if table.empty:
            continue
        row = table[table["account_id"] == code]
        if row.empty:
            continue
        whole = withhold_thin_row({str(k): (None if _missing(v) else v)
                                   for k, v in row.iloc[0].items()})
        values = {k: v for k, v in whole.items() if k in HISTORY_MEASURES}
        values["enough"] = enough(values.get("nps.n"))
        out.append({"campaign": figures.campaign.id, "wave": figures.campaign.wave
                    or figures.campaign.name, "name": figures.campaign.name, **values})
    return out


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # any cell value
    except (TypeError, ValueError):
        return False


WORST_ITEMS = 5


def _type_figure(gap: Any, n: Any) -> dict[str, Any]:
    """The customer type's gap beside the account's; None under the minimum of answers."""
    try:
        answers = int(float(n))
    except (TypeError, ValueError):
        answers = 0
    shown = enough(answers) and gap is not None and not _missing(gap)
    return {"type_gap": float(gap) if shown else None, "type_n": answers,
            "type_enough": shown}


def _wave_gap(figure: Mapping[Any, Any] | None) -> float | None:
    """The portfolio's gap beside the account's, None when it rests on fewer than
    MIN_ANSWERS respondents (a young wave)."""
    if not figure or not enough(figure.get("n")) or _missing(figure.get("gap")):
        return None
    return float(figure["gap"])


def scorecard_extras(session: Any, card: Any, lang: str, instruments_dir: str,
                     waves: list[WaveFigures]) -> dict[str, Any]:
    """Everything the scorecard shows beside the card's own tables, ready to display."""
    from ..services import assessment
    from ..services.figures import wave_figures

    account = card.account
    rows = card.records("criteria") if card.criteria is not None else []
    extras: dict[str, Any] = {
        "evidence": evidence(rows, card.stage_model, lang),
        "history": history(waves, account.code)}
    rated = assessment.load(session, account, instruments_dir)
    extras["grid"] = grid_rows(rated.contacts, rated.grid, lang)
    extras["grid_steps"] = GRID_STEPS.get(lang, GRID_STEPS["en"])
    extras["unplaced"] = unplaced_contacts(rated.contacts, rated.grid)
    extras["charts"] = {}
    if card.campaign is None:
        return extras
    from ..services.instruments import questionnaire_of

    asked = questionnaire_of(card.campaign).instruments
    extras["questions"] = {q.id: q.text.get(lang) for i in asked for q in i.open}
    extras["construct_names"] = {c.id: c.name.get(lang) for i in asked for c in i.constructs}
    figures = wave_figures(session, card.campaign)
    dims = (figures.summary.get("servqual") or {}).get("dimensions") or {}
    shown = [d for d in card.records("dimensions") if enough(d.get("gap_n"))]
    # the account's customer type, computed from that type's own answers (every account of
    # the type, whoever owns it: a segment figure, as the portfolio's is)
    ctype = account.customer_type
    type_row = (segment_row(figures, "customer_type", ctype) if ctype else None) or {}
    type_items = segment_items(figures, "customer_type", ctype) if ctype else {}
    extras["customer_type"] = ctype
    extras["compare"] = [{**d, "portfolio": _wave_gap(dims.get(d["dimension"])),
                          **_type_figure(type_row.get(f"servqual.{d['dimension']}.gap"),
                                         type_row.get(f"servqual.{d['dimension']}.n"))}
                         for d in card.records("dimensions")]
    portfolio_items = figures.table("servqual_items")
    by_item = {r["item"]: _wave_gap(r) for r in portfolio_items.to_dict(orient="records")} \
        if not portfolio_items.empty else {}
    items = sorted((r for r in card.records("items") if r.get("gap") is not None),
                   key=lambda r: r["gap"])[:WORST_ITEMS]
    extras["worst"] = [{**r, "portfolio": by_item.get(r["item"]),
                        **_type_figure((type_items.get(r["item"]) or {}).get("gap"),
                                       (type_items.get(r["item"]) or {}).get("n"))}
                       for r in items]
    dimension_names = {d: (card.names[d].get(lang) if d in card.names else d) for d in dims}
    extras["role_views"] = role_views(card.records("roles"), list(dims), dimension_names)
    drivers = figures.table("model_drivers")
    extras["drivers"] = drivers.sort_values("rank").to_dict(orient="records") \
        if not drivers.empty and "rank" in drivers.columns else []
    extras["drivers_n"] = (figures.summary.get("model") or {}).get("n")
    if shown:
        names = card.names
        extras["charts"]["gaps"] = {
            "kind": "bar", "labels": [names[d["dimension"]].get(lang) if d["dimension"] in
                                      names else d["dimension"] for d in shown],
            "series": [{"label": _("This account"), "data": [d["gap"] for d in shown]},
                       {"label": _("Portfolio"), "data": [
                           _wave_gap(dims.get(d["dimension"])) for d in shown]}],
            "y": _("Gap (P − E)")}
        if any(d["type_enough"] for d in extras["compare"]):
            by_dim = {d["dimension"]: d["type_gap"] for d in extras["compare"]}
            extras["charts"]["gaps"]["series"].append(
                {"label": _("Same customer type"),
                 "data": [by_dim.get(d["dimension"]) for d in shown]})
    points = [h for h in extras["history"] if h.get("enough")]
    if points:
        extras["charts"]["history"] = {
            "kind": "line", "labels": [h["wave"] for h in points],
            "series": [{"label": "NPS", "data": [h.get("nps.unweighted") for h in points]}],
            "y": "NPS", "min": -100, "max": 100}
    return extras
