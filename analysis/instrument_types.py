"""The parts of a questionnaire as frozen dataclasses: scales, facets, constructs, items,
allocations, open questions, the structural model, an instrument and a questionnaire of
instruments asked in order.

They are built by :func:`analysis.instrument.load_instrument` (which validates the file);
the names are imported from :mod:`analysis.instrument`, where the loader is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
