"""Formatting filters and globals for the templates (display only, no arithmetic on data)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request, url_for
from werkzeug.routing import BuildError

from . import labels


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def format_number(value: Any, digits: int = 2) -> str:
    number = _number(value)
    return "–" if number is None else f"{number:.{digits}f}"


def format_count(value: Any) -> str:
    """A number of respondents: missing means none answered."""
    number = _number(value)
    return "0" if number is None else f"{number:.0f}"


def format_percent(value: Any) -> str:
    number = _number(value)
    return "–" if number is None else f"{100 * number:.0f} %"


def format_money(value: Any) -> str:
    number = _number(value)
    return "–" if number is None else f"{number:,.0f}"


def gap_class(value: Any) -> str:
    """A colour class for a SERVQUAL gap: −1 or worse, below zero, or met."""
    number = _number(value)
    if number is None:
        return ""
    return "gap-bad" if number <= -1 else "gap-warn" if number < 0 else "gap-ok"


def role_name(role: str) -> str:
    return str(labels.ROLES.get(role, role))


def lang_url(code: str) -> str:
    """This page in another language, keeping its other query arguments.

    Arguments that would steer ``url_for`` itself (``endpoint``, ``_external``…) or clash
    with the route's own values are left out, so no query string can break a page.
    """
    fallback = request.path + "?" + urlencode({"lang": code})
    if request.endpoint is None:  # e.g. a 404 page
        return fallback
    view_args = request.view_args or {}
    args = {k: v for k, v in request.args.items()
            if k not in view_args and k not in ("endpoint", "lang") and not k.startswith("_")}
    try:
        return url_for(request.endpoint, **{**view_args, **args, "lang": code})
    except (BuildError, TypeError, ValueError):
        return fallback


def init_app(app: Flask) -> None:
    app.add_template_filter(format_number, "num")
    app.add_template_filter(format_percent, "percent")
    app.add_template_filter(format_count, "count")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(gap_class, "gapclass")
    app.add_template_filter(role_name, "role_name")
    app.add_template_global(lang_url, "lang_url")

    @app.context_processor
    def _labels() -> dict[str, Any]:
        return {"roles": labels.ROLES, "customer_types": labels.CUSTOMER_TYPES,
                "scores": labels.SCORES, "quadrants": labels.QUADRANTS,
                "statuses": labels.CRITERION_STATUS}
