"""Import problems in the page's language.

The checks (:mod:`analysis.frames` and the import planners) word each problem in English,
as the command line shows it. The import page reads each message against the shapes below
and says it in the page's language; a message of no known shape is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

# what a number column means, said after a value it may not hold (analysis.frames); a
# literal "%" goes in as a value, so that every catalogue sees the same placeholders
_NOTES: dict[str, LazyString] = {
    "revenue cannot be negative": _l("revenue cannot be negative"),
    "margin is the gross margin as a share: write 25 % as 0.25":
        _l("margin is the gross margin as a share: write 25 %(percent)s as 0.25", percent="%"),
    "cost to serve cannot be negative": _l("cost to serve cannot be negative"),
    "the wallet (the account's total spend in our category) cannot be negative":
        _l("the wallet (the account's total spend in our category) cannot be negative"),
    "previous revenue cannot be negative": _l("previous revenue cannot be negative"),
    "referral value cannot be negative": _l("referral value cannot be negative"),
    "on-time delivery is a share: write 95 % as 0.95":
        _l("on-time delivery is a share: write 95 %(percent)s as 0.95", percent="%"),
    "defects per million cannot be negative": _l("defects per million cannot be negative"),
    "complaints is a count of complaints in the period":
        _l("complaints is a count of complaints in the period"),
}
# the hint after "'x' is not a number"
_NUMBER_HINTS: dict[str, LazyString] = {
    "write a share as a decimal: 25 % is 0.25":
        _l("write a share as a decimal: 25 %(percent)s is 0.25", percent="%"),
    "use a point for decimals and no thousands separators: 1234.5":
        _l("use a point for decimals and no thousands separators: 1234.5"),
    "write the number alone, without currency signs or units":
        _l("write the number alone, without currency signs or units"),
}
_SCALE_NOTE = re.compile(r"the scale of '(?P<column>.+)' in (?P<file>\S+)")


def _note(text: str | None) -> str:
    if not text:
        return ""
    if text in _NOTES:
        return "; " + str(_NOTES[text])
    scale = _SCALE_NOTE.fullmatch(text)
    if scale:
        return "; " + str(_l("the scale of '%(column)s' in %(file)s", **scale.groupdict()))
    return "; " + text


def _hint(text: str | None) -> str:
    if not text:
        return ""
    return f" ({_NUMBER_HINTS[text]})" if text in _NUMBER_HINTS else f" ({text})"


Shape = tuple[re.Pattern[str], Callable[[dict[str, str]], str]]


def _said(template: LazyString) -> Callable[[dict[str, str]], str]:
    return lambda groups: str(template) % groups


_SHAPES: list[Shape] = [(re.compile(pattern), say) for pattern, say in (
    (r"unknown column \(the columns are (?P<columns>.+)\)",
     _said(_l("unknown column (the columns are %(columns)s)"))),
    (r"column appears more than once", _said(_l("column appears more than once"))),
    (r"required column is missing", _said(_l("required column is missing"))),
    (r"blank", _said(_l("blank"))),
    (r"blank \(a value is required\)", _said(_l("blank (a value is required)"))),
    (r"duplicate (?P<column>\w+) '(?P<value>.*)' \(first on row (?P<first>\d+)\)",
     _said(_l("duplicate %(column)s '%(value)s' (first on row %(first)s)"))),
    (r"contains a control character \(a line break or tab inside the cell\); remove it",
     _said(_l("contains a control character (a line break or tab inside the cell); remove "
              "it"))),
    (r"is (?P<n>\d+) characters long; at most (?P<limit>\d+)",
     _said(_l("is %(n)s characters long; at most %(limit)s"))),
    (r"'(?P<value>.*)' is not a number(?: \((?P<hint>.+)\))?",
     lambda g: str(_l("'%(value)s' is not a number", value=g["value"])) + _hint(g["hint"])),
    (r"'(?P<value>.*)' is not a finite number",
     _said(_l("'%(value)s' is not a finite number"))),
    (r"(?P<value>\S+) is negative(?:; (?P<note>.+))?",
     lambda g: str(_l("%(value)s is negative", value=g["value"])) + _note(g["note"])),
    (r"(?P<value>\S+) is outside \[(?P<low>[^,\]]+), (?P<high>[^\]]+)\](?:; (?P<note>.+))?",
     lambda g: str(_l("%(value)s is outside [%(low)s, %(high)s]", value=g["value"],
                      low=g["low"], high=g["high"])) + _note(g["note"])),
    (r"(?P<value>\S+) is not a whole number(?:; (?P<note>.+))?",
     lambda g: str(_l("%(value)s is not a whole number", value=g["value"])) + _note(g["note"])),
    (r"'(?P<value>.*)' is not one of (?P<types>[^()]+) \(or (?P<names>[^()]+)\)",
     _said(_l("'%(value)s' is not one of %(types)s (or %(names)s)"))),
    (r"'(?P<value>.*)' is not an email address \(the owner is the account manager's email, "
     r"as they log in\)",
     _said(_l("'%(value)s' is not an email address (the owner is the account manager's "
              "email, as they log in)"))),
    (r"'(?P<value>.*)' is not an email address", _said(_l("'%(value)s' is not an email address"))),
    (r"account '(?P<code>.*)' does not exist \(import it with the accounts file first\)",
     _said(_l("account '%(code)s' does not exist (import it with the accounts file first)"))),
    (r"'(?P<value>.*)' is not a buying role \(one of (?P<roles>.+)\)",
     _said(_l("'%(value)s' is not a buying role (one of %(roles)s)"))),
    (r"'(?P<value>.*)' is not a language of the survey \(one of (?P<languages>.+)\)",
     _said(_l("'%(value)s' is not a language of the survey (one of %(languages)s)"))),
    (r"account '(?P<code>.*)' belongs to another account manager; ask an administrator to "
     r"import it",
     _said(_l("account '%(code)s' belongs to another account manager; ask an administrator "
              "to import it"))),
    (r"contact '(?P<code>.*)' belongs to an account of another account manager; ask an "
     r"administrator to import it",
     _said(_l("contact '%(code)s' belongs to an account of another account manager; ask an "
              "administrator to import it"))),
    (r"a stage indicator the analysis computes itself \((?P<source>.*)\); it is not stored "
     r"from a file — remove the column",
     _said(_l("a stage indicator the analysis computes itself (%(source)s); it is not stored "
              "from a file — remove the column"))),
)]


def in_page_language(message: str) -> str:
    """``message`` (a problem as the checks word it) in the page's language."""
    for pattern, say in _SHAPES:
        found = pattern.fullmatch(message)
        if found:
            return say({k: v for k, v in found.groupdict().items()})
    return message
