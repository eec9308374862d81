"""Blueprint: logging in and out, one's own password, users and the audit log; and the
access rules every request of the app passes (:mod:`surveyapp.services.access`).

Registering the blueprint wires the rest into the app (:func:`init_app`): the rule check
before every view, the login rate limits, sessions that end after ``SESSION_IDLE_HOURS``
without a request, and the pages for "not allowed" (403) and "too many attempts" (429).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

bp = Blueprint("auth", __name__)

SESSION_IDLE_HOURS = 12.0


@bp.record_once
def _wire_into_app(state: BlueprintSetupState) -> None:
    init_app(state.app)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    from .. import ratelimit
    from . import guard

    app.config.setdefault("SESSION_IDLE_HOURS", SESSION_IDLE_HOURS)
    # the session cookie is re-signed on every request and refused by the server once it
    # is older than this: an idle lifetime (the login itself is permanent=True)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config["SESSION_IDLE_HOURS"]))
    app.config.setdefault("SESSION_REFRESH_EACH_REQUEST", True)
    ratelimit.init_app(app)
    app.before_request(guard.enforce_access)
    app.register_error_handler(403, guard.forbidden)
    app.register_error_handler(429, guard.too_many_attempts)
    app.context_processor(guard.template_globals)


from . import users, views  # noqa: E402,F401  (routes attach to bp)
