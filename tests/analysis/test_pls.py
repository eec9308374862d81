"""PLS path modelling against the published R plspm results and independent computations."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import loads_instrument
from analysis.pls import (
    ConvergenceError,
    PLSBootstrap,
    PLSResult,
    blocks_from_instrument,
    bootstrap,
    bootstrap_indices,
    paths_from_instrument,
    pls_pm,
    ranges_from_instrument,
)

from .plspm_reference import BLOCKS, PATHS, load_satisfaction

INDICATORS = [c for cols in BLOCKS.values() for c in cols]
TOL = 1e-4  # the agreement required with published results

# --- R plspm results for the satisfaction data, plspm(..., scaled = FALSE) with plspm's
# default (centroid) inner scheme; see tests/data/plspm_satisfaction.README.md.
# shared/reference/plspm-satisfaction/satisfaction.inner-model.csv (the SAT equation):
SAT_EQUATION = {
    # source: (estimate, std. error, t value, Pr(>|t|))
    "IMAG": (0.200724200280665, 0.0499287396486374, 4.02021364234742, 7.74463499296224e-05),
    "EXPE": (-0.00275399457916834, 0.0656906937615269, -0.0419236640910812, 0.966593697082093),
    "QUAL": (0.122144565609107, 0.0751969653585023, 1.62432838914152, 0.105591533548731),
    "VAL": (0.589330650016017, 0.0600164458313523, 9.81948600675306, 2.09749370009098e-19),
}
# shared/reference/plspm-satisfaction/satisfaction.inner-summary.csv:
INNER_SUMMARY = {
    # construct: (r_squared, block_communality, mean_redundancy, ave)
    "IMAG": (0, 0.582269092760334, 0, 0.582269092760334),
    "EXPE": (0.335193672418813, 0.616419883010119, 0.206620044338137, 0.616419883010119),
    "QUAL": (0.719688235228933, 0.65857174851724, 0.473966339462006, 0.65857174851724),
    "VAL": (0.59008437279849, 0.66441556645883, 0.392061242811412, 0.66441556645883),
    "SAT": (0.707320949544597, 0.75889072736371, 0.536779309879489, 0.75889072736371),
    "LOY": (0.509922562050087, 0.639051735398058, 0.325866898196732, 0.639051735398058),
}
# shared/reference/plspm-satisfaction/satisfaction_unidim.csv:
UNIDIM = {
    # construct: (cronbach_alpha, dillon_goldstein_rho, eig_1st, eig_2nd)
    "IMAG": (0.830226690205339, 0.882203311183515, 3.01780990053354, 0.777635750863909),
    "EXPE": (0.84658407892526, 0.890855432982731, 3.10231374752292, 0.610546737862663),
    "QUAL": (0.871324954769643, 0.906899737529554, 3.30598735662497, 0.567777281450322),
    "VAL": (0.835722840511797, 0.890444224132854, 2.68153094464434, 0.600684167284007),
    "SAT": (0.894010912676559, 0.926700636965068, 3.03999878726797, 0.422000089566117),
    "LOY": (0.819421641029961, 0.881371093219811, 2.60472075864966, 0.573454889436363),
}
# shared/reference/plspm-satisfaction/README.md:
GOF = 0.609741624338411
# R plspm effects for the same call: satisfaction.effects.csv of the plspm Python port's
# test data (GoogleCloudPlatform/plspm-python, tests/data/)
EFFECTS = {
    # "source -> target": (direct, indirect, total)
    "IMAG -> EXPE": (0.57895912845279, 0, 0.57895912845279),
    "IMAG -> QUAL": (0, 0.491156739303251, 0.491156739303251),
    "IMAG -> VAL": (0, 0.393411171344413, 0.393411171344413),
    "IMAG -> SAT": (0.200724200280665, 0.290246937598827, 0.490971137879492),
    "IMAG -> LOY": (0.275149575748467, 0.243266046562688, 0.518415622311155),
    "EXPE -> QUAL": (0.8483444083796, 0, 0.8483444083796),
    "EXPE -> VAL": (0.105477649519747, 0.574036934516201, 0.679514584035949),
    "EXPE -> SAT": (-0.00275399457916834, 0.504079430753709, 0.501325436174541),
    "EXPE -> LOY": (0, 0.248396387262645, 0.248396387262645),
    "QUAL -> VAL": (0.676655529105984, 0, 0.676655529105984),
    "QUAL -> SAT": (0.122144565609107, 0.398773842804961, 0.520918408414068),
    "QUAL -> LOY": (0, 0.25810429986563, 0.25810429986563),
    "VAL -> SAT": (0.589330650016017, 0, 0.589330650016017),
    "VAL -> LOY": (0, 0.292001150957277, 0.292001150957277),
    "SAT -> LOY": (0.495479322090817, 0, 0.495479322090817),
}
# R plspm outer model, indicator: (weight, loading, redundancy). OUTER_CENTROID: the same
# call (satisfaction.outer-model.csv); OUTER_PATH: the same call with scheme = "path"
# (satisfaction.outer-model-path.csv); both from the plspm Python port's test data.
OUTER_CENTROID = {
    "imag1": (0.0982418501741741, 0.70932650116601, 0),
    "imag2": (0.157472863818056, 0.877307817983846, 0),
    "imag3": (0.156722118194341, 0.841748537706059, 0),
    "imag4": (0.0765758587028763, 0.569193430203468, 0),
    "imag5": (0.184330241358762, 0.77846683251928, 0),
    "expe1": (0.106230159251131, 0.765800562617078, 0.196574497358231),
    "expe2": (0.140693124381936, 0.837418997567575, 0.235061460227157),
    "expe3": (0.118783165134756, 0.759820571357087, 0.193516458094997),
    "expe4": (0.0994514827286758, 0.71834524993581, 0.172966604687111),
    "expe5": (0.138374378658729, 0.837276022047764, 0.234981201323187),
    "qual1": (0.106606553258155, 0.781469313516066, 0.439509494371556),
    "qual2": (0.134594903250232, 0.881558340214507, 0.559302190718832),
    "qual3": (0.117141650592502, 0.794076151381524, 0.45380440718065),
    "qual4": (0.0956184636638662, 0.788981936722486, 0.448000526230889),
    "qual5": (0.115707870129084, 0.807446541109636, 0.469215078808101),
    "val1": (0.174960810051613, 0.864821997997945, 0.441334185908254),
    "val2": (0.11766978894579, 0.796238958208741, 0.37411141441304),
    "val3": (0.1207889525664, 0.750064674608617, 0.331979707381151),
    "val4": (0.16652602110192, 0.844483086242166, 0.420819663543203),
    "sat1": (0.166366549374147, 0.919797990928334, 0.59841357170163),
    "sat2": (0.162659797860461, 0.916030239797506, 0.593521072379765),
    "sat3": (0.121091359148817, 0.825878617822696, 0.482446284221684),
    "sat4": (0.132079076814512, 0.8175253352275, 0.472736311214876),
    "loy1": (0.158624625826792, 0.906587085677551, 0.419105427135653),
    "loy2": (0.081728096069474, 0.671101376778201, 0.229657423259882),
    "loy3": (0.161664593108151, 0.904973625494352, 0.417614984128341),
    "loy4": (0.0806690862675395, 0.681874238346727, 0.237089758263054),
}
OUTER_PATH = {
    "imag1": (0.0982374837495072, 0.70955076789416, 0),
    "imag2": (0.157615347025361, 0.877671629024529, 0),
    "imag3": (0.157340626997026, 0.842359193682084, 0),
    "imag4": (0.0765125291238404, 0.569354023449058, 0),
    "imag5": (0.183702432801162, 0.777662796725605, 0),
    "expe1": (0.106472074048238, 0.765845945253858, 0.196389495220989),
    "expe2": (0.140673451958955, 0.837413503394175, 0.234809324149125),
    "expe3": (0.119296754177591, 0.760461417953682, 0.193637643672266),
    "expe4": (0.0985110999361921, 0.717466074586617, 0.172360664482177),
    "expe5": (0.138331924334016, 0.837165208558368, 0.23467010189148),
    "qual1": (0.106688211231029, 0.781515750552344, 0.439553264076336),
    "qual2": (0.134487900474709, 0.881449200713862, 0.559152943823381),
    "qual3": (0.117468232469162, 0.794471769558678, 0.454247952758575),
    "qual4": (0.0951526521301759, 0.78854863823007, 0.447499970768661),
    "qual5": (0.115789386247801, 0.807403042453803, 0.469155489508187),
    "val1": (0.172177324810643, 0.86271564077978, 0.438075407237291),
    "val2": (0.121254528616825, 0.799328099439193, 0.376065670770852),
    "val3": (0.121818439478709, 0.752589683815716, 0.333372714768565),
    "val4": (0.165654571843956, 0.843047471071002, 0.418328631444853),
    "sat1": (0.168756177314286, 0.920289506434007, 0.598275668550239),
    "sat2": (0.157704893306817, 0.913547232451711, 0.589541542274936),
    "sat3": (0.120047692026398, 0.824709653947123, 0.480457035699724),
    "sat4": (0.135884589449262, 0.82088699490331, 0.476013370211933),
    "loy1": (0.159856955694287, 0.907671852011147, 0.421717588101598),
    "loy2": (0.0803591951846723, 0.669011176703357, 0.229102973174575),
    "loy3": (0.162545377518156, 0.906017863968373, 0.420182054463524),
    "loy4": (0.0786269581935837, 0.678814311108138, 0.235866334666871),
}

# The `russa` data of R plspm (Russett 1964: agricultural inequality, industrial development
# and political instability in 47 countries), as kept in the plspm Python port's test data
# (tests/data/russa.csv); results for R plspm's default scaled = TRUE (standardized
# indicators) from the same test data (russa.inner_model.csv: centroid scheme;
# russa.outer_model_path.csv and russa.outer_model_factorial.csv).
RUSSA_CSV = """country,gini,farm,rent,gnpr,labo,inst,ecks,death,demo
Argentina,86.3,98.2,3.52,5.92,3.22,0.07,4.06,5.38,2
Australia,92.9,99.6,3.4,7.1,2.64,0.01,0,0,1
Austria,74,97.4,2.46,6.28,3.47,0.03,1.61,0,2
Belgium,58.7,85.8,4.15,6.92,2.3,0.45,2.2,0.69,1
Bolivia,93.8,97.7,3.04,4.19,4.28,0.37,3.99,6.5,3
Brasil,83.7,98.5,2.31,5.57,4.11,0.45,3.91,0.69,2
Canada,49.7,82.9,2.1,7.42,2.48,0.01,3.14,0,1
Chile,93.8,99.7,2.67,5.19,3.4,0.12,3.09,1.1,2
Colombia,84.9,98.1,2.57,5.8,4.01,0.18,3.87,5.76,2
CostaRica,88.1,99.1,1.86,5.73,4.01,0.18,3,3.22,2
Cuba,79.2,97.8,4,5.89,3.74,0.07,4.62,7.97,3
Denmark,45.8,79.3,1.5,6.82,3.14,0.18,0,0,1
DominicanRepublic,79.5,98.5,3.08,5.32,4.03,0.01,1.95,3.47,3
Ecuador,86.4,99.3,2.75,5.32,3.97,0.3,3.74,2.94,3
Egypt,74,98.1,2.53,4.89,4.16,0.61,3.83,1.1,3
Salvador,82.8,98.8,2.78,5.5,4.14,0.3,2.3,1.1,3
Finland,59.9,86.3,1.22,6.85,3.83,0.5,1.61,0,2
France,58.3,86.1,3.3,6.95,3.26,1,3.85,0.69,2
Guatemala,86,99.7,2.89,5.19,4.22,0.25,3.83,4.06,3
Greece,74.7,99.4,2.93,5.48,3.87,0.61,2.3,1.1,2
Honduras,75.7,97.4,2.87,4.92,4.19,0.07,3.83,4.72,3
India,52.2,86.9,3.99,4.28,4.26,0,4.43,2.71,1
Irak,88.1,99.3,4.33,5.27,4.39,0.9,3.22,5.84,3
Ireland,59.8,85.9,1.25,6.23,3.69,0.12,2.3,0,1
Italy,80.3,98,3.21,6.09,3.37,0.45,3.95,0.69,2
Japan,47,81.5,1.36,5.48,3.69,0.55,3.14,0.69,2
Libia,70,93,2.25,4.5,4.32,0.22,2.2,0,3
Luxemburg,63.8,87.7,2.99,7.09,3.14,0.03,0,0,1
TheNetherlands,60.5,86.2,3.99,6.56,2.4,0.07,1.1,0,1
NewZealand,77.3,95.5,3.15,7.14,2.77,0.03,0,0,1
Nicaragua,75.7,96.4,3,5.54,4.22,0.03,2.83,2.83,3
Norway,66.9,87.5,2.14,6.88,3.26,0.03,0.69,0,1
Panama,73.7,95,2.59,5.86,3.99,0.5,3.4,3.26,3
Peru,87.5,96.9,3.21,4.94,4.09,0.18,3.18,3.3,3
Philippine,56.4,88.2,3.65,5.3,4.08,0.1,2.77,5.68,3
Poland,45,77.7,0,6.15,4.04,0,3,1.79,3
SouthVietnam,67.1,94.6,3.04,4.89,4.17,0,3.93,6.91,3
Spain,78,99.5,3.8,5.54,3.91,0,3.14,0.69,3
Sweden,57.7,87.2,2.99,7.06,2.56,0,0,0,1
Switzerland,49.8,81.5,2.99,7.11,2.3,0,0,0,1
Taiwan,65.2,94.1,3.71,4.88,3.91,0,1.39,0,3
UK,71,93.4,3.82,6.91,1.61,0.07,2.56,0,1
USA,70.5,95.4,3.06,7.76,2.3,0.03,3.14,0,1
Uruguay,81.7,96.6,3.58,6.34,3.61,0.18,0.69,0.69,1
Venezuela,90.9,99.3,3.07,6.64,3.74,0.25,3.61,4.72,3
WestGermany,67.4,93,1.9,6.64,2.64,0,1.61,0,2
Yugoslavia,43.7,79.8,0,5.69,4.2,0,2.3,0,3
"""
RUSSA_BLOCKS = {"AGRI": ["gini", "farm", "rent"], "IND": ["gnpr", "labo"],
                "POLINS": ["inst", "ecks", "death", "demo"]}
RUSSA_PATHS = ["AGRI -> POLINS", "IND -> POLINS"]
RUSSA_CENTROID_PATHS = {  # russa.inner_model.csv: estimate, std error, t
    "AGRI -> POLINS": (0.225638734859381, 0.100867373540125, 2.23698433834625),
    "IND -> POLINS": (0.671457266683851, 0.100867373540125, 6.65683305828068),
}
RUSSA_OUTER = {  # indicator: (weight, loading) for scheme "path" and "factorial"
    "path": {
        "gini": (0.450600061708624, 0.971889901333807),
        "farm": (0.500353161400779, 0.983471075279681),
        "rent": (0.127136648804299, 0.550458813259363),
        "gnpr": (-0.514860381190619, -0.950791891882968),
        "labo": (0.534818717271676, 0.954482159331151),
        "inst": (0.126150697195325, 0.353448041176388),
        "ecks": (0.332056288909909, 0.842233530031864),
        "death": (0.348775037087843, 0.826391628263933),
        "demo": (0.450527097183906, 0.860144871264829),
    },
    "factorial": {
        "gini": (0.450112611091541, 0.97137616017192),
        "farm": (0.498527681215559, 0.983148011277587),
        "rent": (0.131246653659146, 0.553498621212095),
        "gnpr": (-0.515069196604312, -0.950831152749863),
        "labo": (0.534610700775961, 0.954444348581435),
        "inst": (0.127160996843883, 0.3531339775112),
        "ecks": (0.332088599975242, 0.843396589047382),
        "death": (0.360266937441301, 0.831354698303597),
        "demo": (0.438974576759562, 0.855409738318377),
    },
}


@pytest.fixture(scope="module")
def satisfaction() -> pd.DataFrame:
    return load_satisfaction()


@pytest.fixture(scope="module")
def fit(satisfaction) -> PLSResult:
    return pls_pm(satisfaction, BLOCKS, PATHS, scaled=False, scheme="centroid")


@pytest.fixture(scope="module")
def russa() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(RUSSA_CSV), index_col=0)


# --------------------------------------------------------------------------- R plspm


def test_sat_equation_matches_plspm(fit):
    assert fit.n == 250
    for source, (est, se, t, p) in SAT_EQUATION.items():
        row = fit.inner.loc[f"{source} -> SAT"]
        assert (row["source"], row["target"]) == (source, "SAT")
        assert row["estimate"] == pytest.approx(est, abs=TOL)
        assert row["std_error"] == pytest.approx(se, abs=TOL)
        assert row["t"] == pytest.approx(t, abs=1e-3)
        assert row["p"] == pytest.approx(p, rel=1e-3, abs=1e-6)
    assert list(fit.inner.index) == [f"{a} -> {b}" for a, b in PATHS]
    assert fit.path_coefficients["IMAG -> SAT"] == fit.inner.loc["IMAG -> SAT", "estimate"]


def test_inner_summary_matches_plspm(fit):
    table = fit.constructs
    for construct, (r2, comm, red, ave) in INNER_SUMMARY.items():
        row = table.loc[construct]
        if construct == "IMAG":
            # exogenous: plspm prints 0 for R² and redundancy; they are undefined, so NaN
            assert row["type"] == "exogenous"
            assert math.isnan(row["r2"]) and math.isnan(row["mean_redundancy"])
        else:
            assert row["type"] == "endogenous"
            assert row["r2"] == pytest.approx(r2, abs=TOL)
            assert row["mean_redundancy"] == pytest.approx(red, abs=TOL)
        assert row["block_communality"] == pytest.approx(comm, abs=TOL)
        assert row["ave"] == pytest.approx(ave, abs=TOL)
        assert row["k"] == len(BLOCKS[construct])
    assert list(fit.r2.index) == ["EXPE", "QUAL", "VAL", "SAT", "LOY"]


def test_unidimensionality_matches_plspm(fit):
    for construct, (alpha, rho, eig1, eig2) in UNIDIM.items():
        row = fit.constructs.loc[construct]
        assert row["alpha_std"] == pytest.approx(alpha, abs=TOL)
        assert row["dg_rho"] == pytest.approx(rho, abs=TOL)
        assert row["eig_1st"] == pytest.approx(eig1, abs=TOL)
        assert row["eig_2nd"] == pytest.approx(eig2, abs=TOL)


def test_gof_matches_plspm(fit):
    assert fit.gof == pytest.approx(GOF, abs=TOL)


def test_outer_model_matches_plspm(fit):
    for indicator, (weight, loading, redundancy) in OUTER_CENTROID.items():
        row = fit.outer.loc[indicator]
        assert row["weight"] == pytest.approx(weight, abs=TOL)
        assert row["loading"] == pytest.approx(loading, abs=TOL)
        assert row["communality"] == pytest.approx(loading**2, abs=TOL)
        if indicator.startswith("imag"):
            assert math.isnan(row["redundancy"])
        else:
            assert row["redundancy"] == pytest.approx(redundancy, abs=TOL)
    assert list(fit.outer.index) == INDICATORS
    assert fit.outer["construct"].tolist() == [b for b, cols in BLOCKS.items() for _ in cols]


def test_effects_match_plspm(fit):
    assert set(fit.effects.index) == set(EFFECTS)
    for path, (direct, indirect, total) in EFFECTS.items():
        row = fit.effects.loc[path]
        assert row["direct"] == pytest.approx(direct, abs=TOL)
        assert row["indirect"] == pytest.approx(indirect, abs=TOL)
        assert row["total"] == pytest.approx(total, abs=TOL)


def test_path_scheme_matches_plspm(satisfaction):
    res = pls_pm(satisfaction, BLOCKS, PATHS, scaled=False)  # scheme="path" by default
    assert res.scheme == "path"
    for indicator, (weight, loading, redundancy) in OUTER_PATH.items():
        row = res.outer.loc[indicator]
        assert row["weight"] == pytest.approx(weight, abs=TOL)
        assert row["loading"] == pytest.approx(loading, abs=TOL)
        if not indicator.startswith("imag"):
            assert row["redundancy"] == pytest.approx(redundancy, abs=TOL)


def test_standardized_indicators_match_plspm_on_russa(russa):
    # R plspm's default scaled = TRUE; centroid inner model
    res = pls_pm(russa, RUSSA_BLOCKS, RUSSA_PATHS, scheme="centroid")
    assert res.scaled and res.n == 47
    for path, (est, se, t) in RUSSA_CENTROID_PATHS.items():
        row = res.inner.loc[path]
        assert row["estimate"] == pytest.approx(est, abs=TOL)
        assert row["std_error"] == pytest.approx(se, abs=TOL)
        assert row["t"] == pytest.approx(t, abs=1e-3)
    for scheme, outer in RUSSA_OUTER.items():
        res = pls_pm(russa, RUSSA_BLOCKS, RUSSA_PATHS, scheme=scheme)
        for indicator, (weight, loading) in outer.items():
            assert res.outer.loc[indicator, "weight"] == pytest.approx(weight, abs=TOL)
            assert res.outer.loc[indicator, "loading"] == pytest.approx(loading, abs=TOL)


# --------------------------------------------------------------------------- properties


def test_scores_are_standardized_composites(fit, satisfaction):
    scores = fit.scores
    assert list(scores.columns) == list(BLOCKS)
    assert scores.index.equals(satisfaction.index)
    assert np.allclose(scores.mean(), 0, atol=1e-12)
    assert np.allclose(scores.std(ddof=0), 1, atol=1e-12)  # plspm: variance with divisor n
    # scaled=False: score = Σ weight · (x − mean) over the block
    centred = satisfaction[BLOCKS["SAT"]] - satisfaction[BLOCKS["SAT"]].mean()
    by_hand = centred.to_numpy() @ fit.outer_weights[BLOCKS["SAT"]].to_numpy()
    assert np.allclose(scores["SAT"].to_numpy(), by_hand, atol=1e-12)
    # loadings are correlations of each indicator with its construct's score
    assert fit.loadings["val2"] == pytest.approx(
        np.corrcoef(satisfaction["val2"], scores["VAL"])[0, 1], abs=1e-12)
    assert fit.crossloadings.loc["val2", "VAL"] == pytest.approx(fit.loadings["val2"])
    # the paths are OLS of the scores (numpy least squares)
    preds = ["IMAG", "EXPE", "QUAL", "VAL"]
    beta, *_ = np.linalg.lstsq(scores[preds].to_numpy(), scores["SAT"].to_numpy(), rcond=None)
    assert beta == pytest.approx([fit.path_coefficients[f"{p} -> SAT"] for p in preds],
                                 abs=1e-10)


def test_scaled_is_invariant_to_units(satisfaction):
    base = pls_pm(satisfaction, BLOCKS, PATHS)
    changed = satisfaction.assign(sat1=satisfaction["sat1"] * 10 + 3)
    moved = pls_pm(changed, BLOCKS, PATHS)
    assert np.allclose(base.path_coefficients, moved.path_coefficients, atol=1e-9)
    assert np.allclose(base.loadings, moved.loadings, atol=1e-9)
    # centring only: a change of units changes the weights (plspm's scaled = FALSE)
    raw = pls_pm(changed, BLOCKS, PATHS, scaled=False)
    assert not np.allclose(raw.loadings, moved.loadings, atol=1e-4)
    # on indicators standardized beforehand, both treatments coincide
    z = (satisfaction[INDICATORS] - satisfaction[INDICATORS].mean()) / satisfaction[
        INDICATORS].std(ddof=0)
    assert np.allclose(pls_pm(z, BLOCKS, PATHS, scaled=False).outer_weights,
                       base.outer_weights, atol=1e-9)


def test_listwise_deletion(satisfaction):
    holes = satisfaction.copy()
    holes = holes.astype({c: "float64" for c in INDICATORS})
    holes.loc[[3, 10, 99], "qual2"] = np.nan
    holes.loc[200, "loy4"] = np.nan
    res = pls_pm(holes, BLOCKS, PATHS)
    assert res.n == 246
    complete = pls_pm(holes.dropna(subset=INDICATORS), BLOCKS, PATHS)
    assert np.allclose(res.path_coefficients, complete.path_coefficients, atol=1e-12)
    assert 3 not in res.scores.index and len(res.scores) == 246
    # missing is never zero
    zeros = pls_pm(holes.fillna(0), BLOCKS, PATHS)
    assert zeros.n == 250
    assert not np.allclose(zeros.path_coefficients, res.path_coefficients, atol=1e-4)


def test_acsi_index(satisfaction):
    ranges = {c: (0, 10) for c in INDICATORS}
    res = pls_pm(satisfaction, BLOCKS, PATHS, scaled=False, ranges=ranges)
    for construct, cols in BLOCKS.items():
        w = res.outer_weights[cols].to_numpy()
        means = satisfaction[cols].mean().to_numpy()
        # Fornell et al. (1996): index = (Σ w·x̄ − Σ w·lo) / (Σ w·(hi − lo)) · 100, with the
        # unstandardized weights (scaled=False: the outer weights themselves)
        expected = (w @ means - w.sum() * 0) / (w.sum() * (10 - 0)) * 100
        assert res.indices[construct] == pytest.approx(expected, abs=1e-10)
        assert res.outer.loc[cols, "index_weight"].sum() == pytest.approx(1.0)
    assert res.index_scores is not None
    assert res.index_scores.mean().to_numpy() == pytest.approx(res.indices.to_numpy())
    scores = res.index_scores.to_numpy()
    assert scores.min() >= -1e-9 and scores.max() <= 100 + 1e-9  # all weights are positive
    # standardized estimation: the unstandardized weight is weight / sd (divisor n)
    std = pls_pm(satisfaction, BLOCKS, PATHS, ranges=ranges)
    cols = BLOCKS["VAL"]
    w = std.outer_weights[cols].to_numpy() / satisfaction[cols].std(ddof=0).to_numpy()
    expected = w @ satisfaction[cols].mean().to_numpy() / (w.sum() * 10) * 100
    assert std.indices["VAL"] == pytest.approx(expected, abs=1e-10)
    # without ranges there is no index
    plain = pls_pm(satisfaction, BLOCKS, PATHS)
    assert plain.indices.isna().all() and plain.index_scores is None
    assert "index_weight" not in plain.outer.columns


def test_acsi_index_with_mixed_ranges(satisfaction):
    # the same answers expressed on 1–11 for sat1: the index must not change
    shifted = satisfaction.assign(sat1=satisfaction["sat1"] + 1)
    ranges = {c: (0, 10) for c in INDICATORS}
    base = pls_pm(satisfaction, BLOCKS, PATHS, ranges=ranges)
    moved = pls_pm(shifted, BLOCKS, PATHS, ranges={**ranges, "sat1": (1, 11)})
    assert moved.indices["SAT"] == pytest.approx(base.indices["SAT"], abs=1e-9)
    # sat1 doubled onto 0–20: same answers, same index
    doubled = satisfaction.assign(sat1=satisfaction["sat1"] * 2)
    moved = pls_pm(doubled, BLOCKS, PATHS, ranges={**ranges, "sat1": (0, 20)})
    assert moved.indices["SAT"] == pytest.approx(base.indices["SAT"], abs=1e-9)


def test_non_convergence_raises(satisfaction):
    with pytest.raises(ConvergenceError, match="max_iter=1"):
        pls_pm(satisfaction, BLOCKS, PATHS, max_iter=1)
    res = pls_pm(satisfaction, BLOCKS, PATHS, tol=1e-12, max_iter=200)
    assert res.iterations > pls_pm(satisfaction, BLOCKS, PATHS, tol=1e-3).iterations


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_matches_refitting_each_resample(satisfaction):
    boot = bootstrap(satisfaction, BLOCKS, PATHS, n_boot=20, seed=7)
    assert isinstance(boot, PLSBootstrap)
    assert (boot.n, boot.n_boot, boot.n_used, boot.seed) == (250, 20, 20, 7)
    # independent route: refit the model on every resample with pls_pm
    draws = bootstrap_indices(250, 20, 7)
    labels = [f"{a} -> {b}" for a, b in PATHS]
    refits = np.array([pls_pm(satisfaction.iloc[rows], BLOCKS, PATHS)
                       .path_coefficients[labels].to_numpy() for rows in draws])
    lo, hi = np.quantile(refits, [0.025, 0.975], axis=0)
    assert boot.paths["lo"].to_numpy() == pytest.approx(lo, abs=1e-8)
    assert boot.paths["hi"].to_numpy() == pytest.approx(hi, abs=1e-8)
    assert boot.paths["mean"].to_numpy() == pytest.approx(refits.mean(axis=0), abs=1e-8)
    assert boot.paths["std_error"].to_numpy() == pytest.approx(refits.std(axis=0, ddof=1),
                                                               abs=1e-8)
    original = pls_pm(satisfaction, BLOCKS, PATHS)
    assert boot.paths["original"].to_numpy() == pytest.approx(
        original.path_coefficients[labels].to_numpy())
    assert list(boot.r2.index) == ["EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert boot.r2["original"].to_numpy() == pytest.approx(original.r2.to_numpy())


def test_bootstrap_is_reproducible_and_sensible(satisfaction):
    a = bootstrap(satisfaction, BLOCKS, PATHS, n_boot=200, seed=3, scaled=False,
                  scheme="centroid", confidence=0.9)
    b = bootstrap(satisfaction, BLOCKS, PATHS, n_boot=200, seed=3, scaled=False,
                  scheme="centroid", confidence=0.9)
    pd.testing.assert_frame_equal(a.paths, b.paths)
    # bootstrap standard errors are of the size of plspm's OLS standard errors
    for source, (_, se, _, _) in SAT_EQUATION.items():
        assert 0.5 * se < a.paths.loc[f"{source} -> SAT", "std_error"] < 2 * se
    # strong paths exclude zero, EXPE -> SAT (t = −0.04 in plspm) does not
    assert a.paths.loc["VAL -> SAT", "lo"] > 0
    assert a.paths.loc["EXPE -> SAT", "lo"] < 0 < a.paths.loc["EXPE -> SAT", "hi"]


def test_bootstrap_bad_arguments(satisfaction):
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(satisfaction, BLOCKS, PATHS, n_boot=1)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap(satisfaction, BLOCKS, PATHS, n_boot=10, confidence=95)
    with pytest.raises(TypeError, match="seed"):
        bootstrap(satisfaction, BLOCKS, PATHS, n_boot=10, seed="a")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- instrument


INSTRUMENT = """
id = "csi"
version = 1
languages = ["en"]
title = { en = "Satisfaction" }
[scales.r10]
min = 1
max = 10
[scales.r5]
min = 1
max = 5
[[constructs]]
id = "QUAL"
name = { en = "Quality" }
[[constructs]]
id = "SAT"
name = { en = "Satisfaction" }
[[constructs]]
id = "OTHER"
name = { en = "Not in the model" }
[[items]]
id = "q1"
construct = "QUAL"
scale = "r10"
text = { en = "q1" }
[[items]]
id = "q2"
construct = "QUAL"
scale = "r5"
text = { en = "q2" }
[[items]]
id = "s1"
construct = "SAT"
scale = "r10"
text = { en = "s1" }
[[items]]
id = "o1"
construct = "OTHER"
scale = "r10"
text = { en = "o1" }
[model]
paths = ["QUAL -> SAT"]
"""


def test_instrument_helpers():
    inst = loads_instrument(INSTRUMENT)
    blocks = blocks_from_instrument(inst)
    assert blocks == {"QUAL": ["q1", "q2"], "SAT": ["s1"]}
    assert paths_from_instrument(inst) == [("QUAL", "SAT")]
    assert ranges_from_instrument(inst, blocks) == {"q1": (1, 10), "q2": (1, 5), "s1": (1, 10)}
    no_model = loads_instrument(INSTRUMENT.split("[model]")[0])
    assert list(blocks_from_instrument(no_model)) == ["QUAL", "SAT", "OTHER"]
    with pytest.raises(ValueError, match=r"no \[model\]"):
        paths_from_instrument(no_model)
    with pytest.raises(ValueError, match="zz"):
        ranges_from_instrument(inst, {"QUAL": ["zz"]})
    with pytest.raises(TypeError, match="Instrument"):
        blocks_from_instrument({"id": "x"})  # type: ignore[arg-type]


def test_instrument_model_runs():
    rng = np.random.default_rng(0)
    quality = rng.normal(size=60)
    frame = pd.DataFrame({
        "q1": np.clip(np.round(5.5 + 2 * quality + rng.normal(size=60)), 1, 10),
        "q2": np.clip(np.round(3 + quality + rng.normal(size=60)), 1, 5),
        "s1": np.clip(np.round(5.5 + 1.5 * quality + rng.normal(size=60)), 1, 10),
    })
    inst = loads_instrument(INSTRUMENT)
    blocks = blocks_from_instrument(inst)
    res = pls_pm(frame, blocks, paths_from_instrument(inst),
                 ranges=ranges_from_instrument(inst, blocks))
    assert res.n == 60
    # a single-indicator block: weight gives unit variance, loading 1, plspm's unidim 1/1/1/0
    assert res.loadings["s1"] == pytest.approx(1.0)
    unidim = res.constructs.loc["SAT", ["alpha_std", "dg_rho", "eig_1st", "eig_2nd"]]
    assert unidim.tolist() == [1.0, 1.0, 1.0, 0.0]
    # R² of a single path is the squared correlation of the two scores
    r = np.corrcoef(res.scores["QUAL"], res.scores["SAT"])[0, 1]
    assert res.r2["SAT"] == pytest.approx(r**2)
    # the 0–100 index of a one-item block is the item's mean rescaled
    assert res.indices["SAT"] == pytest.approx(((frame["s1"] - 1) / 9 * 100).mean())
    # GoF only counts blocks of two or more indicators
    assert res.gof == pytest.approx(math.sqrt(res.outer.loc[["q1", "q2"], "communality"].mean()
                                              * res.r2["SAT"]))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("blocks", "paths", "error", "match"),
    [
        ({}, PATHS, ValueError, "blocks"),
        ({**BLOCKS, "IMAG": []}, PATHS, ValueError, "IMAG"),
        ({**BLOCKS, "IMAG": "imag1"}, PATHS, TypeError, "IMAG"),
        ({**BLOCKS, "IMAG": ["imag1", "nope"]}, PATHS, ValueError, "nope"),
        ({**BLOCKS, "IMAG": ["imag1", "sat1"]}, PATHS, ValueError, "sat1"),
        ({**BLOCKS, "LONE": ["gender"]}, PATHS, ValueError, "LONE"),
        (BLOCKS, [], ValueError, "paths"),
        (BLOCKS, "IMAG -> SAT", ValueError, "paths"),
        (BLOCKS, [*PATHS, ("SAT", "XXX")], ValueError, "XXX"),
        (BLOCKS, [*PATHS, ("SAT", "SAT")], ValueError, "itself"),
        (BLOCKS, [*PATHS, "IMAG -> SAT"], ValueError, "twice"),
        (BLOCKS, [*PATHS, "LOY -> IMAG"], ValueError, "cycle"),
        (BLOCKS, [*PATHS, "IMAG => SAT"], ValueError, "A -> B"),
        (BLOCKS, [*PATHS, ("IMAG",)], ValueError, "pair"),
    ],
)
def test_bad_model(satisfaction, blocks, paths, error, match):
    with pytest.raises(error, match=match):
        pls_pm(satisfaction, blocks, paths)


def test_bad_data_and_options(satisfaction):
    with pytest.raises(TypeError, match="DataFrame"):
        pls_pm(satisfaction.to_numpy(), BLOCKS, PATHS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="gender"):
        pls_pm(satisfaction, {**BLOCKS, "IMAG": ["imag1", "gender"]}, PATHS)
    with pytest.raises(ValueError, match="do not vary"):
        pls_pm(satisfaction.assign(imag1=5), BLOCKS, PATHS)
    with pytest.raises(ValueError, match="rows"):
        pls_pm(satisfaction.head(2), BLOCKS, PATHS)
    with pytest.raises(ValueError, match="scheme"):
        pls_pm(satisfaction, BLOCKS, PATHS, scheme="pathway")
    with pytest.raises(TypeError, match="scaled"):
        pls_pm(satisfaction, BLOCKS, PATHS, scaled="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tol"):
        pls_pm(satisfaction, BLOCKS, PATHS, tol=0)
    with pytest.raises(ValueError, match="max_iter"):
        pls_pm(satisfaction, BLOCKS, PATHS, max_iter=0)
    ranges = {c: (0, 10) for c in INDICATORS}
    with pytest.raises(ValueError, match="loy4"):
        pls_pm(satisfaction, BLOCKS, PATHS, ranges={k: v for k, v in ranges.items()
                                                    if k != "loy4"})
    with pytest.raises(ValueError, match="imag1"):
        pls_pm(satisfaction, BLOCKS, PATHS, ranges={**ranges, "imag1": (10, 0)})
    with pytest.raises(ValueError, match="imag1"):
        pls_pm(satisfaction, BLOCKS, PATHS, ranges={**ranges, "imag1": (1, 10)})  # has 0s
    with pytest.raises(TypeError, match="ranges"):
        pls_pm(satisfaction, BLOCKS, PATHS, ranges=[(0, 10)])  # type: ignore[arg-type]


def test_collinear_latent_variables(satisfaction):
    twin = satisfaction.assign(copy1=satisfaction["imag1"], copy2=satisfaction["imag2"])
    blocks = {"A": ["imag1", "imag2"], "B": ["copy1", "copy2"], "C": ["sat1", "sat2"]}
    with pytest.raises(ValueError, match="collinear"):
        pls_pm(twin, blocks, ["A -> C", "B -> C"])
