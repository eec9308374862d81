"""Blueprint: manager login and logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401  (routes attach to bp)
