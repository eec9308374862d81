"""Which model runs: found from the instruments themselves, never from file names."""

from __future__ import annotations

from .. import loyalty as loyalty_mod
from ..instrument import Instrument, Item, Questionnaire
from ..stages import (
    StageModel,
)
from .common import GRID_ITEMS


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


NPS_RANGE = (0, 10)


def nps_candidate(q: Questionnaire) -> tuple[Instrument, Item] | None:
    """The recommend item: the first declared ``role = "nps"``; without a declaration (the
    old convention) a single-answer item with id ``nps``. Its scale is not checked here."""
    declared = q.items_with_role("nps")
    if declared:
        return declared[0]
    for inst in q.instruments:
        for item in inst.items:
            if item.id == "nps" and not item.facets:
                return inst, item
    return None


def nps_refusal(q: Questionnaire) -> str | None:
    """Why the recommend item gives no NPS (its scale is not 0–10), else None.

    NPS counts promoters (9–10) and detractors (0–6) on the 0–10 scale it was defined on;
    a 1–10 or 0–5 item cannot be sorted into them without inventing cut-offs, so it is
    refused with this reason rather than rescaled."""
    found = nps_candidate(q)
    if found is None:
        return None
    inst, item = found
    scale = inst.scales[item.scale]
    if (scale.min, scale.max) == NPS_RANGE:
        return None
    return (f"no NPS: item '{item.id}' of '{inst.id}' is on {scale.min}–{scale.max}, but NPS "
            f"is defined on 0–10 (promoters 9–10, detractors 0–6); ask it on a 0–10 scale")


def find_nps_column(q: Questionnaire) -> str | None:
    """The answer column NPS is computed from: the recommend item when it is on 0–10."""
    found = nps_candidate(q)
    if found is None or nps_refusal(q) is not None:
        return None
    return found[1].id


def satisfaction_target(inst: Instrument) -> str | None:
    """The satisfaction construct of a model instrument (declared, or the SAT convention)."""
    return inst.satisfaction_construct


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
