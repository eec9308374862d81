"""The key-account stage model as data: the stage-threshold file (``instruments/stages.toml``)
read and validated into frozen dataclasses — indicators, criteria, the ladder of stages and
the uncoupling stage.

Every error names the file, the entry (e.g. ``stages[2] 'mid': criteria[0]``) and the
field; an unknown key is an error. Placing accounts on the ladder is :mod:`analysis.stages`,
which also exports these names.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from .tomlfile import Where, check_id, check_keys, check_texts, parse_toml, read_text

OPS: Mapping[str, Callable[[Any, Any], Any]] = MappingProxyType({
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
})
MATCHES = ("all", "any")
# how an indicator's value reads to a manager: a share (0–1, as %), a count, yes/no (1/0), a
# rating on its scale, an index (0–100), a change (as ± %), or a plain number
UNITS = ("share", "count", "yes_no", "rating", "index", "change", "number")


class StagesError(ValueError):
    """A stage-threshold file that does not follow the format."""


@dataclass(frozen=True)
class Indicator:
    id: str
    name: Mapping[str, str]
    description: Mapping[str, str] | None = None
    min: float | None = None
    max: float | None = None
    source: str = ""
    unit: str = "number"
    # what a manager does to move this indicator past a threshold; "{value}" is the
    # threshold in the indicator's unit (a criterion may say it in its own words instead)
    next_step: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Criterion:
    """``indicator op value``, e.g. ``share_of_wallet >= 0.3``, with the reason for it."""

    indicator: str
    op: str
    value: float
    reason: str
    next_step: Mapping[str, str] | None = None

    @property
    def label(self) -> str:
        return f"{self.indicator} {self.op} {self.value:g}"

    def test(self, values: np.ndarray) -> np.ndarray:
        """Met (True) where the value is known and satisfies the criterion."""
        known = np.isfinite(values)
        result = np.zeros(values.shape, dtype=bool)
        result[known] = OPS[self.op](values[known], self.value)
        return result


@dataclass(frozen=True)
class Stage:
    id: str
    name: Mapping[str, str]
    criteria: tuple[Criterion, ...]
    description: Mapping[str, str] | None = None
    match: str = "all"


@dataclass(frozen=True)
class StageModel:
    """The ladder of stages (lowest first), the uncoupling stage and the indicators."""

    version: int
    languages: tuple[str, ...]
    title: Mapping[str, str]
    indicators: Mapping[str, Indicator]
    stages: tuple[Stage, ...]
    uncoupling: Stage | None = None
    source: str = "<string>"

    @property
    def ladder(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def stage(self, stage_id: str) -> Stage:
        for s in (*self.stages, *((self.uncoupling,) if self.uncoupling else ())):
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    @property
    def used_indicators(self) -> tuple[str, ...]:
        """Indicators that some criterion uses, in order of first use."""
        seen: dict[str, None] = {}
        for s in (*self.stages, *((self.uncoupling,) if self.uncoupling else ())):
            for c in s.criteria:
                seen.setdefault(c.indicator, None)
        return tuple(seen)


def _number(value: Any, where: Where, fld: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise where.error(f"expected a number, got {value!r}", fld)
    return float(value)


def _next_step(raw: Any, languages: tuple[str, ...], where: Where) -> Mapping[str, str]:
    texts = check_texts(raw, languages, where, "next_step")
    for lang, text in texts.items():
        try:
            text.format(value="")
        except (KeyError, IndexError, ValueError):
            raise where.error(f"the {lang} text may name only {{value}} (the threshold); "
                              "write a literal brace as {{ or }}", "next_step") from None
    return texts


def _criteria(raw: Any, indicators: Mapping[str, Indicator], where: Where,
              languages: tuple[str, ...] = ()) -> tuple[Criterion, ...]:
    if not isinstance(raw, list):
        raise where.error("expected an array of tables ([[….criteria]])", "criteria")
    out: list[Criterion] = []
    for n, entry in enumerate(raw):
        w = where.at(f"{where.entry}: criteria[{n}]")
        check_keys(entry, w, ("indicator", "op", "value", "reason"), ("next_step",))
        ind = entry["indicator"]
        if ind not in indicators:
            raise w.error(f"unknown indicator {ind!r} (known: {', '.join(indicators)})",
                          "indicator")
        op = entry["op"]
        if op not in OPS:
            raise w.error(f"unknown operator {op!r} (use one of {', '.join(OPS)})", "op")
        value = _number(entry["value"], w, "value")
        spec = indicators[ind]
        if (spec.min is not None and value < spec.min) or (
                spec.max is not None and value > spec.max):
            raise w.error(f"{value:g} is outside the range of indicator '{ind}' "
                          f"[{spec.min}, {spec.max}]", "value")
        reason = entry["reason"]
        if not isinstance(reason, str) or not reason.strip():
            raise w.error("give the reason for this threshold (a non-empty string)", "reason")
        step = _next_step(entry["next_step"], languages, w) if "next_step" in entry else None
        out.append(Criterion(ind, op, value, reason.strip(), step))
    return tuple(out)


def _stage(raw: Any, indicators: Mapping[str, Indicator], languages: tuple[str, ...],
           where: Where, uncoupling: bool) -> Stage:
    optional = ("description", "criteria") + (("match",) if uncoupling else ())
    check_keys(raw, where, ("id", "name"), optional)
    sid = check_id(raw["id"], where)
    w = where.at(f"{where.entry} '{sid}'")
    match = raw.get("match", "any" if uncoupling else "all")
    if match not in MATCHES:
        raise w.error(f"{match!r} is not one of {', '.join(MATCHES)}", "match")
    return Stage(
        id=sid, name=check_texts(raw["name"], languages, w, "name"),
        criteria=_criteria(raw.get("criteria", []), indicators, w, languages),
        description=(check_texts(raw["description"], languages, w, "description")
                     if "description" in raw else None),
        match=match)


def parse_stage_model(data: Mapping[str, Any], source: str = "<string>") -> StageModel:
    """Validate a parsed stage-threshold document and build a :class:`StageModel`.

    Raises
    ------
    StagesError
        Naming ``source``, the entry (e.g. ``stages[2] 'mid': criteria[0]``) and the field.
    """
    where = Where(source, StagesError)
    top = check_keys(dict(data), where, ("version", "languages", "title", "indicators", "stages"),
                ("description", "uncoupling"))
    version = top["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise where.error(f"expected a whole number, got {version!r}", "version")
    langs = top["languages"]
    if (not isinstance(langs, list) or not langs
            or not all(isinstance(x, str) and x for x in langs)):
        raise where.error("expected a non-empty list of language codes", "languages")
    languages = tuple(langs)
    title = check_texts(top["title"], languages, where, "title")
    if "description" in top:
        check_texts(top["description"], languages, where, "description")

    if not isinstance(top["indicators"], dict) or not top["indicators"]:
        raise where.error("expected tables [indicators.<id>]", "indicators")
    indicators: dict[str, Indicator] = {}
    for iid, raw in top["indicators"].items():
        w = where.at(f"indicators.{iid}")
        check_id(iid, w)
        check_keys(raw, w, ("name",), ("description", "min", "max", "source", "unit",
                                        "next_step"))
        lo = _number(raw["min"], w, "min") if "min" in raw else None
        hi = _number(raw["max"], w, "max") if "max" in raw else None
        if lo is not None and hi is not None and hi <= lo:
            raise w.error(f"max ({hi:g}) must be greater than min ({lo:g})", "max")
        src = raw.get("source", "")
        if not isinstance(src, str):
            raise w.error("expected a string", "source")
        unit = raw.get("unit", "number")
        if unit not in UNITS:
            raise w.error(f"{unit!r} is not one of {', '.join(UNITS)}", "unit")
        indicators[iid] = Indicator(
            iid, check_texts(raw["name"], languages, w, "name"),
            check_texts(raw["description"], languages, w, "description")
            if "description" in raw else None, lo, hi, src, unit,
            _next_step(raw["next_step"], languages, w) if "next_step" in raw else None)

    if not isinstance(top["stages"], list) or len(top["stages"]) < 2:
        raise where.error("expected at least two [[stages]], lowest first", "stages")
    stages = tuple(_stage(raw, indicators, languages, where.at(f"stages[{n}]"), False)
                   for n, raw in enumerate(top["stages"]))
    if stages[0].criteria:
        raise where.at(f"stages[0] '{stages[0].id}'").error(
            "the first stage is where every account starts; it takes no criteria", "criteria")
    for n, s in enumerate(stages[1:], start=1):
        if not s.criteria:
            raise where.at(f"stages[{n}] '{s.id}'").error(
                "every stage above the first needs at least one criterion", "criteria")
    uncoupling = None
    if "uncoupling" in top:
        uncoupling = _stage(top["uncoupling"], indicators, languages, where.at("uncoupling"),
                            True)
        if not uncoupling.criteria:
            raise where.at(f"uncoupling '{uncoupling.id}'").error(
                "needs at least one criterion", "criteria")
    ids = [s.id for s in stages] + ([uncoupling.id] if uncoupling else [])
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise where.error(f"duplicate stage id '{dupes[0]}'", "stages")
    return StageModel(version, languages, title, MappingProxyType(indicators), stages,
                      uncoupling, source)


def loads_stage_model(text: str, source: str = "<string>") -> StageModel:
    """Parse and validate stage-threshold TOML text."""
    return parse_stage_model(parse_toml(text, source, StagesError), source)


def load_stage_model(path: str | Path) -> StageModel:
    """Load and validate a stage-threshold file (``instruments/stages.toml``)."""
    return loads_stage_model(read_text(path, StagesError), str(path))
