"""Net Promoter Score (Reichheld 2003): the score, its margin of error, and its roll-up.

Promoters answer 9–10 and detractors 0–6 on the 0–10 recommend question;
``NPS = 100·(p − d)`` with margin of error ``1.96·100·sqrt((p + d − (p − d)²)/n)`` over the
``n`` non-blank answers. Per respondent the NPS contribution is +1 (promoter), 0 (passive),
−1 (detractor), so the mean contribution is ``p − d`` and NPS rolls up to accounts like any
other measure (``analysis.loyalty.account_loyalty``). ``docs/METHODS.md`` section 5.3.

Missing answers are NaN and never count as zero. Every statistic says its n.

Import from this module by name (``from analysis.nps import nps_table``): on the package,
``analysis.nps`` is the function :func:`nps`, as it has always been.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import numeric_values, require_column, require_frame

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
NPS_MIN = 0
NPS_MAX = 10
Z95 = 1.96

NPS_CONTRIBUTION = "nps_contribution"
NPS_CLASS = "nps_class"


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


def recommend_answers(answers: pd.Series | Sequence[float] | np.ndarray,
                      argument: str = "answers") -> np.ndarray:
    """Answers to the 0–10 recommend question as float64 (NaN = blank), checked.

    Raises
    ------
    ValueError
        Text that is not a number, an infinite value, an answer outside 0–10 or not a whole
        number (each naming ``argument``).
    TypeError
        A boolean or other non-numeric dtype.
    """
    series = answers if isinstance(answers, pd.Series) else pd.Series(answers, dtype="object")
    x = numeric_values(series, argument)
    finite = np.isfinite(x)
    off = finite & ((x < NPS_MIN) | (x > NPS_MAX) | (x != np.round(x)))
    if off.any():
        raise ValueError(f"{argument} holds {x[off][0]:g}; recommend answers are "
                         f"whole numbers {NPS_MIN}–{NPS_MAX}")
    return x


def nps_contribution(answers: pd.Series | Sequence[float] | np.ndarray) -> pd.Series:
    """Per answer: +1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6), NaN if blank.

    The mean of this column over a group is ``p − d``; ``100 ×`` that mean is the group's
    NPS, which is how NPS rolls up with :func:`analysis.rollup.account_rollup`.
    """
    x = recommend_answers(answers, "answers")
    value = np.where(x >= PROMOTER_MIN, 1.0, np.where(x <= DETRACTOR_MAX, -1.0, 0.0))
    value = np.where(np.isfinite(x), value, np.nan)
    index = answers.index if isinstance(answers, pd.Series) else None
    return pd.Series(value, index=index, dtype="float64", name=NPS_CONTRIBUTION)


def nps(answers: pd.Series | Sequence[float] | np.ndarray) -> NpsResult:
    """Net Promoter Score with its margin of error (Reichheld 2003; docs/METHODS.md 5.3).

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
    x = recommend_answers(answers, "answers")
    x = x[np.isfinite(x)]
    n = int(x.size)
    promoters = int((x >= PROMOTER_MIN).sum())
    detractors = int((x <= DETRACTOR_MAX).sum())
    passives = n - promoters - detractors
    if n == 0:
        return NpsResult(np.nan, np.nan, 0, 0, 0, 0, np.nan, np.nan)
    score, moe, _n = nps_of_counts(promoters, passives, detractors)
    return NpsResult(float(score), float(moe), n, promoters, passives, detractors,
                     promoters / n, detractors / n)


def nps_of_counts(promoters: np.ndarray | int, passives: np.ndarray | int,
                  detractors: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPS, its margin of error and ``n`` from counts: the formula's one home.

    ``n = promoters + passives + detractors``, ``p``, ``d`` the shares;
    ``NPS = 100·(p − d)``, ``MoE = 1.96·100·sqrt((p + d − (p − d)²)/n)`` (docs/METHODS.md
    5.3). Counts are whole numbers or arrays of them (per group); NPS and MoE are float64
    arrays (0-d for single counts), NaN where ``n = 0``; ``n`` is int64.
    """
    promoters, passives, detractors = (np.asarray(c, dtype="int64")
                                       for c in (promoters, passives, detractors))
    n = promoters + passives + detractors
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0 → NaN, as documented
        p = promoters / n
        d = detractors / n
        variance = np.maximum(p + d - (p - d) ** 2, 0.0)
        return 100.0 * (p - d), Z95 * 100.0 * np.sqrt(variance / n), n


def nps_table(frame: pd.DataFrame, column: str = "nps",
              by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """NPS per group: ``nps, moe, n, promoters, passives, detractors``.

    Unweighted (every answer counts once). For the buying-centre weighted account NPS use
    :func:`analysis.loyalty.account_loyalty`.
    """
    require_frame(frame, "frame")
    require_column(frame, column, "column")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for key in keys:
        require_column(frame, key, "by")
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
    promoters = grouped["_p"].sum().astype("int64")
    detractors = grouped["_d"].sum().astype("int64")
    passives = (n - promoters - detractors).astype("int64")
    score, moe, counted = nps_of_counts(promoters.to_numpy(), passives.to_numpy(),
                                        detractors.to_numpy())
    return pd.DataFrame({
        "nps": score, "moe": moe, "n": counted, "promoters": promoters,
        "passives": passives, "detractors": detractors,
    }, index=n.index)
