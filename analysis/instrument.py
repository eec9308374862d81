"""Questionnaire definitions: load and validate instrument files (TOML) into frozen dataclasses.

An instrument is data: scales, facets, constructs, items, allocations, open questions and an
optional structural model. The format is documented in ``instruments/README.md``. Every error
names the file, the entry and the field, and an unknown key is an error, never ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .tomlfile import Where, check_id, check_keys, check_texts, parse_toml, read_text

# the wide format's metadata columns: an answer may not take one of these names
RESERVED_IDS = frozenset({"response_id", "account_id", "contact_id", "role", "wave",
                          "submitted_at", "lang"})


# the answer that means "not applicable": a missing value in every frame, never a number
NOT_APPLICABLE = "na"

# what an item may be declared to be, for the models that look for it (``role = "nps"``)
ITEM_ROLES = ("nps",)
# what a facet may be declared to be: ``role = "importance"`` rates how important an item
# (or, asked alone, its construct) is, for the importance–performance quadrants
FACET_ROLES = ("importance",)


class InstrumentError(ValueError):
    """An instrument file (or questionnaire) that does not follow the format."""


@dataclass(frozen=True)
class Text:
    """A text given in each of the instrument's languages."""

    by_lang: Mapping[str, str]

    def get(self, lang: str, fallback: str | None = None) -> str:
        if lang in self.by_lang:
            return self.by_lang[lang]
        if fallback and fallback in self.by_lang:
            return self.by_lang[fallback]
        return next(iter(self.by_lang.values()), "")


@dataclass(frozen=True)
class Scale:
    id: str
    min: int
    max: int
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the items on this scale offer "not applicable" unless an item says otherwise
    not_applicable: bool = False

    @property
    def points(self) -> range:
        return range(self.min, self.max + 1)

    def point_labels(self, lang: str) -> dict[int, str]:
        """Labels by scale point: every point, or only the two ends when two are given."""
        labels = self.labels.get(lang) or next(iter(self.labels.values()), ())
        if len(labels) == len(self.points):
            return dict(zip(self.points, labels, strict=True))
        if len(labels) == 2:
            return {self.min: labels[0], self.max: labels[1]}
        return {}


@dataclass(frozen=True)
class Facet:
    id: str
    label: Text
    prompt: Text | None = None
    role: str | None = None


@dataclass(frozen=True)
class Construct:
    id: str
    name: Text
    description: Text | None = None


@dataclass(frozen=True)
class Item:
    id: str
    construct: str
    scale: str
    text: Text
    facets: tuple[str, ...] = ()
    reverse: bool = False
    required: bool = True
    # "not applicable" may be chosen instead of a point: stored as missing, counted apart
    not_applicable: bool = False
    # what the item is for the models (one of ITEM_ROLES), when declared
    role: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Answer columns in the wide format: ``id`` or ``id.<facet>`` per facet."""
        if not self.facets:
            return (self.id,)
        return tuple(f"{self.id}.{facet}" for facet in self.facets)


@dataclass(frozen=True)
class Allocation:
    """A constant-sum question: ``total`` points shared over some constructs."""

    id: str
    total: int
    text: Text
    constructs: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f"{self.id}.{c}" for c in self.constructs)


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    text: Text
    required: bool = False


@dataclass(frozen=True)
class Model:
    paths: tuple[tuple[str, str], ...]
    # the satisfaction construct (the index, the key drivers), when declared
    target: str | None = None


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    languages: tuple[str, ...]
    title: Text
    scales: Mapping[str, Scale]
    facets: Mapping[str, Facet]
    constructs: tuple[Construct, ...]
    items: tuple[Item, ...]
    allocations: tuple[Allocation, ...] = ()
    open: tuple[OpenQuestion, ...] = ()
    model: Model | None = None
    description: Text | None = None
    source: str = "<string>"

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        cols: list[str] = []
        for item in self.items:
            cols.extend(item.columns)
        for allocation in self.allocations:
            cols.extend(allocation.columns)
        return tuple(cols)

    @property
    def text_columns(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.open)

    def column_range(self, column: str) -> tuple[int, int]:
        """The allowed (min, max) of a numeric answer column."""
        return self._ranges[column]

    @property
    def _ranges(self) -> dict[str, tuple[int, int]]:
        ranges: dict[str, tuple[int, int]] = {}
        for item in self.items:
            scale = self.scales[item.scale]
            for col in item.columns:
                ranges[col] = (scale.min, scale.max)
        for allocation in self.allocations:
            for col in allocation.columns:
                ranges[col] = (0, allocation.total)
        return ranges

    @property
    def importance_facet(self) -> str | None:
        """The facet declared ``role = "importance"`` (rated importance), if any."""
        return next((f.id for f in self.facets.values() if f.role == "importance"), None)

    @property
    def satisfaction_construct(self) -> str | None:
        """The model's satisfaction construct: the declared ``[model] target``; without one
        (the old convention) the first construct whose id starts with ``SAT``."""
        if self.model is None:
            return None
        if self.model.target is not None:
            return self.model.target
        return next((c.id for c in self.constructs if c.id.upper().startswith("SAT")), None)

    def items_of(self, construct: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.construct == construct)

    def construct(self, construct_id: str) -> Construct:
        for c in self.constructs:
            if c.id == construct_id:
                return c
        raise KeyError(construct_id)

    def facet_columns(self, construct: str, facet: str) -> list[str]:
        """Columns of one construct's items for one facet (e.g. all tangibles ``.e``)."""
        return [f"{i.id}.{facet}" for i in self.items_of(construct) if facet in i.facets]

    def single_columns(self, construct: str) -> list[str]:
        """Columns of one construct's single-answer items."""
        return [i.id for i in self.items_of(construct) if not i.facets]


