"""Benchmark: score a portfolio of 1,000,000 SERVQUAL responses over 10,000 accounts.

Three measurements, each in a fresh process so that its peak memory is its own:

* parquet — the true floor: the same responses read from a Parquet file (written once)
  into the same frame, and the dimension gap means computed;
* floor — load the responses from the product's store (SQLite, answers packed per
  response) through the product's read path (``answer_store.waves_frame``, no cyclic GC)
  into a frame and compute only the dimension gap means;
* full  — load the same data and score all of it: respondent gaps and scores, reliability
  (alpha on the P answers and on the gaps of every dimension), per-account significance of
  every dimension gap (Wilcoxon and t, Holm-adjusted), the buying-centre roll-up,
  contribution and ABC classes, and relationship stages.

Usage: ``python bench/analysis.py [--responses N] [--accounts N] [--repeat K]``.
The data set is generated once (fixed seed) into ``bench/out/`` and reused.
Prints the median time and peak memory of each mode, the ratio full / floor and both
against the Parquet floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, insert, inspect, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import Questionnaire, ServqualLayout, load_instrument  # noqa: E402
from analysis.synthetic import simulate_responses  # noqa: E402
from surveyapp.db import upgrade  # noqa: E402
from surveyapp.models import (  # noqa: E402
    Account,
    Campaign,
    CampaignInstrument,
    InstrumentVersion,
    Response,
)
from surveyapp.services.answer_store import waves_frame  # noqa: E402
from surveyapp.services.responses import pack_rows  # noqa: E402
from surveyapp.services.scoring import no_cyclic_gc  # noqa: E402

OUT = ROOT / "bench" / "out"
ROLES = np.array(["economic", "technical", "user", "financial", "coach", "influencer"])
CHUNK = 100_000


def _database(n_responses: int, n_accounts: int) -> Path:
    return OUT / f"servqual-{n_responses}-{n_accounts}.sqlite"


def _schema_matches(path: Path) -> bool:
    """The tables the benchmark writes and reads have every column of today's schema (a
    table added since for something else does not make the data set stale)."""
    engine = create_engine(f"sqlite:///{path}")
    used = [m.__table__ for m in (Account, Campaign, CampaignInstrument, InstrumentVersion,
                                  Response)]
    try:
        found = inspect(engine)
        present = set(found.get_table_names())
        return all(table.name in present and {c["name"] for c in found.get_columns(
            table.name)} >= set(table.columns.keys()) for table in used)
    finally:
        engine.dispose()


def build(n_responses: int, n_accounts: int, seed: int = 2026) -> Path:
    """Generate the synthetic portfolio into a SQLite file of the product's schema."""
    path = _database(n_responses, n_accounts)
    if path.exists() and _schema_matches(path):
        return path
    path.unlink(missing_ok=True)  # built by an older schema: build again
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    source_path = ROOT / "instruments" / "servqual.toml"
    instrument = load_instrument(source_path)
    questionnaire = Questionnaire((instrument,))
    columns = list(questionnaire.numeric_columns)
    rng = np.random.default_rng(seed)
    with Session(engine) as session:
        version = InstrumentVersion(instrument_id=instrument.id, version=instrument.version,
                                    sha256="bench", source=source_path.read_text("utf-8"))
        campaign = Campaign(name="bench", wave="bench", answer_columns_json=json.dumps(columns))
        campaign.sections = [CampaignInstrument(position=0, instrument_version=version)]
        session.add(campaign)
        session.add_all([Account(code=f"A{k:05d}", name=f"Account {k}")
                         for k in range(n_accounts)])
        session.commit()
        campaign_id = campaign.id
        account_ids = dict(session.execute(select(Account.code, Account.id)).all())
    # accounts differ in size (a few large ones, many small ones), as real portfolios do
    sizes = rng.pareto(1.5, n_accounts) + 1
    account_of = rng.choice(n_accounts, size=n_responses, p=sizes / sizes.sum())
    level = pd.Series(rng.normal(0, 0.7, n_accounts), index=[f"A{k:05d}" for k in
                                                             range(n_accounts)])
    with engine.begin() as conn:
        for start in range(0, n_responses, CHUNK):
            stop = min(start + CHUNK, n_responses)
            people = pd.DataFrame({
                "response_id": np.arange(start, stop).astype(str),
                "account_id": level.index.to_numpy()[account_of[start:stop]],
                "role": rng.choice(ROLES, size=stop - start,
                                   p=[0.2, 0.25, 0.25, 0.1, 0.1, 0.1])})
            answers = simulate_responses(questionnaire, people, level, seed=seed + start,
                                         missing_share=0.02)
            packed = pack_rows(answers[columns].to_numpy())
            rows = [{"campaign_id": campaign_id, "account_id": account_ids[a], "role": r,
                     "lang": "zh", "values": v}
                    for a, r, v in zip(people["account_id"], people["role"], packed,
                                       strict=True)]
            conn.execute(insert(Response), rows)
            print(f"  generated {stop:,} / {n_responses:,} responses", file=sys.stderr)
    engine.dispose()
    tmp.rename(path)
    return path


