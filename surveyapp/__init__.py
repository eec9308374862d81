"""surveyapp: survey B2B customers and score their service gaps, satisfaction and loyalty."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request, session

from analysis.rollup import role_weights

from . import db, jobs
from .config import DEFAULTS, instruments_dir, load_secret_key, settings_from_environment
from .extensions import babel, csrf, login_manager


def create_app(test_config: dict[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    """Defaults → instance ``config.py`` → environment (or ``test_config`` for tests).

    ``instance_path`` (or the environment's ``SURVEYAPP_INSTANCE``, an absolute path)
    moves the instance folder (database, secret key, job queue, outbox) away from the
    default ``instance/`` beside the package: each test has its own.
    """
    instance_path = instance_path or os.environ.get("SURVEYAPP_INSTANCE") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path,
                                                              "surveyapp.sqlite")
    app.config["INSTRUMENTS_DIR"] = str(instruments_dir())
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(settings_from_environment(os.environ))
    else:
        app.config.from_mapping(test_config)
    # a mistyped role in ROLE_WEIGHTS stops the start, rather than every report page
    role_weights(app.config.get("ROLE_WEIGHTS"))
    # so does a malformed webhook target, rather than every alert that would use it
    from .services.alerts import AlertRules
    from .services.webhooks import targets

    targets(app.config)
    AlertRules.from_config(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)

    register_extensions(app)
    register_blueprints(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if getattr(g, "lang", None) in languages:
        return g.lang
    chosen = request.args.get("lang")
    if chosen is not None and chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or languages[0]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    jobs.init_app(app)
    from . import security

    security.init_app(app)  # before csrf: bodies are capped before its check reads them
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_lang": str(get_locale() or app.config["LANGUAGES"][0]),
                "languages": app.config["LANGUAGES"]}


def register_blueprints(app: Flask) -> None:
    from . import auth, manage, reports, survey

    app.register_blueprint(survey.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(reports.bp)


def register_template_helpers(app: Flask) -> None:
    from .templating import init_app

    init_app(app)


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error: Exception):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(_error: Exception):
        return render_template("errors/500.html"), 500


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
