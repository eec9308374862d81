"""Four degrees of loyalty, the loyalty index, NPS and the Jones & Sasser quadrant.

Definitions (DESIGN.md, "Definitions every part must agree on"):

* item index: an answer ``x`` on the scale ``[lo, hi]`` becomes ``100·(x − lo)/(hi − lo)``;
  a reverse-worded item becomes ``100·(hi − x)/(hi − lo)``;
* construct (degree) score of a respondent: the mean of its item indices over the items it
  answered (NaN when it answered none);
* loyalty index of a respondent: the (weighted) mean of its degree scores, over the degrees it
  has, when it has at least ``min_degrees`` of them;
* NPS (Reichheld 2003): promoters answer 9–10, detractors 0–6; ``NPS = 100·(p − d)`` with
  margin of error ``1.96·100·sqrt((p + d − (p − d)²)/n)``. Per respondent the NPS
  contribution is +1 (promoter), 0 (passive), −1 (detractor), so the mean contribution is
  ``p − d`` and NPS rolls up to accounts like any other measure.

Missing answers are NaN and never count as zero. Every statistic says its n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .instrument import Instrument, Item
from .rollup import account_rollup

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
NPS_MIN = 0
NPS_MAX = 10
Z95 = 1.96

DEGREES = ("repurchase", "dependence", "price_tolerance", "advocacy")
LOYALTY_INDEX = "loyalty_index"
NPS_CONTRIBUTION = "nps_contribution"
NPS_CLASS = "nps_class"

QUADRANTS = ("loyalist", "mercenary", "hostage", "defector")


# --------------------------------------------------------------------------- item indices


def _item_columns(instrument: Instrument, items: Sequence[Item],
                  facet: str | None) -> list[tuple[Item, str]]:
    pairs: list[tuple[Item, str]] = []
    for item in items:
        if facet is None:
            if not item.facets:
                pairs.append((item, item.id))
        elif facet in item.facets:
            pairs.append((item, f"{item.id}.{facet}"))
    return pairs


def _numeric(responses: pd.DataFrame, column: str, argument: str) -> np.ndarray:
    values = responses[column]
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        converted = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & converted.isna()
        if bad.any():
            raise ValueError(f"column '{column}' holds a value that is not a number "
                             f"({values[bad].iloc[0]!r}) (argument {argument})")
        values = converted
    elif not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise TypeError(f"column '{column}' must be numeric, not {values.dtype} "
                        f"(argument {argument})")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def item_indices(responses: pd.DataFrame, instrument: Instrument,
                 constructs: Sequence[str] | None = None,
                 facet: str | None = None) -> pd.DataFrame:
    """Rescale answers to 0–100: ``100·(x − lo)/(hi − lo)``; reverse ``100·(hi − x)/(hi − lo)``.

    Parameters
    ----------
    responses : DataFrame
        Wide answers, one row per respondent (``analysis.frames.validate_responses``).
    instrument : Instrument
        Gives each item's scale ``[lo, hi]`` and its ``reverse`` flag.
    constructs : sequence of str, optional
        Only the items of these constructs (default: every construct).
    facet : str, optional
        Use the ``<item>.<facet>`` columns of faceted items; by default the single-answer items.

    Returns
    -------
    DataFrame
        Same index as ``responses``; one column per answer column, 0–100, NaN where missing.

    Raises
    ------
    ValueError
        A column is missing, holds text, or holds a value outside its item's scale.
    """
    _check_frame(responses, "responses")
    wanted = _check_constructs(instrument, constructs)
    items = [i for i in instrument.items if i.construct in wanted]
    pairs = _item_columns(instrument, items, facet)
    missing = [col for _, col in pairs if col not in responses.columns]
    if missing:
        raise ValueError(f"responses lack the columns {missing[:5]} of instrument "
                         f"'{instrument.id}' (argument responses)")
    out: dict[str, np.ndarray] = {}
    for item, col in pairs:
        scale = instrument.scales[item.scale]
        x = _numeric(responses, col, "responses")
        outside = np.isfinite(x) & ((x < scale.min) | (x > scale.max))
        if outside.any():
            raise ValueError(f"column '{col}' holds {x[outside][0]:g}, outside the scale "
                             f"{scale.min}–{scale.max} (argument responses)")
        span = scale.max - scale.min
        out[col] = (100.0 * (scale.max - x) / span if item.reverse
                    else 100.0 * (x - scale.min) / span)
    return pd.DataFrame(out, index=responses.index, dtype="float64")


def construct_indices(responses: pd.DataFrame, instrument: Instrument,
                      constructs: Sequence[str] | None = None,
                      facet: str | None = None) -> pd.DataFrame:
    """Per respondent and construct: the mean 0–100 item index over the items answered.

    ``score_rc = mean_{i ∈ c, answered by r} 100·(x_ri − lo_i)/(hi_i − lo_i)`` (reverse items
    mirrored), the equal-weight index of DESIGN.md "Index scores 0–100". NaN when the
    respondent answered none of the construct's items.

    Returns
    -------
    DataFrame
        Same index as ``responses``; one column per construct (instrument order).
    """
    wanted = _check_constructs(instrument, constructs)
    indices = item_indices(responses, instrument, wanted, facet)
    out: dict[str, pd.Series] = {}
    for c in wanted:
        cols = [col for _, col in _item_columns(instrument, instrument.items_of(c), facet)]
        if not cols:
            raise ValueError(f"construct '{c}' of instrument '{instrument.id}' has no "
                             f"{'single-answer' if facet is None else repr(facet)} items "
                             f"(argument {'constructs' if constructs is not None else 'facet'})")
        out[c] = indices[cols].mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=responses.index, dtype="float64")


# --------------------------------------------------------------------------- NPS


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score of one group.

    ``nps = 100·(p − d)``, ``moe = 1.96·100·sqrt((p + d − (p − d)²)/n)``; ``n`` counts the
    answers (blanks excluded); ``p`` and ``d`` are the promoter and detractor shares.
    """

    nps: float
    moe: float
    n: int
    promoters: int
    passives: int
    detractors: int
    p: float
    d: float

    @property
    def ci(self) -> tuple[float, float]:
        """The 95 % interval ``nps ± moe`` (normal approximation)."""
        return (self.nps - self.moe, self.nps + self.moe)


