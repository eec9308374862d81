"""Views: contacts."""

from . import bp  # noqa: F401
