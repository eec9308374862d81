"""Survey forms generated from instruments through a field-type registry.

Each kind of question (rating item, constant-sum allocation, open text) has a builder that
returns WTForms fields and the question's display data; a page's form class is assembled
from its questions, never written by hand per item. WTForms only validates: the template
draws the radio groups itself from the display data (``layout.Question``), because building
hundreds of radio inputs through WTForms' widgets costs more than the rest of a request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from analysis import Instrument
from analysis.instrument import NOT_APPLICABLE, Allocation, Item, OpenQuestion

from .layout import Point, Question

OPEN_TEXT_MAX = 4000
SHORT_LABEL = 5  # point labels this short (e.g. "30%") are shown on the buttons themselves

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text as typed, less control characters (tabs and line breaks stay)."""
    return CONTROL_CHARACTERS.sub("", text)


def field_name(column: str) -> str:
    """Answer column (``sq01.e``) → form field name (``sq01-e``)."""
    return column.replace(".", "-")


def column_of(name: str) -> str:
    return name.replace("-", ".")


def scale_answer(value: Any) -> int | str:
    """A posted rating: a scale point, or "not applicable" kept as its marker."""
    if value == NOT_APPLICABLE:
        return NOT_APPLICABLE
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


class ScaleField(RadioField):
    """A radio group whose answer is checked against a set prepared once per question,
    instead of walking (and coercing) every choice on every request."""

    def __init__(self, *args: Any, accepted: frozenset[int | str] = frozenset(),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepted = accepted

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            return
        if self.data not in self.accepted:
            raise ValidationError(self.gettext("Not a valid choice."))


Builder = Callable[[Any, Instrument, str, tuple[str, ...]], tuple[dict[str, Field], Question]]
FIELD_TYPES: dict[str, Builder] = {}


def field_type(kind: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        FIELD_TYPES[kind] = builder
        return builder
    return register


@field_type("rating")
def rating_fields(item: Item, instrument: Instrument, lang: str,
                  columns: tuple[str, ...]) -> tuple[dict[str, Field], Question]:
    """One radio group per answer column (a facet page asks one column of the item)."""
    scale = instrument.scales[item.scale]
    choices = [SelectChoice(str(p), str(p)) for p in scale.points]
    if item.not_applicable:
        choices.append(SelectChoice(NOT_APPLICABLE, NOT_APPLICABLE))
    validators = ([InputRequired(message=_l("Please choose an answer."))] if item.required
                  else [Optional()])
    accepted = frozenset(scale_answer(c.value) for c in choices)
    fields = {field_name(col): ScaleField(item.id, choices=choices, coerce=scale_answer,
                                          validators=validators, accepted=accepted)
              for col in columns}
    labels = scale.point_labels(lang)
    ends = (labels.get(scale.min, str(scale.min)), labels.get(scale.max, str(scale.max)))
    every_point = len(labels) == len(scale.points)
    short = {p: t for p, t in labels.items() if len(t) <= SHORT_LABEL} if every_point else {}
    if len(short) != len(scale.points):
        short = {}
    points = tuple(Point(str(p), short.get(p, str(p))) for p in scale.points)
    continues = any(instrument.facets[f].prompt is not None for f in item.facets)
    return fields, Question(
        "rating", item.id, item.text.get(lang),
        [(_facet_label(instrument, col, lang), field_name(col)) for col in columns],
        required=item.required, points=points, scale_ends=ends,
        not_applicable=item.not_applicable, continues_prompt=continues)


def _facet_label(instrument: Instrument, column: str, lang: str) -> str:
    if "." not in column:
        return ""
    return instrument.facets[column.split(".", 1)[1]].label.get(lang)


@field_type("allocation")
def allocation_fields(allocation: Allocation, instrument: Instrument, lang: str,
                      columns: tuple[str, ...]) -> tuple[dict[str, Field], Question]:
    fields: dict[str, Field] = {}
    parts = []
    for construct_id, col in zip(allocation.constructs, allocation.columns, strict=True):
        name = field_name(col)
        fields[name] = IntegerField(construct_id, validators=[
            InputRequired(message=_l("Enter a number (0 is allowed).")),
            NumberRange(min=0, max=allocation.total,
                        message=_l("Enter a whole number from 0 to %(max)s.",
                                   max=allocation.total))])
        parts.append((instrument.construct(construct_id).name.get(lang), name))
    return fields, Question("allocation", allocation.id, allocation.text.get(lang), parts,
                            required=True, total=allocation.total)


@field_type("open")
def open_fields(question: OpenQuestion, instrument: Instrument, lang: str,
                columns: tuple[str, ...]) -> tuple[dict[str, Field], Question]:
    name = field_name(question.id)
    validators = [InputRequired()] if question.required else [Optional()]
    fields = {name: TextAreaField(question.id, validators=[
        *validators, Length(max=OPEN_TEXT_MAX, message=_l(
            "Please keep this to %(max)d characters.", max=OPEN_TEXT_MAX))])}
    return fields, Question("open", question.id, question.text.get(lang),
                            [(question.text.get(lang), name)], required=question.required)


class PageForm(FlaskForm):
    """The questions of one survey page; validation only (the template draws them)."""

    allocations: tuple[Allocation, ...] = ()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.form_errors_by_question: dict[str, str] = {}
        for allocation in self.allocations:
            values = [self[field_name(c)].data for c in allocation.columns]
            if all(isinstance(v, int) for v in values) and sum(values) != allocation.total:
                self.form_errors_by_question[allocation.id] = _(
                    "The points add up to %(sum)s; they must add up to %(total)s.",
                    sum=sum(values), total=allocation.total)
                valid = False
        return valid

    @property
    def stale_token(self) -> bool:
        csrf = self._fields.get("csrf_token")
        return bool(csrf is not None and csrf.errors)

    def answers(self) -> dict[str, object]:
        """The valid answers given, keyed by answer column (the wide file format's names):
        what a page keeps even when other answers on it still need attention. Free text
        loses control characters (a pasted NUL or soft line break breaks databases and
        Excel)."""
        kept: dict[str, object] = {}
        for name, f in self._fields.items():
            if name == "csrf_token" or f.errors or f.data is None:
                continue
            value = clean_text(f.data).strip() if isinstance(f, TextAreaField) else f.data
            if value != "":
                kept[column_of(name)] = value
        return kept

    def field_errors(self) -> dict[str, list[str]]:
        return {name: [str(e) for e in f.errors] for name, f in self._fields.items()
                if f.errors and name != "csrf_token"}


def page_form_class(fields: Mapping[str, Field],
                    allocations: tuple[Allocation, ...]) -> type[PageForm]:
    return type("SurveyPageForm", (PageForm,), {**fields, "allocations": allocations})
