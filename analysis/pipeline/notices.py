"""Warnings of the analysis run: whenever a model is skipped or weakened, it is said.

Each function reads what a model reported (or the inputs) and returns plain sentences;
none of them changes a figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..instrument import Questionnaire
from .detect import nps_refusal

LISTWISE_DROP_WARNED = 0.10
"""Listwise deletion that leaves out more than this share of the respondents is warned of."""


def _listed(values: Sequence[str], limit: int = 10) -> str:
    return ", ".join(values[:limit]) + (" …" if len(values) > limit else "")


def reliability_warnings(reliability: Mapping[str, Any]) -> list[str]:
    """Listwise deletion dropping > 10 %, negative corrected item-total correlations and
    negative alphas, per construct of the reliability summary."""
    out: list[str] = []
    for construct, entry in reliability.items():
        for on, block in (("", entry), (" (gaps)", entry.get("gaps"))):
            if not block or "alpha" not in block:
                continue
            n, answering = block.get("n", 0), block.get("n_answering", 0)
            if block.get("missing") == "listwise" and answering and \
                    (answering - n) / answering > LISTWISE_DROP_WARNED:
                out.append(f"alpha of '{construct}'{on} uses {n} of {answering} respondents: "
                           f"listwise deletion left out {answering - n} "
                           f"({100 * (answering - n) / answering:.0f} %) with a missing "
                           f"answer; --missing pairwise uses every answer (as R psych does)")
            alpha = block.get("alpha")
            if alpha is not None and alpha < 0:
                out.append(f"alpha of '{construct}'{on} is negative ({alpha:.2f}): the items "
                           f"do not measure one thing together — check for a reverse-worded "
                           f"item without reverse = true")
            negative = [item for item, stats in block.get("items", {}).items()
                        if stats.get("item_total_r") is not None and stats["item_total_r"] < 0]
            if negative:
                out.append(f"'{construct}'{on}: {len(negative)} item(s) correlate negatively "
                           f"with the rest of the construct ({_listed(negative)}); likely "
                           f"reverse-worded items without reverse = true")
    return out


def model_warnings(questionnaire: Questionnaire, model: Mapping[str, Any] | None) -> list[str]:
    """The satisfaction model not estimated, weakened by listwise deletion, or run without a
    satisfaction construct (no index, key drivers or derived importance then)."""
    out: list[str] = []
    for inst in questionnaire.instruments:
        if inst.model is not None and inst.satisfaction_construct is None:
            out.append(f"instrument '{inst.id}' declares no satisfaction construct: no "
                       f"satisfaction index, key drivers or derived importance; add "
                       f"target = \"<construct id>\" to its [model]")
    if not model:
        return out
    if model.get("note"):
        out.append(f"satisfaction model of '{model['instrument']}': {model['note']}")
        return out
    n, answering = model.get("n", 0), model.get("n_answering", 0)
    if model.get("missing") == "listwise" and answering and \
            (answering - n) / answering > LISTWISE_DROP_WARNED:
        out.append(f"the satisfaction model uses {n} of {answering} respondents: listwise "
                   f"deletion left out {answering - n} "
                   f"({100 * (answering - n) / answering:.0f} %) with a missing answer; "
                   f"--model-missing mean replaces a missing answer by the item's mean")
    return out


def nps_warnings(questionnaire: Questionnaire) -> list[str]:
    refusal = nps_refusal(questionnaire)
    return [refusal] if refusal else []


def wallet_warnings(accounts: pd.DataFrame | None) -> list[str]:
    """Revenue above a known wallet; a wallet of 0 or blank is unknown (no share of wallet),
    never "revenue above wallet"."""
    if accounts is None or not {"revenue", "wallet"} <= set(accounts.columns):
        return []
    out: list[str] = []
    known = accounts["wallet"] > 0
    over = accounts.loc[known & (accounts["revenue"] > accounts["wallet"]), "account_id"]
    if len(over):
        out.append(f"{len(over)} account(s) have revenue above their wallet (share of wallet "
                   f"over 100 %): {_listed([str(a) for a in over])}")
    zero = accounts.loc[accounts["wallet"] == 0, "account_id"]
    if len(zero):
        out.append(f"{len(zero)} account(s) have a wallet of 0, read as unknown (no share of "
                   f"wallet): {_listed([str(a) for a in zero])}")
    return out
