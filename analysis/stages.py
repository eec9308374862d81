"""Key-account relationship stages (Millman & Wilson 1995).

Stage placement (``docs/METHODS.md`` section 8): each stage has criteria over indicators; an
account is at the highest stage whose criteria — and those of every stage below it — all
hold; the uncoupling stage overrides when its criteria hold. The thresholds are data
(``instruments/stages.toml``), read and validated by :func:`load_stage_model`
(:mod:`analysis.stage_model`, whose names this module exports too). A criterion
on an indicator the account lacks is *unknown*: it counts as not met, and the placement says
so. Every placement comes with its evidence (indicator, value, threshold, met / not met /
unknown) and the unmet criteria of the next stage.

Everything is vectorised over accounts: the loops run over stages and criteria only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .checks import account_ids, numeric_column, require_column, require_frame
from .contribution import safe_ratio
from .rollup import normalize_roles
from .stage_model import (
    Criterion,
    Indicator,
    Stage,
    StageModel,
    StagesError,
    load_stage_model,
    loads_stage_model,
    parse_stage_model,
)
from .vocabulary import BUYER_ROLES, UNKNOWN_ROLE

__all__ = [
    "MET", "NOT_MET", "UNKNOWN", "Criterion", "Indicator", "Stage", "StageModel",
    "StagePlacement", "StagesError", "count_roles", "latest_assessment", "load_stage_model",
    "loads_stage_model", "parse_stage_model", "place_accounts", "stage_distribution",
    "stage_indicators",
]

# the status of a criterion in a placement's evidence
MET, NOT_MET, UNKNOWN = "met", "not met", "unknown"


# --------------------------------------------------------------------------- indicators


def stage_indicators(accounts: pd.DataFrame, model: StageModel, account: str = "account_id",
                     columns: Mapping[str, str] | None = None,
                     extra: Sequence[pd.DataFrame | pd.Series] = (),
                     revenue: str = "revenue", wallet: str = "wallet",
                     revenue_prev: str = "revenue_prev") -> pd.DataFrame:
    """One row per account, one column per indicator of ``model`` (NaN = unknown).

    Each indicator ``x`` takes, per account, the first value present among:

    1. the column ``columns.get(x, x)`` of ``accounts`` (the accounts file may carry the
       manager's assessment, e.g. ``trust``, ``supplier_status``, ``exec_sponsor``);
    2. the column ``x`` of each frame (or a Series named ``x``) in ``extra``, in order, aligned
       on its index = account id — e.g. :func:`latest_assessment` of the
       ``relationship.toml`` responses (its item ids are the indicator names), the
       ``loyalty_index`` of :func:`analysis.loyalty.account_loyalty`, :func:`count_roles`;
    3. for ``share_of_wallet`` and ``revenue_trend`` only, the value derived from the
       accounts: ``revenue / wallet`` and ``revenue / revenue_prev − 1`` (METHODS 7.1; blank
       or zero denominators give NaN).

    Raises
    ------
    ValueError
        Missing or duplicate account ids, text in an indicator column, an unknown indicator
        or an absent column in ``columns``, an ``extra`` with duplicate accounts, or a value
        outside the indicator's range in the model.
    """
    require_frame(accounts, "accounts")
    if not isinstance(model, StageModel):
        raise TypeError("model must be a StageModel (load_stage_model)")
    ids = account_ids(accounts, account, "accounts")
    columns = dict(columns or {})
    for key, col in columns.items():
        if key not in model.indicators:
            raise ValueError(f"columns names {key!r}, which is not an indicator of "
                             f"{model.source} (argument columns)")
        if col not in accounts.columns:
            raise ValueError(f"column '{col}' (for indicator '{key}') is not in accounts "
                             f"(argument columns)")
    if isinstance(extra, pd.DataFrame | pd.Series):
        extra = [extra]
    extras: list[pd.DataFrame] = []
    for n, frame in enumerate(extra):
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        require_frame(frame, f"extra[{n}]")
        if frame.index.has_duplicates:
            raise ValueError(f"extra[{n}] has an account more than once in its index "
                             f"(argument extra)")
        keep = [c for c in frame.columns if c in model.indicators]
        extras.append(frame[keep].reindex(ids))
    nan = np.full(len(accounts), np.nan)

    def read(col: str, argument: str) -> np.ndarray:
        return numeric_column(accounts, col, argument, ids) if col in accounts.columns else nan

    derived = {
        "share_of_wallet": lambda: safe_ratio(read(revenue, "revenue"), read(wallet, "wallet")),
        "revenue_trend": lambda: safe_ratio(read(revenue, "revenue"),
                                            read(revenue_prev, "revenue_prev")) - 1.0,
    }
    out: dict[str, np.ndarray] = {}
    for ind, spec in model.indicators.items():
        col = columns.get(ind, ind)
        values = read(col, "columns" if ind in columns else "accounts")
        for n, frame in enumerate(extras):
            if ind in frame.columns and np.isnan(values).any():
                more = numeric_column(frame, ind, "extra", ids, f"extra[{n}]")
                values = np.where(np.isnan(values), more, values)
        if ind in derived and np.isnan(values).any():
            values = np.where(np.isnan(values), derived[ind](), values)
        known = ~np.isnan(values)
        low = known & (values < spec.min) if spec.min is not None else np.zeros(len(values), bool)
        high = known & (values > spec.max) if spec.max is not None else np.zeros(len(values), bool)
        if (low | high).any():
            pos = int(np.flatnonzero(low | high)[0])
            lo = "-inf" if spec.min is None else f"{spec.min:g}"
            hi = "inf" if spec.max is None else f"{spec.max:g}"
            raise ValueError(f"indicator '{ind}' of account '{ids[pos]}' is {values[pos]:g}, "
                             f"outside [{lo}, {hi}] (column '{col}' of accounts or extra, or "
                             f"derived from revenue)")
        out[ind] = values
    return pd.DataFrame(out, index=ids)


def latest_assessment(responses: pd.DataFrame, keys: Sequence[str] = ("account_id",),
                      order_by: str | None = "submitted_at") -> pd.DataFrame:
    """Per key (an account, or an account and contact), the latest answer in every column.

    Rows are ordered by ``order_by`` (ISO 8601 timestamps; rows without one count as oldest,
    file order breaks ties) and, per column, the last non-blank answer is kept — so an
    assessment that skips a question does not erase the previous answer to it.

    Returns
    -------
    DataFrame
        Indexed by ``keys``; the other columns of ``responses``.
    """
    require_frame(responses, "responses")
    if isinstance(keys, str):
        keys = (keys,)
    for key in keys:
        require_column(responses, key, "keys", "responses")
    frame = responses
    if order_by is not None:
        require_column(responses, order_by, "order_by", "responses")
        stamp = pd.to_datetime(responses[order_by], errors="coerce", format="ISO8601",
                               utc=True).dt.tz_convert(None)
        valid = stamp.notna().to_numpy()
        when = np.where(valid, stamp.to_numpy().view("int64"), np.iinfo(np.int64).min)
        order = np.lexsort((np.arange(len(responses)), when))
        frame = responses.iloc[order]
    frame = frame[frame[list(keys)].notna().all(axis=1)]
    return frame.groupby(list(keys), sort=True, observed=True).last()


def count_roles(frame: pd.DataFrame, account: str = "account_id", role: str = "role",
                roles: Sequence[str] = BUYER_ROLES) -> pd.Series:
    """Per account, how many of the buying roles occur (0–6 with the six default roles).

    ``frame`` is the contacts file, or the responses (roles that answered). Role names are
    read by :func:`analysis.rollup.normalize_roles`, as the roll-up reads them: any case,
    surrounding spaces, an optional " buyer"/"买家" suffix, the Chinese names. Blank roles
    and roles outside ``roles`` do not count.
    """
    require_frame(frame, "frame")
    for name, col in (("account", account), ("role", role)):
        require_column(frame, col, name)
    if isinstance(roles, str):
        raise TypeError("roles must be a sequence of role ids, not a string (argument roles)")
    if UNKNOWN_ROLE in roles:
        raise ValueError(f"'{UNKNOWN_ROLE}' is not a buying role (argument roles)")
    clean = normalize_roles(frame[role], dict.fromkeys(roles, 1.0))
    known = (clean != UNKNOWN_ROLE).to_numpy(dtype=bool) & frame[account].notna().to_numpy()
    pairs = pd.DataFrame({"a": frame[account].to_numpy(), "r": clean.to_numpy()})
    counted = pairs[known].drop_duplicates().groupby("a", sort=True).size()
    all_accounts = pd.Index(frame[account].dropna().unique()).sort_values()
    result = counted.reindex(all_accounts, fill_value=0).astype("int64")
    result.index.name = account
    result.name = "roles_covered"
    return result


# --------------------------------------------------------------------------- placement


@dataclass(frozen=True)
class StagePlacement:
    """Where each account stands, and why.

    ``placement``: one row per account — ``stage`` (id), ``stage_<lang>`` (name per language),
    ``rank`` (position on the ladder, 0 = first stage; the ladder rank also for uncoupled
    accounts), ``uncoupled``, ``ladder_stage`` (where the ladder alone puts it),
    ``next_stage`` (NA at the top), ``next_unmet`` (the next stage's unmet criteria with the
    account's values, ``"; "``-separated), ``next_unmet_n``, ``uncoupling_triggers`` (the met
    uncoupling criteria), ``unknown`` (indicators the account lacks among those the criteria
    use) and ``n_unknown``.

    ``evidence``: one row per account and criterion — ``account, stage, rank, indicator, op,
    threshold, value, status`` (met / not met / unknown), ``met``, ``next`` (the criterion
    belongs to the account's next stage) and ``reason``.
    """

    placement: pd.DataFrame
    evidence: pd.DataFrame
    model: StageModel


def _fmt(values: np.ndarray) -> np.ndarray:
    text = np.char.mod("%.4g", np.where(np.isfinite(values), values, 0.0))
    return np.where(np.isfinite(values), text, UNKNOWN)


def place_accounts(indicators: pd.DataFrame, model: StageModel) -> StagePlacement:
    """Place every account on the stage ladder (``docs/METHODS.md`` 8.2, the placement rule).

    With ``ok_s`` = every criterion of stage s met (unknown = not met), the ladder stage is
    the highest s with ``ok_1 ∧ … ∧ ok_s`` (the first stage has no criteria, so every account
    reaches it). ``uncoupled`` = any (``match = "any"``) or all of the uncoupling criteria
    met; an uncoupled account's ``stage`` is the uncoupling stage, and ``ladder_stage`` still
    shows where the ladder would put it.

    Parameters
    ----------
    indicators : DataFrame
        One row per account (index = account id), one column per indicator the criteria use
        (:func:`stage_indicators`); NaN = unknown.
    model : StageModel
        From :func:`load_stage_model`.

    Returns
    -------
    StagePlacement
    """
    require_frame(indicators, "indicators")
    if not isinstance(model, StageModel):
        raise TypeError("model must be a StageModel (load_stage_model)")
    missing = [i for i in model.used_indicators if i not in indicators.columns]
    if missing:
        raise ValueError(f"indicators lack the columns {missing} used by {model.source} "
                         f"(argument indicators; use stage_indicators)")
    if indicators.index.has_duplicates:
        raise ValueError("indicators has a duplicate account in its index "
                         "(argument indicators)")
    n = len(indicators)
    ladder = model.stages
    crit: list[tuple[int, Stage, Criterion]] = [
        (pos, s, c) for pos, s in enumerate(ladder) for c in s.criteria]
    if model.uncoupling is not None:
        crit += [(-1, model.uncoupling, c) for c in model.uncoupling.criteria]
    k = len(crit)
    values = np.empty((n, k))
    for j, (_, _, c) in enumerate(crit):
        values[:, j] = numeric_column(indicators, c.indicator, "indicators",
                                      indicators.index, "indicators")
    met = np.empty((n, k), dtype=bool)
    for j, (_, _, c) in enumerate(crit):
        met[:, j] = c.test(values[:, j])
    known = np.isfinite(values)
    crit_pos = np.array([p for p, _, _ in crit], dtype=int)

    ok = np.ones((n, len(ladder)), dtype=bool)
    for pos in range(len(ladder)):
        cols = crit_pos == pos
        if cols.any():
            ok[:, pos] = met[:, cols].all(axis=1)
    reached = np.logical_and.accumulate(ok, axis=1)
    rank = reached.sum(axis=1) - 1
    ladder_ids = np.array(model.ladder, dtype=object)
    ladder_stage = ladder_ids[rank]
    uncoupled = np.zeros(n, dtype=bool)
    if model.uncoupling is not None:
        ucols = crit_pos == -1
        uncoupled[:] = (met[:, ucols].any(axis=1) if model.uncoupling.match == "any"
                        else met[:, ucols].all(axis=1))
    stage = np.where(uncoupled, model.uncoupling.id if model.uncoupling else "", ladder_stage)
    next_pos = rank + 1
    has_next = next_pos < len(ladder)
    next_stage = ladder_ids[np.minimum(next_pos, len(ladder) - 1)].copy()
    next_stage[~has_next] = None

    # strings per account, built criterion by criterion (vectorised over accounts)
    next_unmet = np.full(n, "", dtype=object)
    triggers = np.full(n, "", dtype=object)
    n_next = np.zeros(n, dtype="int64")
    for j, (pos, _, c) in enumerate(crit):
        cond = ((next_pos == pos) & ~met[:, j]) if pos >= 0 else met[:, j]
        rows = np.flatnonzero(cond)
        if not rows.size:
            continue
        piece = (c.label + " (") + _fmt(values[rows, j]).astype(object) + ")"
        target = next_unmet if pos >= 0 else triggers
        current = target[rows]
        target[rows] = np.where(current == "", piece, current + "; " + piece)
        if pos >= 0:
            n_next[rows] += 1
    unknown = np.full(n, "", dtype=object)
    n_unknown = np.zeros(n, dtype="int64")
    for ind in model.used_indicators:
        first = next(j for j, (_, _, c) in enumerate(crit) if c.indicator == ind)
        rows = np.flatnonzero(~known[:, first])
        if rows.size:
            current = unknown[rows]
            unknown[rows] = np.where(current == "", ind, current + ", " + ind)
            n_unknown[rows] += 1

    names = {lang: {s.id: s.name[lang] for s in (*ladder, *(
        (model.uncoupling,) if model.uncoupling else ()))} for lang in model.languages}
    index = indicators.index
    placement = pd.DataFrame({"stage": pd.array(stage, dtype="string")}, index=index)
    for lang in model.languages:
        placement[f"stage_{lang}"] = placement["stage"].map(names[lang]).astype("string")
    placement["rank"] = rank.astype("int64")
    placement["uncoupled"] = uncoupled
    placement["ladder_stage"] = pd.array(ladder_stage, dtype="string")
    placement["next_stage"] = pd.array(next_stage, dtype="string")
    placement["next_unmet"] = pd.array(next_unmet, dtype="string")
    placement["next_unmet_n"] = n_next
    placement["uncoupling_triggers"] = pd.array(triggers, dtype="string")
    placement["unknown"] = pd.array(unknown, dtype="string")
    placement["n_unknown"] = n_unknown

    status = np.where(known, np.where(met, 0, 1), 2).ravel()

    def categorical(labels: list[str]) -> pd.Categorical[Any]:
        categories = list(dict.fromkeys(labels))
        codes = np.array([categories.index(x) for x in labels], dtype="int64")
        return pd.Categorical.from_codes(np.tile(codes, n),
                                         dtype=pd.CategoricalDtype(categories))

    evidence = pd.DataFrame({
        "account": np.repeat(index.to_numpy(), k),
        "stage": categorical([s.id for _, s, _ in crit]),
        "rank": np.tile(crit_pos, n),
        "indicator": categorical([c.indicator for _, _, c in crit]),
        "op": categorical([c.op for _, _, c in crit]),
        "threshold": np.tile([c.value for _, _, c in crit], n),
        "value": values.ravel(),
        "status": pd.Categorical.from_codes(
            status.astype("int64"), dtype=pd.CategoricalDtype([MET, NOT_MET, UNKNOWN])),
        "met": met.ravel(),
        "next": (crit_pos[None, :] == next_pos[:, None]).ravel(),
        "reason": categorical([c.reason for _, _, c in crit]),
    })
    if index.name:
        evidence = evidence.rename(columns={"account": index.name})
    return StagePlacement(placement, evidence, model)


def stage_distribution(placement: StagePlacement | pd.DataFrame) -> pd.DataFrame:
    """Accounts per stage (ladder order, then uncoupling) with their share; ``n`` = accounts."""
    if isinstance(placement, StagePlacement):
        frame, model = placement.placement, placement.model
        order = list(model.ladder) + ([model.uncoupling.id] if model.uncoupling else [])
    else:
        require_frame(placement, "placement")
        frame = placement
        order = list(dict.fromkeys(frame["stage"].dropna()))
    if "stage" not in frame.columns:
        raise ValueError("column 'stage' is not in placement (argument placement)")
    counts = frame["stage"].value_counts().reindex(order, fill_value=0).astype("int64")
    total = int(counts.sum())
    return pd.DataFrame({"n": counts,
                         "share": counts / total if total else np.nan}).rename_axis("stage")
