"""Four degrees of loyalty, the loyalty index and the Jones & Sasser quadrant.

Definitions (``docs/METHODS.md`` section 5):

* item index: an answer ``x`` on the scale ``[lo, hi]`` becomes ``100·(x − lo)/(hi − lo)``;
  a reverse-worded item becomes ``100·(hi − x)/(hi − lo)`` (``analysis.scales``);
* construct (degree) score of a respondent: the mean of its item indices over the items it
  answered (NaN when it answered none);
* loyalty index of a respondent: the (weighted) mean of its degree scores, over the degrees it
  has, when it has at least ``min_degrees`` of them;
* NPS: ``analysis.nps`` (its names are re-exported here for the callers that import them
  from this module); the NPS contribution rolls up to accounts with the degrees.

Missing answers are NaN and never count as zero. Every statistic says its n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .checks import name_list, numeric_column, require_column, require_frame
from .instrument import Instrument, Item
from .nps import (
    DETRACTOR_MAX,
    NPS_CLASS,
    NPS_CONTRIBUTION,
    NPS_MAX,
    NPS_MIN,
    PROMOTER_MIN,
    Z95,
    NpsResult,
    nps,
    nps_contribution,
    nps_table,
)
from .rollup import account_rollup
from .scales import block_index, check_on_scale, rescale_0_100

__all__ = [  # NPS lives in analysis.nps; its names stay importable from here
    "DEGREES", "DETRACTOR_MAX", "LOYALTY_INDEX", "NPS_CLASS", "NPS_CONTRIBUTION", "NPS_MAX",
    "NPS_MIN", "PROMOTER_MIN", "QUADRANTS", "Z95", "NpsResult", "account_loyalty",
    "construct_indices", "item_indices", "jones_sasser", "loyalty_scores", "nps",
    "nps_contribution", "nps_table",
]

DEGREES = ("repurchase", "dependence", "price_tolerance", "advocacy")
LOYALTY_INDEX = "loyalty_index"

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
    require_frame(responses, "responses")
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
        x = numeric_column(responses, col, "responses", frame_name="responses",
                           label_kind="row")
        check_on_scale(x[:, None], np.array([scale.min]), np.array([scale.max]), [col],
                       "responses")
        out[col] = rescale_0_100(x, scale.min, scale.max, reverse=item.reverse)
    return pd.DataFrame(out, index=responses.index, dtype="float64")


def construct_indices(responses: pd.DataFrame, instrument: Instrument,
                      constructs: Sequence[str] | None = None,
                      facet: str | None = None) -> pd.DataFrame:
    """Per respondent and construct: the mean 0–100 item index over the items answered.

    ``score_rc = mean_{i ∈ c, answered by r} 100·(x_ri − lo_i)/(hi_i − lo_i)`` (reverse items
    mirrored), the equal-weight :func:`analysis.scales.block_index` (``docs/METHODS.md``
    section 1.5). NaN when the respondent answered none of the construct's items.

    Returns
    -------
    DataFrame
        Same index as ``responses``; one column per construct (instrument order).
    """
    wanted = _check_constructs(instrument, constructs)
    indices = item_indices(responses, instrument, wanted, facet)
    out: dict[str, np.ndarray] = {}
    for c in wanted:
        cols = [col for _, col in _item_columns(instrument, instrument.items_of(c), facet)]
        if not cols:
            raise ValueError(f"construct '{c}' of instrument '{instrument.id}' has no "
                             f"{'single-answer' if facet is None else repr(facet)} items "
                             f"(argument {'constructs' if constructs is not None else 'facet'})")
        out[c] = block_index(indices[cols].to_numpy())
    return pd.DataFrame(out, index=responses.index, dtype="float64")


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
    ``nps_contribution`` (NPS rolls up the same way, on ``p − d``: ``docs/METHODS.md``
    section 5.3), then adds
    ``nps = 100 × nps_contribution`` (role-weighted) and ``nps.unweighted`` =
    ``100 × nps_contribution.mean``; ``nps.n`` is the number of answers.

    Returns
    -------
    DataFrame
        Indexed by account: for each measure ``m`` the columns ``m``, ``m.mean``, ``m.n``;
        then ``n``, ``roles``, ``nps``, ``nps.unweighted``, ``nps.n``.
    """
    require_frame(scores, "scores")
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
    require_frame(frame, "frame")
    for name, col in (("satisfaction", satisfaction), ("loyalty", loyalty)):
        require_column(frame, col, name)
    for name, value in (("sat_threshold", sat_threshold), ("loy_threshold", loy_threshold),
                        ("apostle_threshold", apostle_threshold)):
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not 0 <= value <= 100):
            raise ValueError(f"{name} must be a number in [0, 100] (argument {name})")
    s = numeric_column(frame, satisfaction, "satisfaction", frame_name="frame")
    lo = numeric_column(frame, loyalty, "loyalty", frame_name="frame")
    for name, col, x in (("satisfaction", satisfaction, s), ("loyalty", loyalty, lo)):
        bad = ~np.isnan(x) & ((x < 0) | (x > 100))
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


def _check_constructs(instrument: Instrument, constructs: Sequence[str] | None,
                      argument: str = "constructs") -> list[str]:
    known = [c.id for c in instrument.constructs]
    if constructs is None:
        return known
    wanted = name_list(constructs, argument, "construct ids", allow_empty=True)
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"instrument '{instrument.id}' has no construct {unknown[0]!r} "
                         f"(known: {', '.join(known)}) (argument {argument})")
    return wanted


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
