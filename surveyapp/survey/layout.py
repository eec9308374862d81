"""A questionnaire cut into pages: one section per page, each with its form class.

An instrument whose items are asked more than once (SERVQUAL's expectation and perception)
gives one page per facet, headed by that facet's prompt, so a respondent rates all
expectations before any perception, as the method asks. Single-answer items share one page;
an instrument's allocations and open questions close its last page. The layout is the same
for every respondent of a wave, so it is built once per questionnaire and language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analysis import Instrument, Questionnaire
from analysis.instrument import Item

if TYPE_CHECKING:
    from .forms import PageForm

SECONDS_PER_ANSWER = 8  # for the time estimate shown to respondents


@dataclass(frozen=True)
class Point:
    value: str
    text: str  # shown on the button: the point, or its short label ("30%")


@dataclass
class Question:
    kind: str  # "rating", "allocation" or "open"
    id: str
    text: str
    fields: list[tuple[str, str]]  # (label of this part, field name)
    required: bool = True
    points: tuple[Point, ...] = ()
    scale_ends: tuple[str, str] | None = None
    not_applicable: bool = False
    total: int | None = None
    continues_prompt: bool = False  # the text completes the page's prompt ("… has …")
    # the fieldset's HTML parts by field name, prepared on first use (see widgets.py)
    html_parts: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def wide_points(self) -> bool:
        """Many points with labels longer than a number ("100%"): a phone needs them small."""
        return len(self.points) > 7 and any(len(p.text) > 2 for p in self.points)


@dataclass
class Group:
    title: str | None
    description: str | None
    questions: list[Question] = field(default_factory=list)


@dataclass
class Page:
    title: str  # the instrument's
    subtitle: str | None  # the facet's label, on a facet page
    intro: str | None  # the instrument's description, on its first page
    prompt: str | None  # the facet's prompt, which each statement on the page completes
    groups: list[Group]
    form_class: type[PageForm]

    @property
    def field_names(self) -> list[str]:
        return [name for g in self.groups for q in g.questions for _label, name in q.fields]


@dataclass
class Survey:
    pages: list[Page]
    questionnaire: Questionnaire

    @property
    def minutes(self) -> int:
        """A rough time to answer, so the invitation does not promise 'a few minutes' for 80."""
        answers = sum(len(page.field_names) for page in self.pages)
        return max(1, round(answers * SECONDS_PER_ANSWER / 60))


def _columns_asked(item: Item, facet: str | None) -> tuple[str, ...]:
    """The item's answer columns on the page of ``facet`` (None: the single-answer page)."""
    if facet is None:
        return item.columns if not item.facets else ()
    return (f"{item.id}.{facet}",) if facet in item.facets else ()


def _instrument_pages(instrument: Instrument, lang: str) -> list[Page]:
    from .forms import FIELD_TYPES, page_form_class

    title = instrument.title.get(lang)
    description = instrument.description.get(lang) if instrument.description else None
    facet_order = [f for f in instrument.facets if any(f in i.facets for i in instrument.items)]
    # (subtitle, prompt, the facet the page asks: None for the single-answer items)
    plans: list[tuple[str | None, str | None, str | None]] = []
    if any(not item.facets for item in instrument.items):
        plans.append((None, None, None))
    for facet_id in facet_order:
        facet = instrument.facets[facet_id]
        plans.append((facet.label.get(lang), facet.prompt.get(lang) if facet.prompt else None,
                      facet_id))
    pages: list[Page] = []
    for n, (subtitle, prompt, facet_asked) in enumerate(plans):
        fields: dict[str, Any] = {}
        groups: list[Group] = []
        for construct in instrument.constructs:
            group = Group(construct.name.get(lang),
                          construct.description.get(lang) if construct.description else None)
            for item in instrument.items_of(construct.id):
                columns = _columns_asked(item, facet_asked)
                if columns:
                    item_fields, question = FIELD_TYPES["rating"](item, instrument, lang,
                                                                  columns)
                    fields.update(item_fields)
                    group.questions.append(question)
            if group.questions:
                groups.append(group)
        allocations: tuple[Any, ...] = ()
        if n == len(plans) - 1:
            closing = Group(None, None)
            for allocation in instrument.allocations:
                more, question = FIELD_TYPES["allocation"](allocation, instrument, lang, ())
                fields.update(more)
                closing.questions.append(question)
            for open_question in instrument.open:
                more, question = FIELD_TYPES["open"](open_question, instrument, lang, ())
                fields.update(more)
                closing.questions.append(question)
            if closing.questions:
                groups.append(closing)
            allocations = instrument.allocations
        pages.append(Page(title, subtitle, description if n == 0 else None, prompt, groups,
                          page_form_class(fields, allocations)))
    return pages


def build_survey(questionnaire: Questionnaire, lang: str) -> Survey:
    pages: list[Page] = []
    for instrument in questionnaire.instruments:
        pages.extend(_instrument_pages(instrument, lang))
    return Survey(pages, questionnaire)


CACHE_SIZE = 64
_surveys: dict[tuple[tuple[str, ...], str], Survey] = {}


def survey_for(key: tuple[str, ...], lang: str,
               load: Callable[[], Questionnaire]) -> Survey:
    """The survey of a questionnaire identified by ``key`` (its instrument versions'
    digests: the same key is the same questionnaire), built with ``load`` on first use."""
    survey = _surveys.get((key, lang))
    if survey is None:
        if len(_surveys) >= CACHE_SIZE:
            _surveys.clear()
        survey = _surveys[(key, lang)] = build_survey(load(), lang)
    return survey
