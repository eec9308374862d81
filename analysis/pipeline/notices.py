"""Warnings of the analysis run: whenever a model is skipped or weakened, it is said.

Each function reads what a model reported (or the inputs) and returns plain sentences;
none of them changes a figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..instrument import Questionnaire
from ..rollup import unknown_roles
from ..servqual import ServqualLayout
from .detect import nps_refusal

if TYPE_CHECKING:
    from .context import RunContext

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


def grouping_warnings(by: Sequence[str], has_servqual: bool) -> list[str]:
    """``--by`` asked of a questionnaire without SERVQUAL, whose scores it groups."""
    if not by or has_servqual:
        return []
    return [f"--by {', '.join(by)}: groups SERVQUAL scores, and the questionnaire has no "
            f"SERVQUAL instrument; nothing was grouped"]


def role_warnings(responses: pd.DataFrame, weights: Mapping[str, float] | None) -> list[str]:
    """Role names that are no buying role (they weigh as an unknown role)."""
    if "role" not in responses.columns:
        return []
    # only roles that weigh in an account roll-up matter (staff rows have no account)
    rolled = responses["role"] if "account_id" not in responses.columns else \
        responses.loc[responses["account_id"].notna(), "role"]
    strange = unknown_roles(rolled, weights)
    if not strange:
        return []
    return [f"{len(strange)} role name(s) are not buying roles and weigh as an unknown "
            f"role: {_listed(strange)}"]


def unknown_account_warnings(responses: pd.DataFrame,
                             accounts: pd.DataFrame | None) -> list[str]:
    """Accounts answered for that the accounts frame does not have."""
    if accounts is None or "account_id" not in responses.columns:
        return []
    known = set(accounts["account_id"].astype(str))
    unknown = sorted({str(a) for a in responses["account_id"].dropna().unique()} - known)
    if not unknown:
        return []
    return [f"{len(unknown)} account(s) in the responses are not in the accounts file and "
            f"have no account row: {_listed(unknown)}"]


def run(ctx: RunContext) -> None:
    """Every warning of the run, in the order a reader meets the models."""
    q, options = ctx.questionnaire, ctx.options
    out = [*reliability_warnings(ctx.summary["reliability"]),
           *model_warnings(q, ctx.summary.get("model")), *nps_warnings(q),
           *grouping_warnings(options.by, ctx.servqual is not None)]
    servqual = ctx.servqual
    if servqual is not None and servqual.allocations and \
            ServqualLayout.of(servqual).allocation is None:
        out.append(f"the allocation of '{servqual.id}' does not cover exactly its "
                   "dimensions: no importance-weighted score and no stated importance")
    out += wallet_warnings(ctx.accounts)
    out += role_warnings(ctx.responses, options.role_weights)
    out += unknown_account_warnings(ctx.responses, ctx.accounts)
    ctx.warnings.extend(out)
