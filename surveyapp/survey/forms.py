"""Survey forms generated from instruments through a field-type registry.

Each kind of question (rating item, constant-sum allocation, open text) has a builder that
returns WTForms fields; the form class is assembled from the questionnaire, never written
by hand per item. ``layout`` describes sections → groups → questions for the template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from analysis import Instrument, Questionnaire
from analysis.instrument import Allocation, Item, OpenQuestion

OPEN_TEXT_MAX = 4000
SHORT_LABEL = 5  # point labels this short (e.g. "30%") are shown on the buttons themselves
SECONDS_PER_ANSWER = 8  # for the time estimate shown to respondents


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text as typed, less control characters (tabs and line breaks stay)."""
    return CONTROL_CHARACTERS.sub("", text)


def field_name(column: str) -> str:
    """Answer column (``sq01.e``) → form field name (``sq01-e``)."""
    return column.replace(".", "-")


@dataclass
class Question:
    kind: str
    id: str
    text: str
    fields: list[tuple[str, str]]  # (label shown for this part, field name)
    scale_ends: tuple[str, str] | None = None
    total: int | None = None
    point_texts: dict[int, str] = field(default_factory=dict)  # short labels shown on buttons
    continues_prompt: bool = False  # the text completes the facets' prompt ("… has …")


@dataclass
class Group:
    title: str | None
    description: str | None
    questions: list[Question] = field(default_factory=list)


@dataclass
class Section:
    title: str
    description: str | None
    groups: list[Group] = field(default_factory=list)


Builder = Callable[[Any, Instrument, str], tuple[dict[str, Field], Question]]
FIELD_TYPES: dict[str, Builder] = {}


def field_type(kind: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        FIELD_TYPES[kind] = builder
        return builder
    return register


@field_type("rating")
def rating_fields(item: Item, instrument: Instrument, lang: str) -> tuple[dict[str, Field],
                                                                           Question]:
    scale = instrument.scales[item.scale]
    choices = [SelectChoice(str(p), str(p)) for p in scale.points]
    required = [InputRequired(message=_l("Please choose an answer."))] if item.required else [
        Optional()]
    fields: dict[str, Field] = {}
    parts: list[tuple[str, str]] = []
    for col in item.columns:
        name = field_name(col)
        facet = col.split(".", 1)[1] if "." in col else None
        label = _facet_label(instrument, facet, lang) if facet else item.text.get(lang)
        fields[name] = RadioField(label, choices=choices, coerce=int, validators=required)
        parts.append((label, name))
    labels = scale.point_labels(lang)
    ends = (labels.get(scale.min, str(scale.min)), labels.get(scale.max, str(scale.max)))
    every_point = len(labels) == len(scale.points)
    short = {p: t for p, t in labels.items() if len(t) <= SHORT_LABEL} if every_point else {}
    return fields, Question(
        "rating", item.id, item.text.get(lang), parts, scale_ends=ends,
        point_texts=short if len(short) == len(scale.points) else {},
        continues_prompt=any(instrument.facets[f].prompt is not None for f in item.facets))


def _facet_label(instrument: Instrument, facet_id: str, lang: str) -> str:
    facet = instrument.facets[facet_id]
    if facet.prompt is None:
        return facet.label.get(lang)
    return f"{facet.label.get(lang)} · {facet.prompt.get(lang)}"


@field_type("allocation")
def allocation_fields(allocation: Allocation, instrument: Instrument,
                      lang: str) -> tuple[dict[str, Field], Question]:
    fields: dict[str, Field] = {}
    parts = []
    for construct_id, col in zip(allocation.constructs, allocation.columns, strict=True):
        name = field_name(col)
        label = instrument.construct(construct_id).name.get(lang)
        fields[name] = IntegerField(label, validators=[
            InputRequired(message=_l("Enter a number (0 is allowed).")),
            NumberRange(min=0, max=allocation.total,
                        message=_l("Enter a whole number from 0 to %(max)s.",
                                   max=allocation.total))])
        parts.append((label, name))
    return fields, Question("allocation", allocation.id, allocation.text.get(lang), parts,
                           total=allocation.total)


@field_type("open")
def open_fields(question: OpenQuestion, instrument: Instrument,
                lang: str) -> tuple[dict[str, Field], Question]:
    name = field_name(question.id)
    validators = [InputRequired()] if question.required else [Optional()]
    fields = {name: TextAreaField(question.text.get(lang), validators=[
        *validators, Length(max=OPEN_TEXT_MAX)])}
    return fields, Question("open", question.id, question.text.get(lang),
                            [(question.text.get(lang), name)])


class SurveyFormBase(FlaskForm):
    allocations: list[Allocation] = []

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

    def answers(self) -> dict[str, object]:
        """Answers keyed by answer column (the wide file format's names); free text without
        control characters (a pasted NUL or soft line break breaks databases and Excel)."""
        return {name.replace("-", "."): clean_text(f.data) if isinstance(f.data, str)
                else f.data for name, f in self._fields.items() if name != "csrf_token"}


def estimated_minutes(sections: list[Section]) -> int:
    """A rough time to answer, so the invitation does not promise 'a few minutes' for 80."""
    answers = sum(len(q.fields) for s in sections for g in s.groups for q in g.questions)
    return max(1, round(answers * SECONDS_PER_ANSWER / 60))


def build_form(questionnaire: Questionnaire, lang: str) -> tuple[type[SurveyFormBase],
                                                                  list[Section]]:
    """A form class for the questionnaire and the layout the template walks through."""
    attrs: dict[str, Any] = {"allocations": list(questionnaire.allocations)}
    sections: list[Section] = []
    for instrument in questionnaire.instruments:
        section = Section(instrument.title.get(lang),
                          instrument.description.get(lang) if instrument.description else None)
        for construct in instrument.constructs:
            group = Group(construct.name.get(lang),
                          construct.description.get(lang) if construct.description else None)
            for item in instrument.items_of(construct.id):
                fields, question = FIELD_TYPES["rating"](item, instrument, lang)
                attrs.update(fields)
                group.questions.append(question)
            if group.questions:
                section.groups.append(group)
        closing = Group(None, None)
        for allocation in instrument.allocations:
            fields, question = FIELD_TYPES["allocation"](allocation, instrument, lang)
            attrs.update(fields)
            closing.questions.append(question)
        for open_question in instrument.open:
            fields, question = FIELD_TYPES["open"](open_question, instrument, lang)
            attrs.update(fields)
            closing.questions.append(question)
        if closing.questions:
            section.groups.append(closing)
        sections.append(section)
    return type("SurveyForm", (SurveyFormBase,), attrs), sections
