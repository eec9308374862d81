"""Simulated survey answers for demos, benchmarks and tests, for any questionnaire.

Answers come from latent scores, not uniform noise: each account has a service level per
construct (its overall level plus a construct-specific deviation), each respondent sees it
through their role and their own mood, and each item adds a little noise. Expectations
(facet ``e``) sit high and vary less, as they do in published SERVQUAL data, so gaps are
mostly negative and differ between accounts and dimensions in believable ways.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .instrument import Questionnaire

ROLE_SHIFT: Mapping[str, float] = {
    # users and technical buyers meet the service daily and are the harshest judges
    "economic": 0.15, "technical": -0.15, "user": -0.25, "financial": 0.05,
    "coach": 0.45, "influencer": 0.0,
}
EXPECTATION_FACET = "e"


def _scale_answers(latent: np.ndarray, lo: int, hi: int, center: float,
                   rng: np.random.Generator, noise: float) -> np.ndarray:
    """Latent z → integer answers on [lo, hi] through a logistic curve around ``center``."""
    share = 1.0 / (1.0 + np.exp(-(center + latent)))
    raw = lo + (hi - lo) * share + rng.normal(0.0, noise * (hi - lo) / 6.0, latent.shape)
    return np.clip(np.rint(raw), lo, hi)


def simulate_responses(questionnaire: Questionnaire, respondents: pd.DataFrame,
                       account_level: Mapping[str, float] | pd.Series,
                       seed: int = 0, missing_share: float = 0.0) -> pd.DataFrame:
    """Simulate one wide response row per respondent.

    Parameters
    ----------
    respondents : DataFrame
        ``response_id``, ``account_id``, ``role`` (and any other metadata to keep).
    account_level : mapping or Series
        Account id → overall service level as a z-score (about −1.5 … 1.5).
    seed : int
        Seed of the generator; the same inputs and seed give the same answers.
    missing_share : float
        Share of numeric answers blanked at random (0 for web submissions, where
        every required item is answered).
    """
    if not 0.0 <= missing_share < 1.0:
        raise ValueError("missing_share must be in [0, 1) (argument missing_share)")
    rng = np.random.default_rng(seed)
    n = len(respondents)
    accounts = respondents["account_id"].astype("string").to_numpy()
    codes, account_idx = np.unique(accounts, return_inverse=True)
    level = pd.Series(account_level, dtype="float64").reindex(codes).fillna(0.0).to_numpy()
    roles = respondents["role"].astype("string").fillna("").to_numpy()
    role_shift = np.array([ROLE_SHIFT.get(str(r), 0.0) for r in roles])
    mood = rng.normal(0.0, 0.35, n)
    out = respondents.reset_index(drop=True).copy()
    columns: dict[str, np.ndarray] = {}
    for instrument in questionnaire.instruments:
        for construct in instrument.constructs:
            deviation = rng.normal(0.0, 0.45, len(codes))
            latent = (level + deviation)[account_idx] + role_shift + mood + rng.normal(
                0.0, 0.45, n)
            expectation = rng.normal(0.0, 0.5, n)
            for item in instrument.items_of(construct.id):
                scale = instrument.scales[item.scale]
                item_bias = rng.normal(0.0, 0.15)
                for col in item.columns:
                    facet = col.split(".", 1)[1] if "." in col else None
                    if facet == EXPECTATION_FACET:
                        values = _scale_answers(expectation + item_bias, scale.min, scale.max,
                                                1.6, rng, 0.5)
                    else:
                        z = latent + item_bias
                        values = _scale_answers(-z if item.reverse else z, scale.min,
                                                scale.max, 0.7, rng, 0.6)
                    columns[col] = values
        for allocation in instrument.allocations:
            concentration = np.linspace(2.0, 4.0, len(allocation.constructs))[::-1]
            shares = rng.dirichlet(np.roll(concentration, 1) * 2.0, n)
            points = np.floor(shares * allocation.total)
            remainder = allocation.total - points.sum(axis=1)
            points[np.arange(n), shares.argmax(axis=1)] += remainder
            for k, col in enumerate(allocation.columns):
                columns[col] = points[:, k]
    numeric = pd.DataFrame(columns, index=out.index, dtype="float64")
    if missing_share > 0:
        alloc_cols = {c for a in questionnaire.allocations for c in a.columns}
        blank = rng.random(numeric.shape) < missing_share
        blank[:, [k for k, c in enumerate(numeric.columns) if c in alloc_cols]] = False
        numeric = numeric.mask(blank)
    return pd.concat([out, numeric[list(questionnaire.numeric_columns)]], axis=1)
