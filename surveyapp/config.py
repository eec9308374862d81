"""Default settings. Overridden by the instance folder's ``config.py``, then the environment."""

from __future__ import annotations

import json
import math
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS = {
    "SQLALCHEMY_ECHO": False,
    "LANGUAGES": ("zh", "en"),
    "BABEL_DEFAULT_LOCALE": "zh",
    "WTF_CSRF_TIME_LIMIT": None,  # a survey may stay open in a tab for hours
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "ROLE_WEIGHTS": None,  # None = analysis.rollup.DEFAULT_ROLE_WEIGHTS
    "PUBLIC_URL": None,  # base of survey links printed by the CLI; None = http://127.0.0.1:PORT
    # background jobs: None = a SQLite file in the instance folder; "redis://host:6379/0"
    "JOBS_URL": None,
    "JOBS_IMMEDIATE": False,  # run each job where it is queued (tests)
    # seconds a change waits before its wave is scored, so changes close together cost one
    # recompute
    "RECOMPUTE_DELAY": 3.0,
    # imports: the largest file the import page takes, and the row count above which a
    # confirmed import is written by the background worker instead of inside the request
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # the leadership workbook compares the share of satisfied accounts with this target
    "SATISFIED_TARGET": 0.8,
    "IMPORT_BACKGROUND_ROWS": 2000,
    # email: with no MAIL_SERVER, each email is written as an .eml file into MAIL_OUTBOX
    # (None = <instance>/outbox); MAIL_PORT None = 25, 587 with TLS, 465 with SSL
    "MAIL_SERVER": None,
    "MAIL_PORT": None,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "survey@localhost",
    "MAIL_OUTBOX": None,
    # the survey page names the supplier: a name (or {"zh": …, "en": …}) and a logo file
    # (a path, relative to the instance folder or absolute, served by the app itself so it
    # shows with no internet access; or an http(s) URL)
    "SUPPLIER_NAME": None,
    "SUPPLIER_LOGO": None,
    "SUPPLIER_PRIVACY_URL": None,  # optional link to the full privacy notice
    "SURVEY_TIMEZONE": "Asia/Shanghai",  # the day a wave's open and close dates refer to
    # alerts on a submitted response (services/alerts.py): a recommendation score at or
    # below ALERT_DETRACTOR_MAX, a dimension's P − E at or below ALERT_GAP_THRESHOLD, the
    # mean of the dimension gaps at or below ALERT_OVERALL_GAP_THRESHOLD (None = rule off)
    "ALERT_DETRACTOR_MAX": 6,
    "ALERT_GAP_THRESHOLD": -2.0,
    "ALERT_OVERALL_GAP_THRESHOLD": None,
    "TASK_DUE_DAYS": 7,  # an alert's follow-up task is due this many days later
    # group-chat robots and web services told of each alert (services/webhooks.py): a list
    # of {"kind": "wecom"|"dingtalk"|"feishu"|"generic", "url": …, "secret": …, "lang": …}
    "ALERT_WEBHOOKS": [],
}


def instruments_dir() -> Path:
    """The shipped instrument files: beside the source tree (a checkout or an editable
    install), else where a wheel install puts them (``<prefix>/share/surveyapp``)."""
    source = Path(__file__).resolve().parent.parent / "instruments"
    if source.is_dir():
        return source
    return Path(sys.prefix) / "share" / "surveyapp" / "instruments"


def load_secret_key(instance_path: str) -> str:
    """The instance's own secret key: generated once, kept in the instance folder.

    Written to a private temporary file and linked into place, so app servers starting
    together never read a half-written key: one link wins and all read that key. Servers
    on several machines need one shared ``SECRET_KEY`` in their environment instead.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()


TEXT_SETTINGS = ("DATABASE_URL", "SECRET_KEY", "PUBLIC_URL", "STAGES_FILE", "JOBS_URL",
                 "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SENDER",
                 "MAIL_OUTBOX", "SUPPLIER_NAME", "SUPPLIER_LOGO", "SUPPLIER_PRIVACY_URL",
                 "SURVEY_TIMEZONE", "RATELIMIT_STORAGE_URI")
FLAG_SETTINGS = ("MAIL_USE_TLS", "MAIL_USE_SSL")  # "1", "true", "yes" or "on" = on


NUMBER_SETTINGS = ("TASK_DUE_DAYS", "RECOMPUTE_DELAY", "SESSION_IDLE_HOURS",
                   "SATISFIED_TARGET")
# alert thresholds: a number, or "off" / "none" / an empty value for "this rule is off"
ALERT_SETTINGS = ("ALERT_DETRACTOR_MAX", "ALERT_GAP_THRESHOLD", "ALERT_OVERALL_GAP_THRESHOLD")
RULE_OFF = ("off", "none", "")


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def alert_threshold(name: str, raw: str) -> float | None:
    """An alert rule's threshold as given in the environment; ``None`` = the rule is off.
    Anything but a finite number or an "off" word stops the app: a mistyped threshold must
    not silently raise no alerts (or an alert on every answer)."""
    if raw.strip().lower() in RULE_OFF:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a number, or off / none / empty to switch the "
                         f"rule off, not {raw!r}")
    return value


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings given as environment variables; ROLE_WEIGHTS is a JSON object
    (e.g. ``{"economic": 0.4, "technical": 0.3}``), ALERT_WEBHOOKS a JSON list of targets."""
    settings: dict[str, Any] = {k: environ[k] for k in TEXT_SETTINGS if environ.get(k)}
    settings.update({k: environ[k].strip().lower() in ("1", "true", "yes", "on")
                     for k in FLAG_SETTINGS if environ.get(k)})
    settings.update({k: _number(k, environ[k]) for k in NUMBER_SETTINGS if environ.get(k)})
    # set but empty counts here: ALERT_GAP_THRESHOLD= switches the rule off
    settings.update({k: alert_threshold(k, environ[k]) for k in ALERT_SETTINGS if k in environ})
    raw_hooks = environ.get("ALERT_WEBHOOKS")
    if raw_hooks:
        try:
            hooks = json.loads(raw_hooks)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ALERT_WEBHOOKS is not valid JSON: {exc}") from exc
        if not isinstance(hooks, list):
            raise ValueError("ALERT_WEBHOOKS must be a JSON list of webhook targets")
        settings["ALERT_WEBHOOKS"] = hooks
    raw = environ.get("ROLE_WEIGHTS")
    if raw:
        try:
            weights = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ROLE_WEIGHTS is not valid JSON: {exc}") from exc
        if not isinstance(weights, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
                for v in weights.values()):
            raise ValueError("ROLE_WEIGHTS must be a JSON object of role: non-negative number")
        settings["ROLE_WEIGHTS"] = {str(k): float(v) for k, v in weights.items()}
    return settings
