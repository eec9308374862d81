"""Questionnaire definitions: load and validate instrument files (TOML) into frozen dataclasses.

An instrument is data: scales, facets, constructs, items, allocations, open questions and an
optional structural model. The format is documented in ``instruments/README.md``. Every error
names the file, the entry and the field, and an unknown key is an error, never ignored.
The dataclasses themselves are in :mod:`analysis.instrument_types`; they are imported from
here, beside the loader that builds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .instrument_types import (
    FACET_ROLES,
    ITEM_ROLES,
    NOT_APPLICABLE,
    RESERVED_IDS,
    Allocation,
    Construct,
    Facet,
    Instrument,
    InstrumentError,
    Item,
    Model,
    OpenQuestion,
    Questionnaire,
    Scale,
    Text,
)
from .tomlfile import Where, check_id, check_keys, check_texts, parse_toml, read_text

__all__ = [
    "FACET_ROLES", "ITEM_ROLES", "NOT_APPLICABLE", "RESERVED_IDS", "Allocation", "Construct",
    "Facet", "Instrument", "InstrumentError", "Item", "Model", "OpenQuestion",
    "Questionnaire", "Scale", "Text", "load_instrument", "loads_instrument",
    "parse_instrument",
]


# --------------------------------------------------------------------------- field checks


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


def _entry(kind: str, n: int, raw: Any) -> str:
    """``items[3] 'sq04'``: the position, and the id when there is one to name."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind}[{n}] '{rid}'" if isinstance(rid, str) else f"{kind}[{n}]"


def _array(value: Any, where: Where, fld: str) -> list[Any]:
    if not isinstance(value, list):
        raise where.error("expected an array of tables ([[...]])", fld)
    return value


def _table(value: Any, where: Where, fld: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(f"expected tables [{fld}.<id>]", fld)
    return value


# --------------------------------------------------------------------------- sections


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


def _parse_facet(fid: str, raw: Any, languages: tuple[str, ...], where: Where) -> Facet:
    w = where.at(f"facets.{fid}")
    check_id(fid, w)
    check_keys(raw, w, ("label",), ("prompt", "role"))
    if raw.get("role") is not None and raw["role"] not in FACET_ROLES:
        raise w.error(f"unknown role {raw['role']!r} (one of {', '.join(FACET_ROLES)})",
                      "role")
    return Facet(
        fid, _text(raw["label"], languages, w, "label"),
        _text(raw["prompt"], languages, w, "prompt") if "prompt" in raw else None,
        raw.get("role"))


def _parse_constructs(value: Any, languages: tuple[str, ...], where: Where
                      ) -> list[Construct]:
    constructs: list[Construct] = []
    for n, raw in enumerate(_array(value, where, "constructs")):
        w = where.at(_entry("constructs", n, raw))
        check_keys(raw, w, ("id", "name"), ("description",))
        cid = check_id(raw["id"], w)
        w = where.at(f"constructs[{n}] '{cid}'")
        constructs.append(Construct(
            cid, _text(raw["name"], languages, w, "name"),
            _text(raw["description"], languages, w, "description")
            if "description" in raw else None))
    _unique([c.id for c in constructs], where, "construct")
    return constructs


def _parse_items(value: Any, languages: tuple[str, ...], construct_ids: set[str],
                 scales: Mapping[str, Scale], facets: Mapping[str, Facet], where: Where
                 ) -> list[Item]:
    items: list[Item] = []
    for n, raw in enumerate(_array(value, where, "items")):
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
    return items


def _parse_allocations(value: Any, languages: tuple[str, ...],
                       constructs: list[Construct], where: Where) -> list[Allocation]:
    construct_ids = {c.id for c in constructs}
    allocations: list[Allocation] = []
    for n, raw in enumerate(_array(value, where, "allocations")):
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
    return allocations


def _parse_open(value: Any, languages: tuple[str, ...], where: Where) -> list[OpenQuestion]:
    open_questions: list[OpenQuestion] = []
    for n, raw in enumerate(_array(value, where, "open")):
        w = where.at(_entry("open", n, raw))
        check_keys(raw, w, ("id", "text"), ("required",))
        oid = check_id(raw["id"], w)
        w = where.at(f"open[{n}] '{oid}'")
        open_questions.append(OpenQuestion(
            oid, _text(raw["text"], languages, w, "text"),
            _check_bool(raw.get("required", False), w, "required")))
    return open_questions


def _parse_model(value: Any, construct_ids: set[str], where: Where) -> Model:
    w = where.at("model")
    raw = check_keys(value, w, ("paths",), ("target",))
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
    return Model(tuple(paths), target)


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


# --------------------------------------------------------------------------- the instrument


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
    scales = {sid: _parse_scale(sid, raw, languages, where)
              for sid, raw in _table(top.get("scales", {}), where, "scales").items()}
    facets = {fid: _parse_facet(fid, raw, languages, where)
              for fid, raw in _table(top.get("facets", {}), where, "facets").items()}
    constructs = _parse_constructs(top["constructs"], languages, where)
    construct_ids = {c.id for c in constructs}
    items = _parse_items(top["items"], languages, construct_ids, scales, facets, where)
    allocations = _parse_allocations(top.get("allocations", []), languages, constructs, where)
    open_questions = _parse_open(top.get("open", []), languages, where)

    answer_ids = [i.id for i in items] + [a.id for a in allocations] + [
        o.id for o in open_questions]
    _unique(answer_ids, where, "answer")
    for answer_id in answer_ids:
        if answer_id in RESERVED_IDS:
            raise where.error(f"answer id '{answer_id}' is reserved for a metadata column of "
                              f"the responses file ({', '.join(sorted(RESERVED_IDS))})")
    model = _parse_model(top["model"], construct_ids, where) if "model" in top else None

    return Instrument(
        id=iid, version=version, languages=languages, title=title,
        scales=MappingProxyType(scales), facets=MappingProxyType(facets),
        constructs=tuple(constructs), items=tuple(items), allocations=tuple(allocations),
        open=tuple(open_questions), model=model, description=description, source=source)


def loads_instrument(text: str, source: str = "<string>") -> Instrument:
    """Parse and validate instrument TOML text."""
    return parse_instrument(parse_toml(text, source, InstrumentError), source)


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate one instrument file."""
    return loads_instrument(read_text(path, InstrumentError), str(path))
