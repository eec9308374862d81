"""The ``surveyapp`` command: Flask's CLI group with the app's own commands.

One module per area; each declares its commands and ``register_commands`` adds them.
Subcommands of ``surveyapp wave`` attach to :data:`common.wave_group`.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask.cli import FlaskGroup

from .common import wave_group
from .core import analyze_command

# modules whose click commands are registered on the app's CLI
COMMAND_MODULES = ("core", "users", "worker", "backup", "waves", "scoring", "imports")


def register_commands(app: Flask) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)
    app.cli.add_command(wave_group)


def _create_app() -> Flask:
    from .. import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Survey-driven customer satisfaction and "
                  "loyalty analyzer. `surveyapp run` serves the web app.")
main.add_command(analyze_command)  # on the group itself: it needs no app and no database
