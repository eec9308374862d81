"""PLS path modelling of the satisfaction index model (ACSI/ECSI style), as R ``plspm`` does it.

Definitions (``docs/METHODS.md`` section 4):

* indicators are standardized by default (mean 0, variance 1 with divisor n, as plspm);
  ``scaled=False`` only centres them (plspm's ``scaled = FALSE``);
* outer weights by mode A (every block reflective); inner weights by the path scheme
  (``scheme="centroid"`` and ``"factorial"`` are also available);
* the iteration stops when no outer weight changes by ``tol`` (default 1e-7) or more;
* reported: outer weights, loadings, path coefficients, R², AVE, Dillon-Goldstein's rho,
  standardized Cronbach's alpha, communality, redundancy, GoF, latent scores; and each
  construct's 0–100 index as the ACSI computes it (``analysis.scales``).

The algorithm is Lohmöller's (1989), written — as plspm's iteration can be — on the
indicators' covariance matrix ``S = XᵀX / n`` of the treated (centred or standardized)
data: with ``W`` the outer weights scaled so that every latent variable has variance 1,
the latent correlations are ``C = Wᵀ S W``; the inner weights ``E`` come from ``C``; and the
mode A update ``W ← (S W E) ∘ ODM`` (``ODM`` the indicator-to-construct design matrix) is
plspm's ``(1/n)·Xᵀ Z`` with ``Z = Y E``. Nothing in the iteration loops over respondents,
and the bootstrap only needs one ``S`` per resample.

Rows: listwise deletion over every indicator of the model; ``n`` is the rows used. The 0–100
index is the one exception: its weights are estimated on those rows, and then every
respondent who answered an item of a block gets the block's index over the items answered
(:func:`analysis.scales.block_index`), as the accounts' satisfaction is computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .checks import require_frame, require_numeric_columns
from .columns import answered_rows
from .columns import as_float64 as _as_float64
from .columns import stored_values as _stored_values
from .instrument import Instrument
from .reliability import standardized_alpha_from_corr
from .scales import (
    acsi_weights,
    block_index,
    check_on_scale,
    instrument_ranges,
    rescale_0_100,
    scale_bounds,
)

SCHEMES = ("path", "centroid", "factorial")
_ARROW = re.compile(r"^\s*(\S+)\s*->\s*(\S+)\s*$")


class ConvergenceError(RuntimeError):
    """The PLS iteration did not converge within ``max_iter`` iterations."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PLSResult:
    """A fitted PLS path model.

    Attributes
    ----------
    n : int
        Respondents used (complete on every indicator of the model).
    blocks : mapping of str to tuple of str
        Construct id → indicator columns, in model order.
    paths : tuple of (str, str)
        Structural paths ``(source, target)``.
    scaled : bool
        Whether indicators were standardized (else only centred).
    scheme : str
        Inner weighting scheme.
    iterations : int
        Iterations until convergence.
    outer : DataFrame
        Per indicator: ``construct``, ``weight`` (outer weight; the latent score is
        ``Σ weight · treated indicator``), ``loading`` (correlation with its construct's
        score), ``communality`` (loading²), ``redundancy`` (communality × R² of its
        construct; NaN for exogenous constructs) and, when ``ranges`` were given,
        ``index_weight`` (the ACSI weight on the 0–100 indicator, summing to 1 per block).
    inner : DataFrame
        Per path, indexed ``"A -> B"``: ``source``, ``target``, ``estimate``,
        ``std_error``, ``t``, ``p`` (OLS of the standardized scores, as plspm's inner model).
    constructs : DataFrame
        Per construct: ``type`` (exogenous/endogenous), ``k`` (indicators), ``r2`` (NaN
        for exogenous), ``block_communality`` (mean communality), ``mean_redundancy``,
        ``ave``, ``alpha_std`` (standardized Cronbach's alpha), ``dg_rho``
        (Dillon-Goldstein's rho), ``eig_1st``, ``eig_2nd`` (eigenvalues of the block's
        correlation matrix), ``index`` (ACSI-style 0–100 index: the mean of
        ``index_scores``; NaN without ranges) and ``index_n`` (the respondents behind it:
        every row that answered one of the block's items, not only the rows used in the
        fit; 0 without ranges).
    effects : DataFrame
        Per pair connected by at least one directed path, indexed ``"A -> B"``:
        ``source``, ``target``, ``direct``, ``indirect``, ``total``.
    crossloadings : DataFrame
        Correlation of every indicator with every construct score.
    scores : DataFrame
        Latent variable scores (mean 0, variance 1 with divisor n, as plspm), indexed like
        the rows used.
    gof : float
        Goodness of fit ``sqrt(mean communality · mean R²)`` (Tenenhaus et al. 2004).
    index_scores : DataFrame or None
        Per respondent and construct, the 0–100 index score over the items the respondent
        answered (when ``ranges`` were given), indexed like ``data``: NaN for a respondent
        who answered none of the block's items.
    """

    n: int
    blocks: Mapping[str, tuple[str, ...]]
    paths: tuple[tuple[str, str], ...]
    scaled: bool
    scheme: str
    iterations: int
    outer: pd.DataFrame
    inner: pd.DataFrame
    constructs: pd.DataFrame
    effects: pd.DataFrame
    crossloadings: pd.DataFrame
    scores: pd.DataFrame
    gof: float
    index_scores: pd.DataFrame | None = None

    @property
    def outer_weights(self) -> pd.Series:
        """Outer weights by indicator."""
        return self.outer["weight"]

    @property
    def loadings(self) -> pd.Series:
        """Loadings by indicator."""
        return self.outer["loading"]

    @property
    def path_coefficients(self) -> pd.Series:
        """Path coefficients keyed ``"A -> B"``."""
        return self.inner["estimate"]

    @property
    def r2(self) -> pd.Series:
        """R² of each endogenous construct."""
        endogenous = self.constructs["type"] == "endogenous"
        return self.constructs.loc[endogenous, "r2"]

    @property
    def indices(self) -> pd.Series:
        """ACSI-style 0–100 index of each construct (NaN when no ranges were given)."""
        return self.constructs["index"]


