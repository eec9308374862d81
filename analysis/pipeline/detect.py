"""Which model runs: found from the instruments themselves, never from file names."""

from __future__ import annotations

from .. import loyalty as loyalty_mod
from ..instrument import Instrument, Questionnaire
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
