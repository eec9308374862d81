"""A rating question's fieldset, drawn from parts prepared once per question.

A survey page holds a few hundred radio inputs. Escaping every attribute of every input on
every request (as WTForms' widgets or a template loop do) costs more than the rest of the
request; the markup is the same for every respondent of a wave, so it is built once per
question (the survey's layout is per language, so its texts are too) and a request only
marks the chosen point and adds the errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .layout import Question


@dataclass(frozen=True)
class RatingParts:
    open_ok: str  # the fieldset up to its points, without an error
    open_error: str  # the same, marked as needing attention
    points: tuple[tuple[str, str, str], ...]  # (value, input up to `checked`, the rest)
    not_applicable: tuple[str, str] | None  # the same for "not applicable"
    close: str  # after the points, up to where errors go


def _parts(question: Question, name: str, not_applicable_label: str) -> RatingParts:
    cached = question.html_parts.get(name)
    if isinstance(cached, RatingParts):
        return cached
    field = escape(name)
    lo, hi = (escape(end) for end in question.scale_ends or ("", ""))
    scale_class = "scale" + (" many" if len(question.points) > 7 else "") + (
        " wide" if question.wide_points else "")
    legend = ("… " if question.continues_prompt else "") + escape(question.text)

    def opening(extra: str) -> str:
        return (f'<fieldset class="question rating{extra}" id="q-{field}">'
                f"<legend>{legend}</legend><div class=\"{scale_class}\">"
                f'<div class="ends" aria-hidden="true"><span>{lo}</span><span>{hi}</span>'
                f'</div><div class="points">')

    def option(value: str, text: str, wrapper: str, described: bool) -> tuple[str, str]:
        input_id = f"{field}-{escape(value)}"
        head = (f'<span class="{wrapper}"><input type="radio" id="{input_id}" name="{field}"'
                f' value="{escape(value)}"' + (f' aria-describedby="{field}-ends"'
                                               if described else ""))
        return head, f'><label for="{input_id}">{escape(text)}</label></span>'

    points = tuple((p.value, *option(p.value, p.text, "point", True))
                   for p in question.points)
    na = option("na", not_applicable_label, "point na", False) \
        if question.not_applicable else None
    parts = RatingParts(
        opening(""), opening(" has-error"), points, na,
        f'</div><span class="visually-hidden" id="{field}-ends">{lo} – {hi}</span>')
    question.html_parts[name] = parts
    return parts


def rating_fieldset(question: Question, name: str, chosen: str | None,
                    errors: Sequence[str] | None, not_applicable_label: str) -> Markup:
    """The question's fieldset for field ``name``: legend, scale ends, the points with
    ``chosen`` checked, "not applicable" where allowed, and the errors."""
    parts = _parts(question, name, not_applicable_label)
    html = [parts.open_error if errors else parts.open_ok]
    html.extend(head + (" checked" if value == chosen else "") + tail
                for value, head, tail in parts.points)
    html.append("</div>")
    if parts.not_applicable is not None:
        head, tail = parts.not_applicable
        html.append(head + (" checked" if chosen == "na" else "") + tail)
    html.append(parts.close)
    html.extend(f'<p class="field-error">{escape(error)}</p>' for error in errors or ())
    html.append("</fieldset>")
    return Markup("".join(html))