def _nps_answers(answers: pd.Series | Sequence[float] | np.ndarray,
                 argument: str) -> np.ndarray:
    series = answers if isinstance(answers, pd.Series) else pd.Series(answers, dtype="object")
    if isinstance(series.dtype, pd.StringDtype) or series.dtype == object:
        converted = pd.to_numeric(series, errors="coerce")
        bad = series.notna() & converted.isna()
        if bad.any():
            raise ValueError(f"{argument} holds a value that is not a number "
                             f"({series[bad].iloc[0]!r})")
        series = converted
    elif pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise TypeError(f"{argument} must be numeric 0–10 answers, not {series.dtype}")
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(x)
    if (np.isinf(x)).any():
        raise ValueError(f"{argument} holds an infinite value")
    bad_range = finite & ((x < NPS_MIN) | (x > NPS_MAX))
    if bad_range.any():
        raise ValueError(f"{argument} holds {x[bad_range][0]:g}; recommend answers are "
                         f"whole numbers {NPS_MIN}–{NPS_MAX}")
    not_whole = finite & (x != np.round(x))
    if not_whole.any():
        raise ValueError(f"{argument} holds {x[not_whole][0]:g}; recommend answers are "
                         f"whole numbers {NPS_MIN}–{NPS_MAX}")
    return x


def nps_contribution(answers: pd.Series | Sequence[float] | np.ndarray) -> pd.Series:
    """Per answer: +1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6), NaN if blank.

    The mean of this column over a group is ``p − d``; ``100 ×`` that mean is the group's
    NPS, which is how NPS rolls up with :func:`analysis.rollup.account_rollup`.
    """
    x = _nps_answers(answers, "answers")
    value = np.where(x >= PROMOTER_MIN, 1.0, np.where(x <= DETRACTOR_MAX, -1.0, 0.0))
    value = np.where(np.isfinite(x), value, np.nan)
    index = answers.index if isinstance(answers, pd.Series) else None
    return pd.Series(value, index=index, dtype="float64", name=NPS_CONTRIBUTION)