# --------------------------------------------------------------------------- parsing


def _check_int(value: Any, where: Where, fld: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise where.error(f"expected a whole number, got {value!r}", fld)
    return value


def _check_bool(value: Any, where: Where, fld: str) -> bool:
    if not isinstance(value, bool):
        raise where.error(f"expected true or false, got {value!r}", fld)
    return value


def _text(value: Any, languages: tuple[str, ...], where: Where, fld: str) -> Text:
    return Text(check_texts(value, languages, where, fld))


def _unique(ids: list[str], where: Where, what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise where.error(f"duplicate {what} id '{i}'")
        seen.add(i)


def _parse_scale(sid: str, raw: Any, languages: tuple[str, ...], where: Where) -> Scale:
    w = where.at(f"scales.{sid}")
    check_id(sid, w, "id")
    check_keys(raw, w, ("min", "max"), ("labels", "not_applicable"))
    lo, hi = _check_int(raw["min"], w, "min"), _check_int(raw["max"], w, "max")
    if hi <= lo:
        raise w.error(f"max ({hi}) must be greater than min ({lo})", "max")
    labels: dict[str, tuple[str, ...]] = {}
    if "labels" in raw:
        if not isinstance(raw["labels"], dict):
            raise w.error("expected a table of label lists by language", "labels")
        for lang in languages:
            if lang not in raw["labels"]:
                raise w.error(f"no labels in language '{lang}'", "labels")
        for lang, values in raw["labels"].items():
            if lang not in languages:
                raise w.error(f"language '{lang}' is not listed in 'languages'", "labels")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise w.error(f"the '{lang}' labels must be a list of strings", "labels")
            if len(values) not in (2, hi - lo + 1):
                raise w.error(
                    f"give 2 labels (the ends) or {hi - lo + 1} (every point), "
                    f"not {len(values)}", "labels")
            labels[lang] = tuple(values)
    return Scale(sid, lo, hi, MappingProxyType(labels),
                 _check_bool(raw.get("not_applicable", False), w, "not_applicable"))


def parse_instrument(data: Mapping[str, Any], source: str = "<string>") -> Instrument:
    """Validate a parsed TOML document and build an :class:`Instrument`.

    Raises
    ------
    InstrumentError
        Naming ``source``, the entry (e.g. ``items[3] 'sq04'``) and the field.
    """
    where = Where(source, InstrumentError)
    top = check_keys(
        dict(data), where,
        ("id", "version", "languages", "title", "constructs", "items"),
        ("description", "scales", "facets", "allocations", "open", "model"),
    )
    iid = check_id(top["id"], where)
    version = _check_int(top["version"], where, "version")
    langs_raw = top["languages"]
    if (not isinstance(langs_raw, list) or not langs_raw
            or not all(isinstance(x, str) and x for x in langs_raw)):
        raise where.error("expected a non-empty list of language codes", "languages")
    languages = tuple(langs_raw)
    title = _text(top["title"], languages, where, "title")
    description = (_text(top["description"], languages, where, "description")
                   if "description" in top else None)

    scales_raw = top.get("scales", {})
    if not isinstance(scales_raw, dict):
        raise where.error("expected tables [scales.<id>]", "scales")
    scales = {sid: _parse_scale(sid, raw, languages, where) for sid, raw in scales_raw.items()}

    facets_raw = top.get("facets", {})
    if not isinstance(facets_raw, dict):
        raise where.error("expected tables [facets.<id>]", "facets")
    facets: dict[str, Facet] = {}
    for fid, raw in facets_raw.items():
        w = where.at(f"facets.{fid}")
        check_id(fid, w)
        check_keys(raw, w, ("label",), ("prompt", "role"))
        if raw.get("role") is not None and raw["role"] not in FACET_ROLES:
            raise w.error(f"unknown role {raw['role']!r} (one of {', '.join(FACET_ROLES)})",
                          "role")
        facets[fid] = Facet(
            fid, _text(raw["label"], languages, w, "label"),
            _text(raw["prompt"], languages, w, "prompt") if "prompt" in raw else None,
            raw.get("role"))

    constructs: list[Construct] = []
    for n, raw in enumerate(_array(top["constructs"], where, "constructs")):
        w = where.at(_entry("constructs", n, raw))
        check_keys(raw, w, ("id", "name"), ("description",))
        cid = check_id(raw["id"], w)
        w = where.at(f"constructs[{n}] '{cid}'")
        constructs.append(Construct(
            cid, _text(raw["name"], languages, w, "name"),
            _text(raw["description"], languages, w, "description")
            if "description" in raw else None))
    _unique([c.id for c in constructs], where, "construct")
    construct_ids = {c.id for c in constructs}

    items: list[Item] = []
    for n, raw in enumerate(_array(top["items"], where, "items")):
        w = where.at(_entry("items", n, raw))
        check_keys(raw, w, ("id", "construct", "scale", "text"),
                    ("facets", "reverse", "required", "not_applicable", "role"))
        item_id = check_id(raw["id"], w)
        w = where.at(f"items[{n}] '{item_id}'")
        if raw["construct"] not in construct_ids:
            raise w.error(f"unknown construct '{raw['construct']}'", "construct")
        if raw["scale"] not in scales:
            raise w.error(f"unknown scale '{raw['scale']}'", "scale")
        item_facets = raw.get("facets", [])
        if not isinstance(item_facets, list) or not all(isinstance(f, str) for f in item_facets):
            raise w.error("expected a list of facet ids", "facets")
        for f in item_facets:
            if f not in facets:
                raise w.error(f"unknown facet '{f}'", "facets")
        if len(set(item_facets)) != len(item_facets):
            raise w.error("a facet is listed twice", "facets")
        role = raw.get("role")
        if role is not None and role not in ITEM_ROLES:
            raise w.error(f"unknown role {role!r} (one of {', '.join(ITEM_ROLES)})", "role")
        if role == "nps" and item_facets:
            raise w.error("an NPS item is asked once: it cannot have facets", "role")
        items.append(Item(
            id=item_id, construct=raw["construct"], scale=raw["scale"],
            text=_text(raw["text"], languages, w, "text"), facets=tuple(item_facets),
            reverse=_check_bool(raw.get("reverse", False), w, "reverse"),
            required=_check_bool(raw.get("required", True), w, "required"),
            not_applicable=_check_bool(
                raw.get("not_applicable", scales[raw["scale"]].not_applicable), w,
                "not_applicable"),
            role=role))
    if not items:
        raise where.error("an instrument needs at least one item", "items")

    allocations: list[Allocation] = []
    for n, raw in enumerate(_array(top.get("allocations", []), where, "allocations")):
        w = where.at(_entry("allocations", n, raw))
        check_keys(raw, w, ("id", "total", "text"), ("constructs",))
        aid = check_id(raw["id"], w)
        w = where.at(f"allocations[{n}] '{aid}'")
        total = _check_int(raw["total"], w, "total")
        if total <= 0:
            raise w.error("must be positive", "total")
        over = raw.get("constructs", [c.id for c in constructs])
        if not isinstance(over, list) or len(over) < 2:
            raise w.error("expected a list of at least two construct ids", "constructs")
        for c in over:
            if c not in construct_ids:
                raise w.error(f"unknown construct '{c}'", "constructs")
        allocations.append(Allocation(aid, total, _text(raw["text"], languages, w, "text"),
                                      tuple(over)))

    open_questions: list[OpenQuestion] = []
    for n, raw in enumerate(_array(top.get("open", []), where, "open")):
        w = where.at(_entry("open", n, raw))
        check_keys(raw, w, ("id", "text"), ("required",))
        oid = check_id(raw["id"], w)
        w = where.at(f"open[{n}] '{oid}'")
        open_questions.append(OpenQuestion(
            oid, _text(raw["text"], languages, w, "text"),
            _check_bool(raw.get("required", False), w, "required")))

    answer_ids = [i.id for i in items] + [a.id for a in allocations] + [
        o.id for o in open_questions]
    _unique(answer_ids, where, "answer")
    for answer_id in answer_ids:
        if answer_id in RESERVED_IDS:
            raise where.error(f"answer id '{answer_id}' is reserved for a metadata column of "
                              f"the responses file ({', '.join(sorted(RESERVED_IDS))})")

    model = None
    if "model" in top:
        w = where.at("model")
        raw = check_keys(top["model"], w, ("paths",), ("target",))
        if not isinstance(raw["paths"], list) or not raw["paths"]:
            raise w.error("expected a non-empty list of \"A -> B\" strings", "paths")
        paths: list[tuple[str, str]] = []
        for p in raw["paths"]:
            m = re.fullmatch(r"\s*(\S+)\s*->\s*(\S+)\s*", p) if isinstance(p, str) else None
            if not m:
                raise w.error(f"{p!r} is not of the form \"A -> B\"", "paths")
            for end in m.groups():
                if end not in construct_ids:
                    raise w.error(f"unknown construct '{end}' in {p!r}", "paths")
            if m.group(1) == m.group(2):
                raise w.error(f"a construct cannot point to itself: {p!r}", "paths")
            paths.append((m.group(1), m.group(2)))
        if len(set(paths)) != len(paths):
            raise w.error("a path is listed twice", "paths")
        _check_acyclic(paths, w)
        target = raw.get("target")
        if target is not None and not any(target == b for _, b in paths):
            raise w.error(f"target {target!r} is not a construct the paths lead to "
                          f"(it must be an endogenous construct of the model)", "target")
        model = Model(tuple(paths), target)

    return Instrument(
        id=iid, version=version, languages=languages, title=title,
        scales=MappingProxyType(scales), facets=MappingProxyType(facets),
        constructs=tuple(constructs), items=tuple(items), allocations=tuple(allocations),
        open=tuple(open_questions), model=model, description=description, source=source)


def _entry(kind: str, n: int, raw: Any) -> str:
    """``items[3] 'sq04'``: the position, and the id when there is one to name."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind}[{n}] '{rid}'" if isinstance(rid, str) else f"{kind}[{n}]"


def _array(value: Any, where: Where, fld: str) -> list[Any]:
    if not isinstance(value, list):
        raise where.error("expected an array of tables ([[...]])", fld)
    return value


def _check_acyclic(paths: list[tuple[str, str]], where: Where) -> None:
    graph: dict[str, set[str]] = {}
    for a, b in paths:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise where.error(f"the paths form a cycle through '{nxt}'", "paths")
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in list(graph):
        if node not in state:
            visit(node)


def loads_instrument(text: str, source: str = "<string>") -> Instrument:
    """Parse and validate instrument TOML text."""
    return parse_instrument(parse_toml(text, source, InstrumentError), source)


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate one instrument file."""
    return loads_instrument(read_text(path, InstrumentError), str(path))


# --------------------------------------------------------------------------- questionnaire


@dataclass(frozen=True)
class Questionnaire:
    """Instruments asked in order, each a section; answer ids are unique across them."""

    instruments: tuple[Instrument, ...]

    def __post_init__(self) -> None:
        if not self.instruments:
            raise InstrumentError("a questionnaire needs at least one instrument")
        seen: dict[str, str] = {}
        for inst in self.instruments:
            ids = [i.id for i in inst.items] + [a.id for a in inst.allocations] + [
                o.id for o in inst.open]
            for answer_id in ids:
                if answer_id in seen:
                    raise InstrumentError(
                        f"{inst.source}: answer id '{answer_id}' is also used by instrument "
                        f"'{seen[answer_id]}'; answer ids must be unique across a questionnaire")
                seen[answer_id] = inst.id

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        return tuple(c for inst in self.instruments for c in inst.numeric_columns)

    @property
    def text_columns(self) -> tuple[str, ...]:
        return tuple(c for inst in self.instruments for c in inst.text_columns)

    @property
    def not_applicable_columns(self) -> tuple[str, ...]:
        """Answer columns whose item offers "not applicable" instead of a point."""
        return tuple(c for inst in self.instruments for item in inst.items
                     if item.not_applicable for c in item.columns)

    def column_range(self, column: str) -> tuple[int, int]:
        for inst in self.instruments:
            ranges = inst._ranges
            if column in ranges:
                return ranges[column]
        raise KeyError(column)

    def allocation_of(self, column: str) -> Allocation | None:
        for inst in self.instruments:
            for allocation in inst.allocations:
                if column in allocation.columns:
                    return allocation
        return None

    @property
    def allocations(self) -> tuple[Allocation, ...]:
        return tuple(a for inst in self.instruments for a in inst.allocations)

    def items_with_role(self, role: str) -> list[tuple[Instrument, Item]]:
        """Items declared with ``role`` (e.g. ``"nps"``), in questionnaire order."""
        return [(inst, item) for inst in self.instruments for item in inst.items
                if item.role == role]

    def get(self, instrument_id: str) -> Instrument | None:
        for inst in self.instruments:
            if inst.id == instrument_id:
                return inst
        return None
