"""`surveyapp analyze`: files in, JSON / XLSX out, no database; bad input exits with 2.

Runs on the hand-made set ``tests/data/analyze_small_*.csv`` (see
``tests/data/analyze_small.README.md``) and on the plspm ``satisfaction`` data.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis.pls import bootstrap, pls_pm
from surveyapp.cli import main
from tests.conftest import DATA, REPO

INSTRUMENTS = REPO / "instruments"
SMALL = ("servqual", "loyalty", "servqual_gap1", "relationship", "grid25")
RESPONSES = DATA / "analyze_small_responses.csv"
ACCOUNTS = DATA / "analyze_small_accounts.csv"


def _instrument_args(names=SMALL, directory=INSTRUMENTS):
    return [a for n in names for a in ("--instrument", str(directory / f"{n}.toml"))]


def _analyze(*args: str):
    return CliRunner().invoke(main, ["analyze", *args])


def _small_args(responses=RESPONSES, accounts=ACCOUNTS):
    args = [*_instrument_args(), "--responses", str(responses)]
    return args + (["--accounts", str(accounts)] if accounts is not None else [])


def _accounts_by_id(summary):
    return {a["account_id"]: a for a in summary["accounts"]}


def _text_frame(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- outputs


def test_writes_json_and_xlsx(tmp_path):
    out_json, out_xlsx = tmp_path / "result.json", tmp_path / "result.xlsx"
    result = _analyze(*_small_args(), "--json", str(out_json), "--xlsx", str(out_xlsx))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out_json}" in result.stderr and f"Wrote {out_xlsx}" in result.stderr

    s = json.loads(out_json.read_text(encoding="utf-8"))
    # hand-computed (tests/data/analyze_small.README.md): tangibles G of r1–r6
    # −1.5, −1.5, 0, −4, 0.25, −0.75 → −1.25; NPS: 3 promoters, 2 detractors of 6 → 100/6
    assert s["n_responses"] == 13
    assert s["instruments"] == list(SMALL)
    assert s["servqual"]["dimensions"]["tangibles"]["gap"] == pytest.approx(-1.25)
    assert s["servqual"]["dimensions"]["tangibles"]["n"] == 6
    assert s["nps"]["nps"] == pytest.approx(100 / 6) and s["nps"]["n"] == 6
    acc = _accounts_by_id(s)
    # A2: share 400/500 ≥ 0.30, assessment status 2 and trust 3, two roles → mid (stages.toml,
    # the default thresholds); contribution 400·0.25 − 40
    assert acc["A2"]["stage"] == "mid" and acc["A2"]["contribution"] == pytest.approx(60)
    assert acc["A1"]["grid_cell"] == "3C"

    book = load_workbook(out_xlsx, read_only=True)
    # analysis/report: the leadership sheets the data allow, then the statistics sheets
    assert book.sheetnames[:2] == ["Summary", "Accounts"]
    assert {"Service gaps", "Relationship stages", "Contribution", "SERVQUAL",
            "Gap tests by account", "Reliability", "NPS", "Loyalty"} <= set(book.sheetnames)
    assert not {"Model paths", "Key drivers"} & set(book.sheetnames)  # no [model] instrument
    rows = list(book["Accounts"].iter_rows(values_only=True))
    book.close()
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Account code")
    header = rows[header_at]
    records = {r[0]: dict(zip(header, r, strict=False)) for r in rows[header_at + 1:]
               if r and r[0] in {"A1", "A2", "A3", "A4"}}
    assert set(records) == {"A1", "A2", "A3", "A4"}
    assert records["A2"]["Stage"] == "Mid KAM"  # translated, never the id "mid"
    assert records["A2"]["ABC class"] == "A"
    assert records["A2"]["Contribution"] == pytest.approx(60)
    # share of wallet is a live formula over revenue and wallet: 1000 / 2500
    assert records["A1"]["Revenue"] == 1000 and records["A1"]["Wallet"] == 2500
    assert str(records["A1"]["Share of wallet"]).startswith("=")
    assert records["A1"]["Roles answered"] == "Economic buyer, Technical buyer, User buyer"


def test_json_to_stdout_is_the_same_json(tmp_path):
    out_json = tmp_path / "result.json"
    to_file = _analyze(*_small_args(), "--json", str(out_json))
    to_stdout = _analyze(*_small_args(), "--json", "-")
    assert to_file.exit_code == 0 and to_stdout.exit_code == 0, to_stdout.output
    # standard output holds the JSON and nothing else
    assert json.loads(to_stdout.stdout) == json.loads(out_json.read_text(encoding="utf-8"))
    # with a JSON file the text summary goes to standard output
    assert "SERVQUAL (n = 6)" in to_file.stdout


def test_text_summary_without_outputs():
    result = _analyze(*_small_args())
    assert result.exit_code == 0, result.output
    # hand: NPS 100/6 = 16.7, moe 1.96·100·sqrt((1/2 + 1/3 − 1/36)/6) = 71.8
    assert "NPS 16.7 ± 71.8 (n = 6)" in result.stdout
    assert result.stdout.startswith("13 responses; instruments:\n"
                                    "  servqual         Service quality survey\n"
                                    "  loyalty          Customer loyalty survey\n")
    assert "4 accounts" in result.stdout
    # names instead of ids, reliability, and the warnings said
    assert "  Tangibles              E 6.11  P 4.83  gap -1.25  n 6" in result.stdout
    assert "  Repurchase             alpha 0.98  k 3  n 6" in result.stdout
    assert "Warning: 1 account(s) have a wallet of 0, read as unknown" in result.stdout
    assert "revenue above their wallet" not in result.stdout


def test_xlsx_responses_give_the_same_results(tmp_path):
    frame = _text_frame(RESPONSES)
    xlsx = tmp_path / "responses.xlsx"
    frame.to_excel(xlsx, index=False)
    from_csv = _analyze(*_small_args(), "--json", "-")
    from_xlsx = _analyze(*_small_args(responses=xlsx), "--json", "-")
    assert from_xlsx.exit_code == 0, from_xlsx.output
    assert json.loads(from_xlsx.stdout) == json.loads(from_csv.stdout)


def test_by_role_adds_servqual_by_role():
    plain = _analyze(*_small_args(), "--json", "-")
    by_role = _analyze(*_small_args(), "--by", "role", "--json", "-")
    assert by_role.exit_code == 0, by_role.output
    assert "by" not in json.loads(plain.stdout)["servqual"]
    # the terminal summary shows the groups with the JSON's unweighted score
    text = _analyze(*_small_args(), "--by", "role").stdout
    economic = next(r for r in json.loads(by_role.stdout)["servqual"]["by"]["role"]
                    if r["role"] == "economic")
    assert "  by role:\n" in text
    assert f"    economic             unweighted {economic['unweighted']:.2f}  n 2" in text
    rows = {r["role"]: r for r in json.loads(by_role.stdout)["servqual"]["by"]["role"]}
    # the customers' roles (managers' rows answer no SERVQUAL item)
    assert set(rows) == {"economic", "user", "technical", "financial", "coach"}
    # hand: economic = r1 and r4: tangibles G (−1.5 − 4)/2, reliability (−1.5 − 4.5)/2
    assert rows["economic"]["tangibles.gap"] == pytest.approx(-2.75)
    assert rows["economic"]["reliability.gap"] == pytest.approx(-3.0)
    assert rows["economic"]["tangibles.gap.n"] == 2
    # financial = r5 alone, who skipped reliability: missing, not zero
    assert rows["financial"]["reliability.gap"] is None
    assert rows["financial"]["reliability.gap.n"] == 0


def test_by_an_accounts_column():
    result = _analyze(*_small_args(), "--by", "customer_type", "--json", "-")
    assert result.exit_code == 0, result.output
    rows = {r["customer_type"]: r
            for r in json.loads(result.stdout)["servqual"]["by"]["customer_type"]}
    # hand: A1 partnership (r1, r2, r3): tangibles G (−1.5 − 1.5 + 0)/3; A2 value_added
    # (r4, r5): (−4 + 0.25)/2; A3 price_sensitive (r6): −0.75
    assert rows["partnership"]["tangibles.gap"] == pytest.approx(-1.0)
    assert rows["value_added"]["tangibles.gap"] == pytest.approx(-1.875)
    assert rows["price_sensitive"]["tangibles.gap"] == pytest.approx(-0.75)
    assert rows["partnership"]["tangibles.gap.n"] == 3


def test_runs_without_a_database(tmp_path, monkeypatch):
    def no_app(*args, **kwargs):
        raise AssertionError("surveyapp analyze must not create the app or open a database")

    monkeypatch.setattr("surveyapp.create_app", no_app)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite'}")
    monkeypatch.chdir(tmp_path)
    result = _analyze(*_small_args(), "--json", "out.json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


# --------------------------------------------------------------------------- the path model


PLSPM_BLOCKS = {  # R plspm's satisfaction example blocks
    "IMAG": [f"imag{i}" for i in range(1, 6)], "EXPE": [f"expe{i}" for i in range(1, 6)],
    "QUAL": [f"qual{i}" for i in range(1, 6)], "VAL": [f"val{i}" for i in range(1, 5)],
    "SAT": [f"sat{i}" for i in range(1, 5)], "LOY": [f"loy{i}" for i in range(1, 5)],
}
PLSPM_PATHS = [("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"),
               ("EXPE", "VAL"), ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"),
               ("VAL", "SAT"), ("SAT", "LOY")]


@pytest.fixture
def plspm_csv(tmp_path):
    """The plspm rows without a 0 (satisfaction.toml is 1–10), as a wide responses file."""
    frame = pd.read_csv(DATA / "plspm_satisfaction.csv", index_col=0).drop(columns="gender")
    frame = frame[(frame > 0).all(axis=1)]
    frame.insert(0, "response_id", [f"s{i}" for i in frame.index])
    path = tmp_path / "satisfaction.csv"
    frame.to_csv(path, index=False)
    return path, frame.drop(columns="response_id").astype("float64").reset_index(drop=True)


@pytest.mark.parametrize("unscaled", [False, True])
def test_model_from_the_command_line_matches_pls_pm(plspm_csv, unscaled):
    path, data = plspm_csv
    args = [*_instrument_args(("satisfaction",)), "--responses", str(path), "--json", "-"]
    result = _analyze(*args, *(["--unscaled"] if unscaled else []))
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)["model"]
    ranges = {c: (1, 10) for cols in PLSPM_BLOCKS.values() for c in cols}
    direct = pls_pm(data, PLSPM_BLOCKS, PLSPM_PATHS, scaled=not unscaled, ranges=ranges)
    assert model["n"] == direct.n == len(data)
    assert model["scaled"] is (not unscaled)
    for key, series in (("paths", direct.path_coefficients), ("r2", direct.r2),
                        ("outer_weights", direct.outer_weights), ("index", direct.indices)):
        assert model[key] == pytest.approx(series.to_dict(), abs=1e-10), key


def test_bootstrap_option_matches_a_direct_bootstrap(plspm_csv):
    path, data = plspm_csv
    result = _analyze(*_instrument_args(("satisfaction",)), "--responses", str(path),
                      "--bootstrap", "20", "--seed", "5", "--json", "-")
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)["model"]
    direct = bootstrap(data, PLSPM_BLOCKS, PLSPM_PATHS, n_boot=20, seed=5)
    assert model["bootstrap"]["n_boot"] == 20 and model["bootstrap"]["seed"] == 5
    for label, row in direct.paths.iterrows():
        assert model["paths_ci"][label] == pytest.approx([row["lo"], row["hi"]], abs=1e-10)


# --------------------------------------------------------------------------- bad input


def _responses_with(tmp_path, change):
    frame = _text_frame(RESPONSES)
    change(frame)
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    return path


def _set(response_id, column, value):
    def change(frame):
        frame.loc[frame["response_id"] == response_id, column] = value
    return change


def _add_column(column):
    def change(frame):
        frame[column] = ""
    return change


def _broken_instrument(tmp_path):
    """servqual.toml with a misspelt key in item sq05."""
    directory = tmp_path / "instruments"
    directory.mkdir()
    for name in SMALL:
        shutil.copy(INSTRUMENTS / f"{name}.toml", directory / f"{name}.toml")
    path = directory / "servqual.toml"
    text = path.read_text(encoding="utf-8")
    good = 'id = "sq05"\nconstruct = "reliability"'
    assert good in text
    path.write_text(text.replace(good, 'id = "sq05"\nconstuct = "reliability"'),
                    encoding="utf-8")
    return directory


def _accounts_with_text_revenue(tmp_path):
    frame = _text_frame(ACCOUNTS)
    frame.loc[frame["account_id"] == "A2", "revenue"] = "about 400"
    path = tmp_path / "accounts.csv"
    frame.to_csv(path, index=False)
    return path


# case → (arguments, pieces the message must contain); rows are spreadsheet rows (header 1)
def _case(name, tmp_path):
    if name == "out of scale":  # r2 is row 3
        path = _responses_with(tmp_path, _set("r2", "sq01.e", "8"))
        return _small_args(responses=path), [
            str(path), "row 3, column 'sq01.e'", "8 is outside the scale 1–7"]
    if name == "unknown column":
        path = _responses_with(tmp_path, _add_column("sq99.p"))
        return _small_args(responses=path), ["row 1, column 'sq99.p'", "unknown column"]
    if name == "not a number":  # r1 is row 2
        path = _responses_with(tmp_path, _set("r1", "nps", "ten"))
        return _small_args(responses=path), ["row 2, column 'nps'", "'ten' is not a number"]
    if name == "instrument":
        directory = _broken_instrument(tmp_path)
        args = [*_instrument_args(directory=directory), "--responses", str(RESPONSES)]
        return args, [str(directory / "servqual.toml"), "'sq05'", "field 'constuct'",
                      "unknown key"]
    if name == "accounts revenue":  # A2 is row 3 of the accounts file
        path = _accounts_with_text_revenue(tmp_path)
        return _small_args(accounts=path), [
            str(path), "row 3, column 'revenue'", "'about 400' is not a number"]
    if name == "grouping":
        return [*_small_args(), "--by", "region"], ["cannot group by 'region'"]
    raise AssertionError(name)


@pytest.mark.parametrize("case", ["out of scale", "unknown column", "not a number",
                                  "instrument", "accounts revenue", "grouping"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case):
    args, pieces = _case(case, tmp_path)
    out_json, out_xlsx = tmp_path / "out.json", tmp_path / "out.xlsx"
    result = _analyze(*args, "--json", str(out_json), "--xlsx", str(out_xlsx))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    for piece in pieces:
        assert piece in result.stderr
    assert result.stdout == ""
    assert not out_json.exists() and not out_xlsx.exists()


def test_bad_input_with_json_to_stdout_prints_no_json(tmp_path):
    path = _responses_with(tmp_path, _set("r4", "sq10.p", "0"))  # r4 is row 5
    result = _analyze(*_small_args(responses=path), "--json", "-")
    assert result.exit_code == 2
    assert "row 5, column 'sq10.p'" in result.stderr and result.stdout == ""


def test_responses_without_role_column_are_analysed(tmp_path):
    path = tmp_path / "responses.csv"
    _text_frame(RESPONSES).drop(columns="role").to_csv(path, index=False)
    result = _analyze(*_small_args(responses=path), "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["servqual"]["dimensions"]["tangibles"]["gap"] == \
        pytest.approx(-1.25)


def test_an_unwritable_output_exits_2_and_leaves_nothing(tmp_path):
    json_out = tmp_path / "out.json"
    result = _analyze(*_small_args(), "--json", str(json_out),
                      "--xlsx", str(tmp_path / "missing-dir" / "out.xlsx"))
    assert result.exit_code == 2
    assert "cannot write" in result.output and "nothing was written" in result.output
    assert not json_out.exists()


def test_role_weights_from_the_command_line(tmp_path):
    # economic weighs 1 and every other role 0: the account score is the economic buyers'
    # mean — compared with the economic rows' own mean from the wide file (pandas)
    zero = [f"--role-weight={r}=0" for r in ("technical", "user", "financial", "coach",
                                             "influencer", "unknown")]
    out = tmp_path / "w.json"
    result = _analyze(*_small_args(), "--role-weight", "economic=1", *zero, "--json", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text(encoding="utf-8"))
    frame = pd.read_csv(RESPONSES)
    economic = frame[(frame["role"] == "economic") & (frame["account_id"] == "A1")]
    assert not economic.empty
    assert _accounts_by_id(summary)["A1"]["nps"] == pytest.approx(
        100 * ((economic["nps"] >= 9).mean() - (economic["nps"] <= 6).mean()))
    bad = _analyze(*_small_args(), "--role-weight", "economic")
    assert bad.exit_code == 2 and "ROLE=WEIGHT" in bad.output


def test_a_model_that_cannot_be_estimated_is_reported_not_fatal(tmp_path):
    # one respondent: too few rows for the path model; every other model still runs
    from analysis import Questionnaire, load_instrument
    from analysis.synthetic import simulate_responses

    names = ("servqual", "satisfaction", "loyalty")
    q = Questionnaire(tuple(load_instrument(INSTRUMENTS / f"{n}.toml") for n in names))
    one = simulate_responses(q, pd.DataFrame({"response_id": ["r1"], "account_id": ["A1"],
                                              "role": ["user"]}), {"A1": 0.0}, seed=1)
    path = tmp_path / "one.csv"
    one.to_csv(path, index=False)
    out = tmp_path / "one.json"
    result = _analyze(*_instrument_args(names), "--responses", str(path), "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "model not estimated" in result.output
    model = json.loads(out.read_text(encoding="utf-8"))["model"]
    assert model["n"] == 1 and model["paths"] == {} and model["gof"] is None


# --------------------------------------------------------------------------- files as they come


def _export_shaped(tmp_path):
    """The small responses as an export would have them: Chinese metadata headers, a gender
    column, R's NA and SPSS's '.' for blanks, -99 for 'refused'."""
    frame = _text_frame(RESPONSES).rename(columns={"response_id": "问卷编号",
                                                   "account_id": "客户编号", "role": "角色"})
    frame.insert(1, "gender", ["F", "M"] * (len(frame) // 2) + ["F"] * (len(frame) % 2))
    frame = frame.replace("", "NA")
    frame.loc[0, "rep3"] = "-99"
    frame.loc[1, "rep1"] = "."
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return path


def test_an_export_with_codes_attributes_and_chinese_headers_gives_the_same_figures(tmp_path):
    plain = _analyze(*_small_args(), "--json", "-")
    plain_json = json.loads(plain.stdout)
    path = _export_shaped(tmp_path)
    result = _analyze(*_small_args(responses=path), "--na", "-99", "--json", "-",
                      "--by", "gender")
    assert result.exit_code == 0, result.output
    s = json.loads(result.stdout)
    # r1's rep3 and r2's rep1 are now missing: every SERVQUAL figure is unchanged
    assert s["servqual"]["dimensions"] == plain_json["servqual"]["dimensions"]
    assert s["nps"] == plain_json["nps"]
    assert {g["gender"] for g in s["servqual"]["by"]["gender"]} == {"F", "M"}
    assert any("问卷编号 → response_id" in n for n in s["notices"])
    assert any("gender" in n and "attributes" in n for n in s["notices"])


def test_map_options_and_the_map_template(tmp_path):
    frame = _text_frame(RESPONSES).rename(columns={"response_id": "ID", "nps": "Recommend"})
    path = tmp_path / "mapped.csv"
    frame.to_csv(path, index=False)
    without = json.loads(_analyze(*_small_args(responses=path), "--json", "-").stdout)
    # unmapped, the file still reads: rows are named by their number, the two columns are
    # attributes, and no NPS is made from an attribute
    assert without["nps"]["n"] == 0
    assert any("no response_id column" in n for n in without["notices"])
    assert any("ID, Recommend" in n for n in without["notices"])
    mapped = _analyze(*_small_args(responses=path), "--map", "ID=response_id",
                      "--map", "Recommend=nps", "--json", "-")
    assert mapped.exit_code == 0, mapped.output
    assert json.loads(mapped.stdout)["nps"]["nps"] == pytest.approx(100 / 6)
    template = tmp_path / "map.toml"
    written = _analyze(*_instrument_args(), "--map-template", str(template))
    assert written.exit_code == 0, written.output
    text = template.read_text(encoding="utf-8")
    assert '"问卷编号" = "response_id"' in text and '= "sq01.e"' in text
    map_file = tmp_path / "mine.toml"
    map_file.write_text('[columns]\n"ID" = "response_id"\n"Recommend" = "nps"\n',
                        encoding="utf-8")
    from_file = _analyze(*_small_args(responses=path), "--column-map", str(map_file),
                         "--json", "-")
    assert json.loads(from_file.stdout)["nps"] == json.loads(mapped.stdout)["nps"]
    bad = _analyze(*_small_args(responses=path), "--map", "ID=respondent", "--json", "-")
    assert bad.exit_code == 2 and "renames to 'respondent'" in bad.stderr


def test_bad_responses_say_nothing_was_written(tmp_path):
    path = _responses_with(tmp_path, _set("r2", "sq01.e", "8"))
    result = _analyze(*_small_args(responses=path))
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr and "imported" not in result.stderr


def test_missing_and_scheme_options_reach_the_models(plspm_csv):
    plspm_path, data = plspm_csv
    args = [*_instrument_args(("satisfaction",)), "--responses", str(plspm_path)]
    listwise = json.loads(_analyze(*args, "--json", "-").stdout)
    pairwise = json.loads(_analyze(*args, "--missing", "pairwise", "--json", "-").stdout)
    centroid = json.loads(_analyze(*args, "--scheme", "centroid", "--json", "-").stdout)
    # the plspm data have no missing answer: pairwise is listwise there
    for construct, entry in listwise["reliability"].items():
        assert pairwise["reliability"][construct]["alpha"] == pytest.approx(entry["alpha"])
    assert centroid["model"]["scheme"] == "centroid" and listwise["model"]["scheme"] == "path"
    from analysis import load_instrument
    from analysis.pls import blocks_from_instrument, paths_from_instrument
    inst = load_instrument(INSTRUMENTS / "satisfaction.toml")
    direct = pls_pm(data, blocks_from_instrument(inst), paths_from_instrument(inst),
                    scheme="centroid")
    for path_name, value in direct.path_coefficients.items():
        assert centroid["model"]["paths"][path_name] == pytest.approx(value, abs=1e-9)
    bad = _analyze(*args, "--scheme", "circle")
    assert bad.exit_code == 2


def test_plspm_published_paths_from_the_raw_r_file_on_the_first_try(tmp_path):
    # tests/data/plspm_satisfaction.csv is plspm's `satisfaction` as R's write.csv wrote it
    # (row names, a gender column, answers 0–10); plspm(..., scaled = FALSE) with its
    # default centroid scheme gives IMAG -> SAT 0.200724200280665 (tests/analysis/test_pls.py)
    instrument = tmp_path / "satisfaction010.toml"
    source = (INSTRUMENTS / "satisfaction.toml").read_text(encoding="utf-8")
    instrument.write_text(source.replace("[scales.rate10]\nmin = 1", "[scales.rate10]\nmin = 0"),
                          encoding="utf-8")
    result = _analyze("--instrument", str(instrument), "--responses",
                      str(DATA / "plspm_satisfaction.csv"), "--scheme", "centroid",
                      "--unscaled", "--by", "gender", "--json", "-")
    assert result.exit_code == 0, result.output
    s = json.loads(result.stdout)
    assert s["model"]["n"] == 250
    assert s["model"]["paths"]["IMAG -> SAT"] == pytest.approx(0.200724200280665, abs=1e-4)
    assert any("row names" in n for n in s["notices"])
    assert any("gender" in n for n in s["notices"])
    # --by groups SERVQUAL only, which this questionnaire has not: said, not ignored
    assert s["warnings"] == ["--by gender: groups SERVQUAL scores, and the questionnaire has "
                             "no SERVQUAL instrument; nothing was grouped"]