def _load(path: Path) -> tuple[pd.DataFrame, ServqualLayout]:
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as session, no_cyclic_gc():
        campaign = session.scalars(select(Campaign)).one()
        frame = waves_frame(session, [campaign])
    engine.dispose()
    layout = ServqualLayout.of(load_instrument(ROOT / "instruments" / "servqual.toml"))
    return frame, layout


def _parquet(path: Path) -> Path:
    """The same responses as a Parquet file (written once, outside the measurement)."""
    target = path.with_suffix(".parquet")
    if not target.exists():
        frame, _layout = _load(path)
        frame.to_parquet(target)
    return target


def run_parquet(path: Path) -> dict:
    frame = pd.read_parquet(path.with_suffix(".parquet"))
    layout = ServqualLayout.of(load_instrument(ROOT / "instruments" / "servqual.toml"))
    return _gap_means(frame, layout)


def run_floor(path: Path) -> dict:
    frame, layout = _load(path)
    return _gap_means(frame, layout)


def _gap_means(frame: pd.DataFrame, layout: ServqualLayout) -> dict:
    gaps = {}
    for dim in layout.dimensions:
        p = frame[layout.p_columns[dim]].to_numpy()
        e = frame[layout.e_columns[dim]].to_numpy()
        gaps[dim] = pd.DataFrame(p - e).mean(axis=1).mean()
    return {"rows": len(frame), "gaps": gaps}


def _accounts(n_accounts: int, seed: int = 2026) -> pd.DataFrame:
    """Contribution figures and a manager's assessment for every account (fixed seed)."""
    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(15, 1, n_accounts).round()
    return pd.DataFrame({
        "account_id": [f"A{k:05d}" for k in range(n_accounts)],
        "revenue": revenue, "margin": rng.uniform(0.05, 0.4, n_accounts).round(3),
        "cost_to_serve": (revenue * rng.uniform(0.02, 0.25, n_accounts)).round(),
        "wallet": (revenue / rng.uniform(0.1, 1.0, n_accounts)).round(),
        "revenue_prev": (revenue / rng.normal(1.05, 0.2, n_accounts).clip(0.3)).round(),
        "trust": rng.integers(1, 6, n_accounts).astype(float),
        "supplier_status": rng.integers(1, 4, n_accounts).astype(float),
        "joint_planning": rng.integers(1, 6, n_accounts).astype(float),
        "info_sharing": rng.integers(1, 6, n_accounts).astype(float),
        "exec_sponsor": rng.integers(0, 2, n_accounts).astype(float),
    })


def run_full(path: Path) -> dict:
    from analysis import AnalysisOptions, Questionnaire, analyze, load_stage_model

    frame, _layout = _load(path)
    questionnaire = Questionnaire((load_instrument(ROOT / "instruments" / "servqual.toml"),))
    accounts = _accounts(int(frame["account_id"].nunique()))
    options = AnalysisOptions(stage_model=load_stage_model(ROOT / "instruments" /
                                                           "stages.toml"))
    result = analyze(questionnaire, frame, accounts, options)
    return {"rows": len(frame), "accounts": len(result.summary["accounts"])}


def child(mode: str, path: Path) -> None:
    start = time.perf_counter()
    out = {"parquet": run_parquet, "floor": run_floor, "full": run_full}[mode](path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "seconds": seconds, "peak_mb": peak_mb,
                      "rows": out["rows"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["parquet", "floor", "full"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.path))
        return
    print(f"Building or reusing {args.responses:,} responses over {args.accounts:,} accounts…",
          file=sys.stderr)
    path = build(args.responses, args.accounts)
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                    f"from bench.analysis import _parquet; from pathlib import Path; "
                    f"_parquet(Path({str(path)!r}))"], check=True)
    modes = ("parquet", "floor", "full")
    results: dict[str, list[dict]] = {m: [] for m in modes}
    for _ in range(args.repeat):
        for mode in modes:  # interleaved, so machine noise hits them alike
            done = subprocess.run([sys.executable, __file__, "--child", mode, "--path",
                                   str(path)], capture_output=True, text=True, check=True)
            results[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    parquet_t = statistics.median(r["seconds"] for r in results["parquet"])
    floor_t = statistics.median(r["seconds"] for r in results["floor"])
    full_t = statistics.median(r["seconds"] for r in results["full"])
    print(f"\n{args.responses:,} SERVQUAL responses, {args.accounts:,} accounts, "
          f"median of {args.repeat} runs each")
    print(f"{'mode':<8}{'median s':>10}{'runs (s)':>28}{'peak MB':>10}")
    for mode in modes:
        runs = ", ".join(f"{r['seconds']:.2f}" for r in results[mode])
        peak = max(r["peak_mb"] for r in results[mode])
        median = statistics.median(r["seconds"] for r in results[mode])
        print(f"{mode:<8}{median:>10.2f}{runs:>28}{peak:>10.0f}")
    print(f"load floor / Parquet floor = {floor_t / parquet_t:.2f}×; "
          f"full / Parquet floor = {full_t / parquet_t:.2f}×")
    print(f"full / floor = {full_t / floor_t:.2f}× (target ≤ 3×); "
          f"peak full = {max(r['peak_mb'] for r in results['full']):.0f} MB "
          "(target < 1,500 MB)")


if __name__ == "__main__":
    main()
