"""TOML data files (instruments, stage thresholds): reading them, and validation helpers
whose errors name the file, the entry and the field."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # matched whole (fullmatch)


MAX_TOML_BYTES = 2 * 1024 * 1024  # an instrument of 1,000 items is about 200 KB


def parse_toml(text: str, source: str, error: type[ValueError]) -> dict[str, Any]:
    """Parse TOML text; a syntax error, a huge file or absurd nesting (the parser recurses
    once per level) becomes ``error`` naming ``source``."""
    if len(text) > MAX_TOML_BYTES:
        raise error(f"{source}: the file is larger than {MAX_TOML_BYTES // 1024 // 1024} MB")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise error(f"{source}: arrays or tables nest too deeply") from exc


def read_text(path: str | Path, error: type[ValueError]) -> str:
    """A UTF-8 file's text; an unreadable file becomes ``error`` naming the path."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text") from exc


class Where:
    """Where in a data file a value sits, to build errors that name it."""

    def __init__(self, source: str, error: type[ValueError], entry: str = ""):
        self.source, self.error_class, self.entry = source, error, entry

    def at(self, entry: str) -> Where:
        return Where(self.source, self.error_class, entry)

    def error(self, message: str, fld: str | None = None) -> ValueError:
        parts = [self.source] + ([self.entry] if self.entry else []) + (
            [f"field '{fld}'"] if fld else [])
        return self.error_class(": ".join(parts) + f": {message}")


def check_keys(table: Any, where: Where, required: Iterable[str],
               optional: Iterable[str] = ()) -> dict[str, Any]:
    """A table with exactly the allowed keys: an unknown key is an error, not ignored."""
    if not isinstance(table, dict):
        raise where.error(f"expected a table, got {type(table).__name__}")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in table:
        if key not in allowed:
            raise where.error(f"unknown key (allowed: {', '.join(sorted(allowed))})", key)
    for key in required:
        if key not in table:
            raise where.error("missing", key)
    return table


def check_id(value: Any, where: Where, fld: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise where.error(f"{value!r} is not an id (a letter, then letters, digits or _)", fld)
    return value


def check_texts(value: Any, languages: tuple[str, ...], where: Where,
                fld: str) -> MappingProxyType[str, str]:
    """A table of non-empty texts, one for each of ``languages`` and no other."""
    if not isinstance(value, dict):
        raise where.error('expected a table of texts by language, e.g. { zh = "…", en = "…" }',
                          fld)
    for lang in languages:
        if lang not in value:
            raise where.error(f"no text in language '{lang}'", fld)
    for lang, text in value.items():
        if lang not in languages:
            raise where.error(f"language '{lang}' is not listed in 'languages'", fld)
        if not isinstance(text, str) or not text.strip():
            raise where.error(f"the '{lang}' text must be a non-empty string", fld)
    return MappingProxyType(dict(value))
