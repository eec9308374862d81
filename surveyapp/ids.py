"""Database ids read from a URL or a query string, checked before they reach the database.

An id above what the database's integer column holds (2³¹ − 1 on PostgreSQL, 2⁶³ − 1 on
SQLite) would make the query itself fail, so it is answered as what it is — an address
with nothing at it (404) — without asking the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, request

MAX_ID = 2**31 - 1  # the narrowest integer primary key of the databases supported


def is_valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def query_id(name: str, source: Mapping[str, Any] | None = None) -> int | None:
    """The id in query argument (or form field) ``name``: None when absent or not a whole
    number (as ``request.args.get(name, type=int)`` has it), 404 when it is a number no
    row can have (zero, negative, or beyond :data:`MAX_ID`)."""
    raw = (request.args if source is None else source).get(name)
    if raw is None:
        return None
    text = str(raw).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not digits.isascii():
        return None
    if len(digits) > 20:  # far beyond any id: no need to build the number
        abort(404)
    value = int(text)
    if not is_valid_id(value):
        abort(404)
    return value


def check_path_ids(view_args: Mapping[str, Any] | None) -> None:
    """404 for a whole number in the path (``<int:…>``) that no row can have."""
    for value in (view_args or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and not is_valid_id(value):
            abort(404)
