"""Views: waves."""

from . import bp  # noqa: F401