def nps(answers: pd.Series | Sequence[float] | np.ndarray) -> NpsResult:
    """Net Promoter Score with its margin of error (Reichheld 2003; DESIGN.md).

    ``p`` = share of answers 9–10, ``d`` = share of answers 0–6, over the ``n`` non-blank
    answers; ``NPS = 100·(p − d)``; ``MoE = 1.96·100·sqrt((p + d − (p − d)²)/n)``, the normal
    approximation to the 95 % interval of a mean of +1/0/−1 scores (population variance
    ``p + d − (p − d)²``). With ``n = 0`` both are NaN.

    Parameters
    ----------
    answers : Series or array-like
        Answers to the 0–10 recommend question; NaN = not answered.

    Raises
    ------
    ValueError
        An answer outside 0–10 or not a whole number.
    """
    x = _nps_answers(answers, "answers")
    x = x[np.isfinite(x)]
    n = int(x.size)
    promoters = int((x >= PROMOTER_MIN).sum())
    detractors = int((x <= DETRACTOR_MAX).sum())
    passives = n - promoters - detractors
    if n == 0:
        return NpsResult(np.nan, np.nan, 0, 0, 0, 0, np.nan, np.nan)
    p = promoters / n
    d = detractors / n
    variance = max(p + d - (p - d) ** 2, 0.0)
    moe = Z95 * 100.0 * float(np.sqrt(variance / n))
    return NpsResult(100.0 * (p - d), moe, n, promoters, passives, detractors, p, d)


