"""Wide responses → an SPSS ``.sav`` file with variable and value labels (pyreadstat).

SPSS names allow letters, digits, ``_``, ``.``, ``@``, ``#`` and ``$`` and must start with a
letter: ``sq05.e`` stays ``sq05.e``; anything else is replaced by ``_``. Variable labels are
the items' texts (with the facet, "期望"/"Expectation"), value labels the scale points'
labels; text columns are strings, and a formula-looking text stays text (SPSS has no
formulas).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..instrument import Questionnaire
from ..vocabulary import BUYER_ROLES
from .labels import Labels

_BAD = re.compile(r"[^A-Za-z0-9_.@#$]")


def spss_name(column: str) -> str:
    name = _BAD.sub("_", column)
    if not name[:1].isalpha():
        name = "v" + name
    return name[:64]


def sav_labels(questionnaire: Questionnaire, lang: str) -> tuple[dict[str, str],
                                                                  dict[str, dict[Any, str]]]:
    """Variable labels and value labels by column name, from the instruments."""
    labels = Labels(lang)
    variables: dict[str, str] = {"response_id": "Response" if lang == "en" else "答卷编号",
                                 "account_id": labels("col.account_id"),
                                 "role": labels("col.role")}
    values: dict[str, dict[Any, str]] = {
        "role": {r: labels.coded("role", r) for r in BUYER_ROLES}}
    for inst in questionnaire.instruments:
        for item in inst.items:
            scale = inst.scales[item.scale]
            points = {float(k): v for k, v in scale.point_labels(lang).items()}
            text = item.text.get(lang, "en")
            for column in item.columns:
                facet = column.split(".", 1)[1] if "." in column else None
                label = text if facet is None or facet not in inst.facets else \
                    f"{inst.facets[facet].label.get(lang, 'en')}: {text}"
                variables[column] = label[:250]
                if points:
                    values[column] = points
        for allocation in inst.allocations:
            for construct in allocation.constructs:
                variables[f"{allocation.id}.{construct}"] = \
                    f"{allocation.text.get(lang, 'en')} ({construct})"[:250]
        for question in inst.open:
            variables[question.id] = question.text.get(lang, "en")[:250]
    return variables, values


def write_sav(frame: pd.DataFrame, questionnaire: Questionnaire, path: str,
              lang: str = "en") -> None:
    """Write ``frame`` (wide responses) to ``path`` as SPSS .sav."""
    import pyreadstat

    variables, values = sav_labels(questionnaire, lang)
    renamed = {c: spss_name(str(c)) for c in frame.columns}
    out = frame.rename(columns=renamed).copy()
    for column in out.columns:
        if out[column].dtype.kind not in "iufb":
            out[column] = out[column].astype(object).where(out[column].notna(), "") \
                .astype(str)
        elif out[column].dtype.kind in "iu" or str(out[column].dtype).startswith(("Int",
                                                                               "Float")):
            out[column] = out[column].astype("float64")
    pyreadstat.write_sav(
        out, path,
        column_labels={renamed[c]: variables[c] for c in frame.columns if c in variables},
        variable_value_labels={renamed[c]: v for c, v in values.items() if c in renamed
                               and out[renamed[c]].dtype.kind == "f"})
