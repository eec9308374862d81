"""The radio inputs of a rating scale, drawn from parts prepared once per question.

A survey page holds a few hundred radio inputs. Escaping every attribute of every input on
every request (as WTForms' widgets or a template loop do) costs more than the rest of the
request; the parts are the same for every respondent, so each input's HTML is built once
and a request only marks the chosen point.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .layout import Question


def _parts(question: Question, name: str) -> tuple[tuple[str, str, str], ...]:
    """(value, the input up to where ``checked`` goes, the rest with its label) per point."""
    cached = question.html_parts.get(name)
    if cached is None:
        field = escape(name)
        parts = []
        for point in question.points:
            input_id = f"{field}-{escape(point.value)}"
            parts.append((point.value,
                          f'<span class="point"><input type="radio" id="{input_id}" '
                          f'name="{field}" value="{escape(point.value)}" '
                          f'aria-describedby="{field}-ends"',
                          f'><label for="{input_id}">{escape(point.text)}</label></span>'))
        cached = question.html_parts[name] = tuple(parts)
    return cached


def scale_inputs(question: Question, name: str, chosen: str | None) -> Markup:
    """The scale's radio inputs and labels for field ``name``, ``chosen`` checked."""
    return Markup("".join(head + (" checked" if value == chosen else "") + tail
                          for value, head, tail in _parts(question, name)))