def nps_table(frame: pd.DataFrame, column: str = "nps",
              by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """NPS per group: ``nps, moe, n, promoters, passives, detractors``.

    Unweighted (every answer counts once). For the buying-centre weighted account NPS use
    :func:`account_loyalty`.
    """
    _check_frame(frame, "frame")
    if column not in frame.columns:
        raise ValueError(f"column '{column}' is not in frame (argument column)")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for key in keys:
        if key not in frame.columns:
            raise ValueError(f"column '{key}' is not in frame (argument by)")
    contribution = nps_contribution(frame[column])
    fields = ("nps", "moe", "n", "promoters", "passives", "detractors")
    if not keys:
        r = nps(frame[column])
        return pd.DataFrame([{f: getattr(r, f) for f in fields}])
    work = pd.DataFrame({k: frame[k] for k in keys})
    work["_c"] = contribution.to_numpy()
    work["_p"] = (contribution == 1).to_numpy()
    work["_d"] = (contribution == -1).to_numpy()
    grouped = work.groupby(keys, sort=True, observed=True, dropna=False)
    n = grouped["_c"].count()
    promoters = grouped["_p"].sum()
    detractors = grouped["_d"].sum()
    p = promoters / n.where(n > 0)
    d = detractors / n.where(n > 0)
    variance = (p + d - (p - d) ** 2).clip(lower=0.0)
    out = pd.DataFrame({
        "nps": 100.0 * (p - d),
        "moe": Z95 * 100.0 * np.sqrt(variance / n.where(n > 0)),
        "n": n.astype("int64"),
        "promoters": promoters.astype("int64"),
        "passives": (n - promoters - detractors).astype("int64"),
        "detractors": detractors.astype("int64"),
    })
    return out


# --------------------------------------------------------------------------- loyalty scores


def loyalty_scores(responses: pd.DataFrame, instrument: Instrument,
                   degrees: Sequence[str] | None = None,
                   nps_item: str | None = "nps",
                   min_degrees: int = 3,
                   weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per respondent: the four degree scores, the loyalty index and the NPS contribution.

    ``degree_rk`` = mean 0–100 item index of degree k over the items r answered
    (:func:`construct_indices`); ``loyalty_index_r = Σ_k w_k·degree_rk / Σ_k w_k`` over the
    degrees r has, NaN unless r has at least ``min_degrees`` of them.

    Parameters
    ----------
    responses : DataFrame
        Wide answers, one row per respondent (metadata columns are carried through).
    instrument : Instrument
        The loyalty instrument (``instruments/loyalty.toml``).
    degrees : sequence of str, optional
        Construct ids of the degrees; default every construct of the instrument.
    nps_item : str or None
        The 0–10 recommend item (default ``"nps"``); None for no NPS columns.
    min_degrees : int
        Degrees a respondent needs for a loyalty index (default 3 of 4: one skipped block
        does not void the index, a single degree is not a loyalty index).
    weights : mapping, optional
        Degree → weight; default equal weights. A degree not listed weighs 0.

    Returns
    -------
    DataFrame
        Same index as ``responses``: the metadata columns present (``account_id``, ``role``…),
        one column per degree, ``loyalty_index``, ``loyalty_index.degrees`` (degrees used),
        and with ``nps_item``: ``nps_class`` (promoter/passive/detractor) and
        ``nps_contribution`` (+1/0/−1).
    """
    degree_ids = _check_constructs(instrument, degrees, "degrees")
    if (not isinstance(min_degrees, int) or isinstance(min_degrees, bool)
            or not 1 <= min_degrees <= len(degree_ids)):
        raise ValueError(f"min_degrees must be a whole number from 1 to {len(degree_ids)} "
                         f"(argument min_degrees)")
    w = _degree_weights(degree_ids, weights)
    scores = construct_indices(responses, instrument, degree_ids)
    values = scores.to_numpy(dtype="float64")
    present = np.isfinite(values)
    used = present.sum(axis=1)
    weight_sum = (present * w).sum(axis=1)
    weighted = np.where(present, values, 0.0) * w
    with np.errstate(invalid="ignore", divide="ignore"):
        index = weighted.sum(axis=1) / weight_sum
    index = np.where((used >= min_degrees) & (weight_sum > 0), index, np.nan)

    meta = [c for c in ("response_id", "account_id", "contact_id", "role", "wave")
            if c in responses.columns]
    out = responses[meta].copy()
    for c in degree_ids:
        out[c] = scores[c]
    out[LOYALTY_INDEX] = index
    out[f"{LOYALTY_INDEX}.degrees"] = used.astype("int64")
    if nps_item is not None:
        item = next((i for i in instrument.items if i.id == nps_item and not i.facets), None)
        if item is None:
            raise ValueError(f"instrument '{instrument.id}' has no single-answer item "
                             f"'{nps_item}' (argument nps_item)")
        scale = instrument.scales[item.scale]
        if (scale.min, scale.max) != (NPS_MIN, NPS_MAX):
            raise ValueError(f"item '{nps_item}' is on {scale.min}–{scale.max}; the recommend "
                             f"question must be on 0–10 (argument nps_item)")
        contribution = nps_contribution(responses[nps_item])
        out[NPS_CLASS] = pd.Series(
            np.select([contribution.to_numpy() == 1, contribution.to_numpy() == 0,
                       contribution.to_numpy() == -1],
                      ["promoter", "passive", "detractor"], default=""),
            index=responses.index, dtype="string").replace("", pd.NA)
        out[NPS_CONTRIBUTION] = contribution
    return out


def account_loyalty(scores: pd.DataFrame, degrees: Sequence[str] = DEGREES,
                    account: str = "account_id", role: str = "role",
                    weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Roll :func:`loyalty_scores` up to accounts with buying-centre role weights.

    Calls :func:`analysis.rollup.account_rollup` on the degrees, ``loyalty_index`` and
    ``nps_contribution`` (DESIGN.md: "NPS rolls up the same way on (p − d)"), then adds
    ``nps = 100 × nps_contribution`` (role-weighted) and ``nps.unweighted`` =
    ``100 × nps_contribution.mean``; ``nps.n`` is the number of answers.

    Returns
    -------
    DataFrame
        Indexed by account: for each measure ``m`` the columns ``m``, ``m.mean``, ``m.n``;
        then ``n``, ``roles``, ``nps``, ``nps.unweighted``, ``nps.n``.
    """
    _check_frame(scores, "scores")
    measures = [m for m in (*degrees, LOYALTY_INDEX, NPS_CONTRIBUTION) if m in scores.columns]
    missing = [m for m in (*degrees, LOYALTY_INDEX) if m not in scores.columns]
    if missing:
        raise ValueError(f"scores lack the columns {missing} (argument scores; "
                         f"use loyalty_scores first)")
    rolled = account_rollup(scores, measures, account=account, role=role, weights=weights)
    if NPS_CONTRIBUTION in measures:
        rolled["nps"] = 100.0 * rolled[NPS_CONTRIBUTION]
        rolled["nps.unweighted"] = 100.0 * rolled[f"{NPS_CONTRIBUTION}.mean"]
        rolled["nps.n"] = rolled[f"{NPS_CONTRIBUTION}.n"]
    return rolled


# --------------------------------------------------------------------------- quadrant


def jones_sasser(frame: pd.DataFrame, satisfaction: str = "satisfaction",
                 loyalty: str = LOYALTY_INDEX, sat_threshold: float = 80.0,
                 loy_threshold: float = 70.0, apostle_threshold: float = 90.0) -> pd.DataFrame:
    """Satisfaction × loyalty quadrant per account (Jones & Sasser 1995).

    High satisfaction means ``satisfaction ≥ sat_threshold``, high loyalty
    ``loyalty ≥ loy_threshold`` (both on 0–100):

    ============  ==================  =================
    quadrant      satisfaction        loyalty
    ============  ==================  =================
    loyalist      high                high
    mercenary     high                low
    hostage       low                 high
    defector      low                 low
    ============  ==================  =================

    A loyalist whose satisfaction and loyalty are both ``≥ apostle_threshold`` is flagged as an
    apostle, Jones & Sasser's most satisfied and most loyal customer.

    Defaults. Jones & Sasser's finding is that only *completely* satisfied customers are
    secure: on their 1–5 scale "satisfied" (4) is 75 on 0–100 and "completely satisfied" (5)
    is 100, so high satisfaction starts above 75, at 80. High loyalty starts at 70, the 0–100
    index of 7 on the 0–10 recommend scale, the lowest answer that is not a detractor.
    Apostles: 90, the 0–100 index of a promoter's 9.

    Parameters
    ----------
    frame : DataFrame
        One row per account with both columns (0–100; NaN = unknown).

    Returns
    -------
    DataFrame
        Same index: ``quadrant`` (string; NA where either value is missing) and ``apostle``
        (boolean; False where unknown).
    """
    _check_frame(frame, "frame")
    for name, col in (("satisfaction", satisfaction), ("loyalty", loyalty)):
        if col not in frame.columns:
            raise ValueError(f"column '{col}' is not in frame (argument {name})")
    for name, value in (("sat_threshold", sat_threshold), ("loy_threshold", loy_threshold),
                        ("apostle_threshold", apostle_threshold)):
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not 0 <= value <= 100):
            raise ValueError(f"{name} must be a number in [0, 100] (argument {name})")
    s = _numeric(frame, satisfaction, "satisfaction")
    lo = _numeric(frame, loyalty, "loyalty")
    for name, col, x in (("satisfaction", satisfaction, s), ("loyalty", loyalty, lo)):
        bad = ~np.isnan(x) & ((x < 0) | (x > 100) | np.isinf(x))
        if bad.any():
            raise ValueError(f"column '{col}' holds {x[bad][0]:g}; the quadrant needs 0–100 "
                             f"indices (argument {name})")
    known = np.isfinite(s) & np.isfinite(lo)
    high_s = s >= sat_threshold
    high_l = lo >= loy_threshold
    label = np.select([high_s & high_l, high_s & ~high_l, ~high_s & high_l],
                      ["loyalist", "mercenary", "hostage"], default="defector")
    quadrant = pd.Series(np.where(known, label, ""), index=frame.index,
                         dtype="string").replace("", pd.NA)
    apostle = known & (s >= apostle_threshold) & (lo >= apostle_threshold)
    return pd.DataFrame({"quadrant": quadrant,
                         "apostle": pd.Series(apostle, index=frame.index, dtype="bool")})


# --------------------------------------------------------------------------- helpers


def _check_frame(frame: object, argument: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{argument} must be a pandas DataFrame, not {type(frame).__name__}")


def _check_constructs(instrument: Instrument, constructs: Sequence[str] | None,
                      argument: str = "constructs") -> list[str]:
    known = [c.id for c in instrument.constructs]
    if constructs is None:
        return known
    if isinstance(constructs, str):
        raise TypeError(f"{argument} must be a sequence of construct ids, not a string")
    unknown = [c for c in constructs if c not in known]
    if unknown:
        raise ValueError(f"instrument '{instrument.id}' has no construct {unknown[0]!r} "
                         f"(known: {', '.join(known)}) (argument {argument})")
    return list(constructs)


def _degree_weights(degrees: list[str], weights: Mapping[str, float] | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(degrees))
    unknown = [k for k in weights if k not in degrees]
    if unknown:
        raise ValueError(f"weights name {unknown[0]!r}, which is not a degree "
                         f"(argument weights)")
    w = np.array([float(weights.get(k, 0.0)) for k in degrees])
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative numbers, not all zero "
                         "(argument weights)")
    return w
