"""Views: imports."""

from . import bp  # noqa: F401