@dataclass(frozen=True)
class PLSBootstrap:
    """Bootstrap percentile intervals of a PLS path model.

    Attributes
    ----------
    paths : DataFrame
        Indexed ``"A -> B"``: ``original``, ``mean``, ``std_error`` (ddof = 1 over the
        resamples), ``lo``, ``hi`` (percentile interval).
    r2 : DataFrame
        The same for the R² of each endogenous construct.
    n : int
        Respondents in the data (complete on every indicator).
    n_boot : int
        Resamples drawn.
    n_used : int
        Resamples whose estimation converged (the others are left out).
    confidence : float
        Coverage of ``lo``–``hi``.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    """

    paths: pd.DataFrame
    r2: pd.DataFrame
    n: int
    n_boot: int
    n_used: int
    confidence: float
    seed: int | None


# --------------------------------------------------------------------------- instrument helpers


def blocks_from_instrument(instrument: Instrument) -> dict[str, list[str]]:
    """Construct id → the construct's single-answer item columns.

    When the instrument has a ``[model]``, only the constructs named in its paths are
    returned (in the instrument's construct order), so that the result can go straight into
    :func:`pls_pm` with :func:`paths_from_instrument`; otherwise every construct with at
    least one single-answer item. Reverse-keyed items are listed as they are: recode them
    (``lo + hi − x``) before estimating.
    """
    if not isinstance(instrument, Instrument):
        raise TypeError(f"instrument must be an Instrument, not {type(instrument).__name__}")
    in_model: set[str] | None = None
    if instrument.model is not None:
        in_model = {c for path in instrument.model.paths for c in path}
    blocks: dict[str, list[str]] = {}
    for construct in instrument.constructs:
        if in_model is not None and construct.id not in in_model:
            continue
        cols = instrument.single_columns(construct.id)
        if cols:
            blocks[construct.id] = cols
        elif in_model is not None:
            raise ValueError(f"instrument '{instrument.id}': construct '{construct.id}' is in "
                             f"the model but has no single-answer items")
    return blocks


def paths_from_instrument(instrument: Instrument) -> list[tuple[str, str]]:
    """The structural paths ``(source, target)`` of the instrument's ``[model]``."""
    if not isinstance(instrument, Instrument):
        raise TypeError(f"instrument must be an Instrument, not {type(instrument).__name__}")
    if instrument.model is None:
        raise ValueError(f"instrument '{instrument.id}' has no [model] paths")
    return list(instrument.model.paths)


