"""What several command modules share: the survey links' base URL and the ``wave`` group."""

from __future__ import annotations

import os

from flask import current_app
from flask.cli import AppGroup


def base_url() -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    host = os.environ.get("HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('PORT', '5000')}"


wave_group = AppGroup("wave", help="Survey waves: create, list, send, remind, links, status.")
