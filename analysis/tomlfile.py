"""Reading TOML data files (instruments, stage thresholds) with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def parse_toml(text: str, source: str, error: type[ValueError]) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes ``error`` naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from exc


def read_text(path: str | Path, error: type[ValueError]) -> str:
    """A UTF-8 file's text; an unreadable file becomes ``error`` naming the path."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text") from exc
