"""Who the survey is from: the supplier's name and logo, as configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, g, url_for

WEB_ADDRESS = ("http://", "https://")


def logo_file(setting: str | None, instance_path: str) -> Path | None:
    """The logo file a ``SUPPLIER_LOGO`` path names (relative to the instance folder), if
    it is a file; a web address or nothing gives None."""
    if not setting or setting.startswith(WEB_ADDRESS):
        return None
    path = Path(instance_path, setting)
    return path if path.is_file() else None


def supplier_name(setting: Any, lang: str) -> str | None:
    """``SUPPLIER_NAME``: one name, or a name per language (``{"zh": …, "en": …}``)."""
    if isinstance(setting, dict):
        return setting.get(lang) or next(iter(setting.values()), None)
    return str(setting) if setting else None


def supplier_context() -> dict[str, Any]:
    config = current_app.config
    lang = getattr(g, "lang", None) or config["LANGUAGES"][0]
    logo = config.get("SUPPLIER_LOGO")
    if logo and str(logo).startswith(WEB_ADDRESS):
        logo_url: str | None = str(logo)
    elif logo_file(logo, current_app.instance_path) is not None:
        logo_url = url_for("survey.logo")
    else:
        logo_url = None
    return {"supplier_name": supplier_name(config.get("SUPPLIER_NAME"), lang),
            "supplier_logo": logo_url, "privacy_url": config.get("SUPPLIER_PRIVACY_URL")}
