"""Answer cells as survey tools write them: missing-value codes, full-width digits, labels.

A cell of a numeric answer column is read, in this order: a missing-value code
(:data:`MISSING_CODES` or a code the user gives) is missing; a scale label in any of the
instrument's languages is its point; anything else is a number after NFKC normalisation
(full-width ``４`` typed through a Chinese input method is ``4``). ``4.0`` is 4; whether a
number is whole and on the scale is checked by :func:`analysis.frames.validate_responses`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .instrument import Instrument, Questionnaire

MISSING_CODES = ("", "NA", "N/A", "#N/A", ".", "-", "不适用", "NaN", "NULL", "(跳过)", "(空)")
"""Cells read as missing in every answer column: R's ``NA``, SPSS's system-missing ``.``,
Excel's ``#N/A``, the dash many people type, 不适用 (not applicable), and the marks
问卷星 writes for a skipped question. Compared without case and after NFKC
normalisation (full-width ``ＮＡ`` is ``NA``)."""


def cell_key(value: str) -> str:
    """NFKC-normalised (full-width → ASCII), case-folded, inner spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


def missing_keys(extra: Iterable[str] = ()) -> frozenset[str]:
    """The keys (:func:`cell_key`) of the missing-value codes, with the user's ``extra``."""
    return frozenset(cell_key(c) for c in (*MISSING_CODES, *extra))


def scale_labels(inst: Instrument, scale_id: str) -> dict[str, int]:
    """Label key → scale point, over every language of the instrument; a label that stands
    for two different points (in two languages) is left out, never guessed."""
    scale = inst.scales[scale_id]
    found: dict[str, set[int]] = {}
    for lang in scale.labels:
        for point, label in scale.point_labels(lang).items():
            found.setdefault(cell_key(label), set()).add(point)
    return {key: next(iter(points)) for key, points in found.items()
            if len(points) == 1 and key}


def column_labels(questionnaire: Questionnaire) -> dict[str, dict[str, int]]:
    """Answer column → its scale's labels (see :func:`scale_labels`), for labelled scales."""
    out: dict[str, dict[str, int]] = {}
    for inst in questionnaire.instruments:
        cache: dict[str, dict[str, int]] = {}
        for item in inst.items:
            if item.scale not in cache:
                cache[item.scale] = scale_labels(inst, item.scale)
            if cache[item.scale]:
                for col in item.columns:
                    out[col] = cache[item.scale]
    return out


def read_numbers(text: pd.Series, missing: frozenset[str],
                 labels: Mapping[str, int] | None = None) -> tuple[pd.Series, pd.Series]:
    """A column of text cells as float64, and the mask of cells that are not numbers.

    Missing codes become NaN (and are not "not a number"); labels become their point;
    the rest is parsed after NFKC normalisation.
    """
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    unread = text.notna() & values.isna()
    if not unread.any():
        return values, unread
    # only the cells plain parsing did not read are looked at again, each distinct text
    # once (a million labelled cells hold a handful of labels)
    cells = text[unread]
    distinct = pd.unique(cells)
    meaning = {c: _cell_value(str(c), missing, labels) for c in distinct}
    unreadable = {c: bool(np.isnan(meaning[c])) and cell_key(str(c)) not in missing
                  for c in distinct}
    out = values.copy()
    out[unread] = cells.map(meaning).astype("float64")
    bad = unread.copy()
    bad[unread] = cells.map(unreadable).astype(bool)
    return out, bad


def _cell_value(cell: str, missing: frozenset[str],
                labels: Mapping[str, int] | None) -> float:
    """A cell's number: NaN for a missing code or an unreadable cell (told apart by the
    caller), the point of a label, else the NFKC-normalised text as a number."""
    key = cell_key(cell)
    if key in missing:
        return np.nan
    if labels and key in labels:
        return float(labels[key])
    try:
        number = float(key)
    except ValueError:
        return np.nan
    return number if np.isfinite(number) else np.nan


def blank_codes(text: pd.Series, missing: frozenset[str]) -> pd.Series:
    """A text column with its missing-value codes made missing (metadata, free text)."""
    if text.isna().all():
        return text
    keys = text.str.normalize("NFKC").str.strip().str.casefold()
    return text.mask(keys.isin(missing) & text.notna())


def blank_codes_frame(frame: pd.DataFrame, missing: frozenset[str]) -> pd.DataFrame:
    """:func:`blank_codes` over many text columns at once, returned as strings: each
    distinct text is looked at once and the frame is built once, so that thousands of
    attribute columns cost one pass, not one pass each."""
    values = frame.to_numpy(dtype=object, na_value=None)  # type: ignore[arg-type]
    if values.size:
        distinct = pd.unique(values.ravel())
        codes = [v for v in distinct if isinstance(v, str) and cell_key(v) in missing]
        if codes:
            values = np.where(np.isin(values, codes), None, values)  # type: ignore[call-overload]
    return pd.DataFrame(values, index=frame.index, columns=frame.columns, dtype="string")
