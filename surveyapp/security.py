"""Response headers and request limits that every page gets: the one place for both.

- Bodies are capped per route before anything reads them (Flask-WTF's CSRF check reads the
  form in its own ``before_request``, so :func:`init_app` must run before ``csrf.init_app``):
  a survey page or a login is a few KB, so every route takes at most ``MAX_FORM_LENGTH``
  bytes; routes marked with :func:`accepts_upload` (imports) take up to
  ``MAX_CONTENT_LENGTH``, the ceiling for any request, and check their own file limit
  (``IMPORT_MAX_BYTES``) themselves. ``MAX_FORM_PARTS`` bounds the fields of a multipart
  form and ``MAX_FORM_MEMORY_SIZE`` each field (werkzeug reads both per request).
- A refused body gets a short page that says what to do (413), never an echo of the body.
- A Content-Security-Policy with no inline script (nor ``<style>`` elements: only a
  ``style`` attribute may set a width, such as a progress bar's) and no framing, ``nosniff``, no
  Referer (a survey link's token must not leak to another site) and ``no-store`` on every
  page, since pages carry personal data or a personal link.
- Survey tokens are cut out of the access logs of werkzeug's server and gunicorn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")

# a full page of survey answers is about 10 KB url-encoded (the longest comments allowed,
# 4,000 characters of Chinese, some tens of KB); the longest page has about 100 fields
DEFAULTS: dict[str, Any] = {
    "MAX_FORM_LENGTH": 256 * 1024,  # any request body, except on routes taking uploads
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,  # one field of a multipart form
    "MAX_FORM_PARTS": 1000,  # fields in one multipart form
    "CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
}


# a survey link's token in a path (/s/<token>, /s/<token>/thanks): the first characters are
# kept, enough to tell two log lines apart, too few to open anyone's survey
SURVEY_TOKEN = re.compile(r"(/s/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{4,}")
# the loggers that write a request's path: werkzeug's development server and gunicorn's
# access log (its atoms ``r`` request line, ``U`` path, ``f`` referer, ``{raw_uri}``…)
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact_tokens(text: str) -> str:
    return SURVEY_TOKEN.sub(r"\1\2…", text)


class SurveyTokenFilter(logging.Filter):
    """Cuts survey tokens out of every text argument of an access log record (gunicorn
    passes one dict of atoms; werkzeug a tuple with the request line), whatever the
    format, so a log readable by an operator opens nobody's survey."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict):
            for key, value in list(args.items()):
                if isinstance(value, str):
                    args[key] = redact_tokens(value)
        elif isinstance(args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def _redact_access_logs() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SurveyTokenFilter) for f in logger.filters):
            logger.addFilter(SurveyTokenFilter())


def accepts_upload(view: View) -> View:
    """Mark a view that takes a file upload: its requests may be ``MAX_CONTENT_LENGTH``
    long, and one field (a file sealed into a confirmation form) as long as that."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def takes_uploads(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return view is not None and getattr(view, "accepts_upload", False)


def _limit_request_size() -> None:
    config = current_app.config
    ceiling = config.get("MAX_CONTENT_LENGTH")  # None: no ceiling
    if takes_uploads(request.endpoint):
        request.max_content_length = ceiling
        request.max_form_memory_size = ceiling
    else:
        limit = config["MAX_FORM_LENGTH"]
        request.max_content_length = limit if ceiling is None else min(limit, ceiling)


def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    return render_template("errors/413.html"), 413


def _security_headers(response: Response) -> Response:
    headers = response.headers
    policy = current_app.config.get("CONTENT_SECURITY_POLICY")
    if policy:
        headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint not in ("static", "survey.logo"):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register before any extension, so the size cap applies before the CSRF check reads.

    A value the instance configured is kept; Flask's own defaults for the form limits
    (500 KB a field) are replaced by these tighter ones."""
    for key, value in DEFAULTS.items():
        if key not in app.config or app.config[key] == app.default_config.get(key):
            app.config[key] = value
    app.before_request(_limit_request_size)
    app.after_request(_security_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    _redact_access_logs()