def ranges_from_instrument(instrument: Instrument,
                           blocks: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """Column → (min, max) of its scale, for every indicator in ``blocks``."""
    ranges: dict[str, tuple[int, int]] = {}
    for construct, cols in blocks.items():
        ranges.update(instrument_ranges(instrument, cols, f"blocks['{construct}']"))
    return ranges


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Model:
    names: tuple[str, ...]
    blocks: Mapping[str, tuple[str, ...]]
    columns: tuple[str, ...]
    paths: tuple[tuple[str, str], ...]
    odm: np.ndarray  # p × L, 1 where indicator i belongs to construct j
    design: np.ndarray  # L × L, design[target, source] = 1 for every path
    block_of: np.ndarray = field(repr=False)  # p, construct position of each indicator


def _model(blocks: Mapping[str, Sequence[str]], paths: Sequence[Any]) -> _Model:
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError("blocks must be a non-empty mapping of construct id to columns")
    names = tuple(blocks)
    clean: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name in names:
        cols = blocks[name]
        if isinstance(cols, str) or not isinstance(cols, Sequence):
            raise TypeError(f"blocks['{name}'] must be a sequence of column names")
        if not cols:
            raise ValueError(f"blocks['{name}'] has no columns")
        for col in cols:
            if col in owner:
                raise ValueError(f"column '{col}' is in blocks['{owner[col]}'] and "
                                 f"blocks['{name}']; an indicator belongs to one construct")
            owner[col] = name
        clean[name] = tuple(cols)
    if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
        raise ValueError("paths must be a non-empty sequence of (source, target) pairs "
                         "or 'A -> B' strings")
    pairs: list[tuple[str, str]] = []
    for p in paths:
        if isinstance(p, str):
            m = _ARROW.match(p)
            if not m:
                raise ValueError(f"paths: {p!r} is not of the form 'A -> B'")
            pair = (m.group(1), m.group(2))
        elif isinstance(p, Sequence) and len(p) == 2:
            pair = (str(p[0]), str(p[1]))
        else:
            raise ValueError(f"paths: {p!r} is not a (source, target) pair")
        for end in pair:
            if end not in clean:
                raise ValueError(f"paths: construct '{end}' in {p!r} is not in blocks")
        if pair[0] == pair[1]:
            raise ValueError(f"paths: a construct cannot point to itself: {p!r}")
        if pair in pairs:
            raise ValueError(f"paths: {pair[0]} -> {pair[1]} is listed twice")
        pairs.append(pair)
    connected = {c for pair in pairs for c in pair}
    lonely = [n for n in names if n not in connected]
    if lonely:
        raise ValueError(f"blocks {lonely} are in no path; every construct needs one")
    L = len(names)
    pos = {n: i for i, n in enumerate(names)}
    design = np.zeros((L, L))
    for source, target in pairs:
        design[pos[target], pos[source]] = 1.0
    if not _acyclic(design):
        raise ValueError("paths form a cycle; the model must be recursive")
    columns = tuple(c for n in names for c in clean[n])
    block_of = np.array([pos[owner[c]] for c in columns])
    odm = np.zeros((len(columns), L))
    odm[np.arange(len(columns)), block_of] = 1.0
    return _Model(names, MappingProxyType(clean), columns, tuple(pairs), odm, design, block_of)


def _acyclic(design: np.ndarray) -> bool:
    reach = design.copy()
    for _ in range(design.shape[0]):
        if np.trace(reach) > 0:
            return False
        reach = np.minimum(reach @ design + reach, 1.0)
    return np.trace(reach) == 0


def _complete_rows(data: pd.DataFrame, model: _Model) -> tuple[np.ndarray, pd.Index]:
    """The rows with every indicator answered, as float64, and their index labels.

    Read from the frame column by column: the indicators of every row (complete or not)
    are not held as one array beside the complete rows."""
    require_frame(data, "data")
    require_numeric_columns(data, model.columns, "data (columns named in blocks)")
    keep = answered_rows(data, model.columns)
    x = _as_float64(data, list(model.columns), keep)
    n = x.shape[0]
    most_predictors = int(model.design.sum(axis=1).max())
    if n < max(3, most_predictors + 2):
        raise ValueError(f"data: only {n} rows have every indicator answered; the model "
                         f"needs at least {max(3, most_predictors + 2)}")
    # an indicator varies unless all its values are equal (what sd > 0 tests), and its
    # range says so without the sd's temporaries over a million rows
    spread = x.max(axis=0) - x.min(axis=0)
    flat = [c for c, s in zip(model.columns, spread, strict=True) if not s > 0]
    if flat:
        raise ValueError(f"data: indicator(s) {flat} do not vary in the {n} rows used")
    return x, data.index[keep]


def _check_on_scale(data: pd.DataFrame, model: _Model, lo: np.ndarray,
                    hi: np.ndarray) -> None:
    """:func:`check_on_scale` over every row, one indicator at a time (same message)."""
    for j, column in enumerate(model.columns):
        # at the column's stored width: widening to float64 changes no comparison
        check_on_scale(_stored_values(data, column)[:, None], lo[j:j + 1], hi[j:j + 1],
                       [column], "ranges")


def _check_options(scaled: bool, scheme: str, tol: float, max_iter: int) -> None:
    if not isinstance(scaled, bool):
        raise TypeError(f"scaled must be True or False, not {scaled!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
    if not isinstance(tol, int | float) or not tol > 0:
        raise ValueError(f"tol must be a positive number, not {tol!r}")
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive whole number, not {max_iter!r}")


# --------------------------------------------------------------------------- the algorithm


def _normalize(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Scale each column of ``w`` so that its composite has variance 1 under ``s``."""
    var = np.einsum("bpl,bpq,bql->bl", w, s, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return w / np.sqrt(var)[:, None, :]


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``a⁻¹ b`` for ``a`` (B, m, m) and vectors ``b`` (B, m)."""
    return np.linalg.solve(a, b[..., None])[..., 0]


def _inner_weights(c: np.ndarray, design: np.ndarray, scheme: str) -> np.ndarray:
    adjacent = design + design.T
    if scheme == "centroid":
        return np.sign(c) * adjacent
    if scheme == "factorial":
        return c * adjacent
    # path scheme (Lohmöller 1989; plspm's get_path_scheme): for construct k, its
    # predecessors weigh in with the coefficients of the regression of k on them, its
    # followers with their correlation with k
    e = np.zeros_like(c)
    for k in range(design.shape[0]):
        pred = np.flatnonzero(design[k])
        if pred.size:
            e[:, pred, k] = _solve(c[:, pred][:, :, pred], c[:, pred, k])
        foll = np.flatnonzero(design[:, k])
        if foll.size:
            e[:, foll, k] = c[:, k, foll]
    return e


def _iterate(s: np.ndarray, model: _Model, scheme: str, tol: float,
             max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outer weights for a stack of covariance matrices ``s`` (B, p, p).

    Returns the weights (B, p, L), normalized to unit latent variance, the iterations used
    and whether each converged (no weight changed by ``tol`` or more in the last one).
    """
    b = s.shape[0]
    odm = model.odm
    w = _normalize(s, np.broadcast_to(odm, (b, *odm.shape)).copy())
    iterations = np.zeros(b, dtype="int64")
    converged = np.zeros(b, dtype=bool)
    for it in range(1, max_iter + 1):
        active = np.flatnonzero(~converged)
        wa, sa = w[active], s[active]
        c = np.einsum("bpl,bpq,bqm->blm", wa, sa, wa)
        e = _inner_weights(c, model.design, scheme)
        new = _normalize(sa, (sa @ wa @ e) * odm)
        with np.errstate(invalid="ignore"):
            change = np.abs(np.abs(new) - np.abs(wa)).max(axis=(1, 2))
        w[active] = new
        iterations[active] = it
        converged[active[change < tol]] = True
        if converged.all():
            break
    return w, iterations, converged


def _orient(s: np.ndarray, w: np.ndarray, model: _Model) -> np.ndarray:
    """Flip a construct whose indicators mostly correlate negatively with it.

    The vote is plspm's (the sum of the signs of the block's loadings); on a tie the
    orientation the iteration gave is kept, as in the published plspm results on ``russa``.
    """
    sd = np.sqrt(np.einsum("bii->bi", s))
    cross = (s @ w) / sd[:, :, None]
    votes = np.einsum("bpl,pl->bl", np.sign(cross), model.odm)
    return w * np.where(votes < 0, -1.0, 1.0)[:, None, :]


def _structural(c: np.ndarray, model: _Model) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficient matrices (B, L, L), ``[target, source]``, and R² (B, L)."""
    coef = np.zeros_like(c)
    r2 = np.full(c.shape[:2], np.nan)
    for k in range(model.design.shape[0]):
        pred = np.flatnonzero(model.design[k])
        if pred.size:
            beta = _solve(c[:, pred][:, :, pred], c[:, pred, k])
            coef[:, k, pred] = beta
            r2[:, k] = np.einsum("bm,bm->b", beta, c[:, pred, k])
    return coef, r2


def _covariance(x: np.ndarray, scaled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Treated data (centred, or standardized with divisor n), its ``S`` and the sd used."""
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    # in place: ``x`` becomes the treated data (the same values as (x − mean) / sd), so
    # the complete rows are held once, not twice, at a million respondents
    x -= mean
    if scaled:
        x /= sd
    s = x.T @ x / x.shape[0]
    return x, s, sd


def _unidimensionality(s: np.ndarray, model: _Model) -> pd.DataFrame:
    """Each block's standardized alpha, Dillon-Goldstein's rho and eigenvalues, from its
    indicators' correlations: the block of the treated covariance ``s`` (correlations are
    the same whether the indicators were standardized or only centred)."""
    rows = []
    for j in range(len(model.names)):
        members = model.block_of == j
        k = int(members.sum())
        if k == 1:
            rows.append({"alpha_std": 1.0, "dg_rho": 1.0, "eig_1st": 1.0, "eig_2nd": 0.0})
            continue
        cov = s[np.ix_(members, members)]
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
        values, vectors = np.linalg.eigh(corr)
        values, vectors = values[::-1], vectors[:, ::-1]
        # correlations of the standardized indicators with their first principal component
        pc1 = vectors[:, 0] * np.sqrt(values[0])
        numer = pc1.sum() ** 2
        rows.append({"alpha_std": standardized_alpha_from_corr(corr),
                     "dg_rho": float(numer / (numer + k - (pc1**2).sum())),
                     "eig_1st": float(values[0]), "eig_2nd": float(values[1])})
    return pd.DataFrame(rows, index=pd.Index(model.names, name="construct"))


def _path_label(source: str, target: str) -> str:
    return f"{source} -> {target}"


def _effects(coef: np.ndarray, model: _Model) -> pd.DataFrame:
    L = len(model.names)
    total = np.linalg.inv(np.eye(L) - coef) - np.eye(L)  # Σ_{m≥1} Bᵐ (B nilpotent)
    reach = model.design.copy()
    for _ in range(L):
        reach = np.minimum(reach + reach @ model.design, 1.0)
    rows = []
    for s, source in enumerate(model.names):
        for t, target in enumerate(model.names):
            if reach[t, s]:
                rows.append({"path": _path_label(source, target), "source": source,
                             "target": target, "direct": coef[t, s],
                             "indirect": total[t, s] - coef[t, s], "total": total[t, s]})
    return pd.DataFrame(rows).set_index("path")


# --------------------------------------------------------------------------- public API


def pls_pm(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]], paths: Sequence[Any], *,
           scaled: bool = True, scheme: str = "path",
           ranges: Mapping[str, Sequence[float]] | None = None,
           tol: float = 1e-7, max_iter: int = 100) -> PLSResult:
    """Estimate a PLS path model with reflective (mode A) blocks.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any indicator of the model are left out
        (listwise), and ``n`` says how many were used.
    blocks : mapping of str to sequence of str
        Construct id → indicator columns. Every construct must be in at least one path.
    paths : sequence of (source, target) or "A -> B"
        The structural model; it must be recursive (no cycle).
    scaled : bool
        Standardize the indicators (default), or only centre them (``False``: plspm's
        ``scaled = FALSE``, for indicators on one common scale).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (default "path"; plspm's own default is "centroid").
    ranges : mapping of column to (lo, hi), optional
        Scale range of each indicator; when given, the ACSI-style 0–100 index of each
        construct is computed (``constructs["index"]``, ``index_scores``,
        ``outer["index_weight"]``).
    tol : float
        Convergence: stop when no outer weight changes by ``tol`` or more (default 1e-7).
    max_iter : int
        Iterations allowed before :class:`ConvergenceError` is raised (default 100).

    Returns
    -------
    PLSResult

    Raises
    ------
    ValueError, TypeError
        On bad arguments or unusable data (too few complete rows, an indicator that does
        not vary, values outside ``ranges``).
    ConvergenceError
        When the weights have not converged after ``max_iter`` iterations.

    Notes
    -----
    Lohmöller's algorithm, as R plspm 0.4 implements it (``get_weights``): latent variables
    ``Y = X W`` standardized; inner estimates ``Z = Y E`` with, for the path scheme,
    ``E[j, k]`` the coefficient of ``Y_j`` in the regression of ``Y_k`` on its predecessors
    and ``cor(Y_j, Y_k)`` for its followers (centroid: ``sign(cor)``; factorial: ``cor``);
    mode A ``w_jk = cov(x_j, Z_k)``. Final weights give unit-variance (divisor n) scores;
    a construct whose indicators mostly correlate negatively with it is flipped. Paths and
    R² are OLS on the scores; loadings ``cor(x, Y)``; communality ``loading²``; redundancy
    ``communality · R²``; AVE ``Σλ² / (Σλ² + Σ(1 − λ²))``; GoF
    ``sqrt(mean communality over blocks of two or more indicators · mean R²)``.
    Standardized alpha, Dillon-Goldstein's rho ``(Σ c_i)² / ((Σ c_i)² + Σ(1 − c_i²))``
    (``c_i`` the correlations with the block's first principal component) and the
    eigenvalues are plspm's unidimensionality table.

    The 0–100 index (Fornell et al. 1996; :mod:`analysis.scales`): each indicator rescaled
    ``100·(x − lo)/(hi − lo)``, weighted by its unstandardized outer weight (the weight per
    raw scale unit: ``weight / sd`` when ``scaled``, the weight itself when not) expressed per
    point of the rescaled indicator and rescaled to sum to 1 over the block; a respondent's
    index is the weighted mean over the items it answered (weights renormalised), and the
    construct's index is the mean over the respondents who have one — the complete rows and
    those that listwise deletion left out of the fit alike. It lies in 0–100 when the
    block's weights are non-negative.

    References
    ----------
    Lohmöller, J.-B. (1989). *Latent variable path modeling with partial least squares*.
    Physica-Verlag.
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
    modeling. *Computational Statistics & Data Analysis*, 48(1), 159–205.
    Sanchez, G., Trinchera, L., & Russolillo, G. (2013). plspm: Tools for Partial Least
    Squares Path Modeling (R package).
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
    American Customer Satisfaction Index. *Journal of Marketing*, 60(4), 7–18.
    """
    _check_options(scaled, scheme, tol, max_iter)
    model = _model(blocks, paths)
    x, rows = _complete_rows(data, model)
    lo_hi = None
    if ranges is not None:
        lo_hi = scale_bounds(ranges, model.columns)
        _check_on_scale(data, model, *lo_hi)
    n = x.shape[0]
    treated, s, sd = _covariance(x, scaled)
    try:
        w, iterations, converged = _iterate(s[None], model, scheme, tol, max_iter)
        if not converged[0]:
            raise ConvergenceError(
                f"PLS outer weights did not converge in max_iter={max_iter} iterations "
                f"(tol={tol}); raise max_iter or check the model")
        w = _orient(s[None], w, model)
        c = np.einsum("bpl,bpq,bqm->blm", w, s[None], w)
        coef, r2 = _structural(c, model)
    except np.linalg.LinAlgError:
        raise ValueError("data: some latent variables are perfectly collinear; "
                         "the structural model cannot be estimated") from None
    weights_m, c_m, coef_m, r2_v = w[0], c[0], coef[0], r2[0]
    weights = (weights_m * model.odm).sum(axis=1)

    cross = (s @ weights_m) / np.sqrt(np.diag(s))[:, None]
    loading = cross[np.arange(len(model.columns)), model.block_of]
    communality = loading**2
    endogenous = model.design.sum(axis=1) > 0
    redundancy = communality * np.where(endogenous, r2_v, np.nan)[model.block_of]

    outer = pd.DataFrame({
        "construct": [model.names[j] for j in model.block_of], "weight": weights,
        "loading": loading, "communality": communality, "redundancy": redundancy,
    }, index=pd.Index(model.columns, name="indicator"))

    inner_rows = []
    for k, target in enumerate(model.names):
        pred = np.flatnonzero(model.design[k])
        if not pred.size:
            continue
        dof = n - pred.size - 1
        inv = np.linalg.inv(c_m[np.ix_(pred, pred)])
        se = np.sqrt((1.0 - r2_v[k]) / dof * np.diag(inv))
        for j, source_pos in enumerate(pred):
            est = coef_m[k, source_pos]
            t = est / se[j]
            inner_rows.append({"path": _path_label(model.names[source_pos], target),
                               "source": model.names[source_pos], "target": target,
                               "estimate": est, "std_error": se[j], "t": t,
                               "p": float(2 * stats.t.sf(abs(t), dof))})
    order = {_path_label(a, b): i for i, (a, b) in enumerate(model.paths)}
    inner = pd.DataFrame(inner_rows).set_index("path")
    inner = inner.iloc[np.argsort([order[p] for p in inner.index])]

    blocks_df = pd.DataFrame({"construct": outer["construct"], "communality": communality,
                              "redundancy": redundancy})
    grouped = blocks_df.groupby("construct", sort=False)
    block_comm = grouped["communality"].mean().reindex(list(model.names))
    mean_red = grouped["redundancy"].mean().reindex(list(model.names))
    sum_comm = grouped["communality"].sum().reindex(list(model.names))
    k_block = pd.Series(model.odm.sum(axis=0).astype("int64"), index=list(model.names))
    ave = sum_comm / (sum_comm + (k_block - sum_comm))
    constructs = pd.DataFrame({
        "type": np.where(endogenous, "endogenous", "exogenous"),
        "k": k_block.to_numpy(),
        "r2": np.where(endogenous, r2_v, np.nan),
        "block_communality": block_comm.to_numpy(),
        "mean_redundancy": np.where(endogenous, mean_red.to_numpy(), np.nan),
        "ave": ave.to_numpy(),
    }, index=pd.Index(model.names, name="construct"))
    constructs = constructs.join(_unidimensionality(s, model))

    multi = k_block.to_numpy()[model.block_of] > 1
    gof = (float(np.sqrt(communality[multi].mean() * np.nanmean(r2_v[endogenous])))
           if multi.any() else float("nan"))

    scores = pd.DataFrame(treated @ weights_m, index=rows, columns=list(model.names))
    crossloadings = pd.DataFrame(cross, index=pd.Index(model.columns, name="indicator"),
                                 columns=list(model.names))

    index_scores = None
    constructs["index"] = np.nan
    constructs["index_n"] = 0
    if lo_hi is not None:
        index_scores = _index_scores(data, model,
                                     weights / sd if scaled else weights, *lo_hi)
        outer["index_weight"] = index_scores.attrs.pop("index_weight")
        constructs["index"] = index_scores.mean(axis=0).to_numpy()
        constructs["index_n"] = index_scores.notna().sum(axis=0).to_numpy(dtype="int64")

    return PLSResult(
        n=n, blocks=model.blocks, paths=model.paths, scaled=scaled, scheme=scheme,
        iterations=int(iterations[0]), outer=outer, inner=inner, constructs=constructs,
        effects=_effects(coef_m, model), crossloadings=crossloadings, scores=scores,
        gof=gof, index_scores=index_scores)


def _index_scores(data: pd.DataFrame, model: _Model, unstandardized: np.ndarray,
                  lo: np.ndarray, hi: np.ndarray) -> pd.DataFrame:
    """Per row of ``data`` and construct, the ACSI-style index over the items answered
    (each block's answers read on their own: never every indicator of every row at once).

    The weights come from the complete rows' fit and apply to every row, complete or not.
    The ACSI weights are returned in ``attrs["index_weight"]``.
    """
    iw = acsi_weights(unstandardized, lo, hi, model.block_of)
    ends = np.cumsum(model.odm.sum(axis=0).astype(int))  # blocks are consecutive columns
    scores = {}
    for name, start, stop in zip(model.names, np.r_[0, ends[:-1]], ends, strict=True):
        block = slice(int(start), int(stop))
        answers = _as_float64(data, list(model.columns[block]))
        scores[name] = block_index(rescale_0_100(answers, lo[block], hi[block]), iw[block])
    out = pd.DataFrame(scores, index=data.index, columns=list(model.names))
    out.attrs["index_weight"] = iw
    return out


def bootstrap_indices(n: int, n_boot: int, seed: int | None) -> np.ndarray:
    """The resamples :func:`bootstrap` uses: ``default_rng(seed).integers(0, n, (n_boot, n))``.

    Row ``b`` holds the positions (among the complete rows, in data order) drawn with
    replacement for resample ``b``.
    """
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]], paths: Sequence[Any],
              *, n_boot: int = 500, seed: int | None = None, confidence: float = 0.95,
              scaled: bool = True, scheme: str = "path", tol: float = 1e-7,
              max_iter: int = 100) -> PLSBootstrap:
    """Bootstrap percentile intervals for the path coefficients and R².

    Parameters
    ----------
    data, blocks, paths, scaled, scheme, tol, max_iter
        As in :func:`pls_pm`.
    n_boot : int
        Resamples of the complete rows, drawn with replacement (default 500).
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the resamples are
        :func:`bootstrap_indices` ``(n, n_boot, seed)``.
    confidence : float
        Coverage of the percentile interval (default 0.95).

    Returns
    -------
    PLSBootstrap

    Notes
    -----
    Each resample is treated (centred or standardized) and estimated afresh, as plspm's
    ``get_boots``; construct signs are oriented by the same rule as the full-sample fit.
    The interval is the ``(1 − confidence)/2`` and ``(1 + confidence)/2`` quantiles (linear
    interpolation, R's type 7) of the resampled estimates. Resamples that do not converge
    or are degenerate (an indicator without variance) are left out; ``n_used`` says how
    many remain. All resamples are estimated together on stacked covariance matrices.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.
    """
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 2:
        raise ValueError(f"n_boot must be a whole number of at least 2, not {n_boot!r}")
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"seed must be a whole number or None, not {seed!r}")
    original = pls_pm(data, blocks, paths, scaled=scaled, scheme=scheme, tol=tol,
                      max_iter=max_iter)
    model = _model(blocks, paths)
    x, _ = _complete_rows(data, model)
    n = x.shape[0]
    xc = x - x.mean(axis=0)  # centring first keeps the resample moments accurate
    draws = bootstrap_indices(n, n_boot, seed)
    path_pos = [(model.names.index(a), model.names.index(b)) for a, b in model.paths]
    endo = np.flatnonzero(model.design.sum(axis=1) > 0)
    path_est = np.full((n_boot, len(path_pos)), np.nan)
    r2_est = np.full((n_boot, endo.size), np.nan)
    chunk = 256
    for start in range(0, n_boot, chunk):
        idx = draws[start:start + chunk]
        b = idx.shape[0]
        counts = np.zeros((b, n))
        np.add.at(counts, (np.repeat(np.arange(b), n), idx.ravel()), 1.0)
        mean = counts @ xc / n
        s = np.einsum("bn,np,nq->bpq", counts, xc, xc) / n - mean[:, :, None] * mean[:, None, :]
        var = np.einsum("bpp->bp", s)
        ok = (var > 1e-12 * np.einsum("pp->p", xc.T @ xc / n)).all(axis=1)
        if scaled:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = np.sqrt(var)
                s = s / (d[:, :, None] * d[:, None, :])
        s[~ok] = np.eye(s.shape[1])  # placeholder, excluded below
        coef, r2, good = _fit_stack(s, model, scheme, tol, max_iter)
        good &= ok
        rows = np.arange(start, start + b)[good]
        path_est[rows] = coef[good][:, [t for _, t in path_pos], [s_ for s_, _ in path_pos]]
        r2_est[rows] = r2[good][:, endo]
    used = np.isfinite(path_est).all(axis=1) & np.isfinite(r2_est).all(axis=1)
    n_used = int(used.sum())
    if n_used < 2:
        raise ValueError(f"only {n_used} of {n_boot} bootstrap resamples could be estimated")
    gamma = 1.0 - confidence

    def summary(values: np.ndarray, orig: np.ndarray, index: list[str]) -> pd.DataFrame:
        lo, hi = np.quantile(values, [gamma / 2, 1 - gamma / 2], axis=0)
        return pd.DataFrame({"original": orig, "mean": values.mean(axis=0),
                             "std_error": values.std(axis=0, ddof=1), "lo": lo, "hi": hi},
                            index=pd.Index(index))

    labels = [_path_label(a, b) for a, b in model.paths]
    path_table = summary(path_est[used], original.inner.loc[labels, "estimate"].to_numpy(),
                         labels)
    path_table.index.name = "path"
    endo_names = [model.names[k] for k in endo]
    r2_table = summary(r2_est[used], original.constructs.loc[endo_names, "r2"].to_numpy(),
                       endo_names)
    r2_table.index.name = "construct"
    return PLSBootstrap(paths=path_table, r2=r2_table, n=n, n_boot=n_boot, n_used=n_used,
                        confidence=float(confidence), seed=seed)


def _fit_stack(s: np.ndarray, model: _Model, scheme: str, tol: float,
               max_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path coefficients, R² and success flags for a stack of covariance matrices."""
    try:
        w, _, converged = _iterate(s, model, scheme, tol, max_iter)
        w = _orient(s, w, model)
        c = np.einsum("bpl,bpq,bqm->blm", w, s, w)
        coef, r2 = _structural(c, model)
    except np.linalg.LinAlgError:
        if s.shape[0] == 1:
            L = model.design.shape[0]
            return np.full((1, L, L), np.nan), np.full((1, L), np.nan), np.zeros(1, bool)
        parts = [_fit_stack(s[i:i + 1], model, scheme, tol, max_iter)
                 for i in range(s.shape[0])]
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))
    good = converged & np.isfinite(coef).all(axis=(1, 2)) & np.isfinite(r2[:, model.design.sum(
        axis=1) > 0]).all(axis=1)
    return coef, r2, good
