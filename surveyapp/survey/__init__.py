"""Blueprint: a contact takes a survey through a personal link."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from . import views  # noqa: E402,F401  (routes attach to bp)
