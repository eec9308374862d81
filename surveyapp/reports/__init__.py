"""Blueprint: the manager's accounts list, account scorecards and downloads."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import views  # noqa: E402,F401  (routes attach to bp)
