"""Leadership workbook export: time and peak memory beside plain xlsxwriter.

A synthetic portfolio (default 10,000 accounts, 200 of them key accounts with a scorecard
sheet) is written by our exporter; then xlsxwriter (constant-memory mode off, the usual way)
writes the same cells — read back from our file, sheet by sheet — and the same number of
charts. Each writer runs in its own process, so its peak memory (ru_maxrss) is its own.
Both are run ``--runs`` times (default 3), alternating; the medians are printed: wall time,
CPU time (steadier on a shared machine) and peak memory.

    .venv/bin/python bench/export.py [--accounts 10000] [--cards 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DIMS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
STAGES = ("pre_kam", "early", "mid", "partnership", "synergistic", "uncoupling")


def synthetic(n: int, cards: int, seed: int = 1):
    from analysis.report.leadership import ReportData

    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(13, 1, n).round()
    margin = rng.uniform(0.05, 0.4, n)
    cost = rng.uniform(0, 0.2, n) * revenue
    contribution = revenue * margin - cost
    order = np.argsort(-contribution)
    share = np.where(contribution > 0, contribution, 0) / contribution[contribution > 0].sum()
    cumulative = np.empty(n)
    cumulative[order] = np.cumsum(share[order])
    abc = np.where(contribution <= 0, "D", np.where(cumulative <= 0.8, "A",
                                                     np.where(cumulative <= 0.95, "B", "C")))
    accounts = pd.DataFrame({
        "account_id": [f"A{k:05d}" for k in range(n)],
        "name": [f"客户 {k} 有限公司" for k in range(n)],
        "industry": rng.choice(["钢铁", "化工", "汽车"], n),
        "customer_type": rng.choice(["price_sensitive", "value_added", "partnership"], n),
        "owner": rng.choice(["Tom", "李娜", "Ann"], n), "revenue": revenue,
        "wallet": revenue / rng.uniform(0.2, 1, n), "contribution": contribution,
        "share_of_wallet": rng.uniform(0.2, 1, n), "growth": rng.normal(0.05, 0.1, n),
        "nps": rng.uniform(-100, 100, n), "satisfaction": rng.uniform(30, 95, n),
        "loyalty_index": rng.uniform(30, 95, n), "responses": rng.integers(1, 200, n),
        "invited": rng.integers(200, 300, n), "responded": rng.integers(1, 200, n),
        "roles": "economic,technical,user", "stage": rng.choice(STAGES, n),
        "next_stage": "mid", "abc": abc, "contribution_share": share,
        "cumulative_share": cumulative, "quadrant": "loyalist", "servqual.unweighted": -0.5,
        **{f"servqual.{d}.{part}": rng.normal(m, 0.5, n) for d in DIMS
           for part, m in (("e", 6), ("p", 5.3), ("gap", -0.7))},
        **{f"servqual.{d}.gap.n": rng.integers(1, 200, n) for d in DIMS}})
    items = pd.DataFrame({"item": [f"sq{k:02d}" for k in range(1, 23)],
                          "dimension": np.repeat(DIMS, [4, 5, 4, 4, 5]),
                          "e": 6.0, "p": 5.2, "gap": rng.normal(-0.7, 0.2, 22), "n": n})
    summary = {"n_responses": int(accounts["responses"].sum()),
               "servqual": {"weighted": -0.6, "dimensions": {
                   d: {"e": 6.0, "p": 5.3, "gap": -0.7, "n": n, "p_wilcoxon": 1e-6,
                       "p_holm": 1e-5} for d in DIMS}},
               "nps": {"nps": 3.0, "moe": 1.2, "n": n}, "loyalty": {"loyalty_index": 66.0},
               "quadrant_cutoffs": {"satisfaction": 80.0},
               "stages": {s: int((accounts["stage"] == s).sum()) for s in STAGES}}
    key = list(accounts.sort_values("contribution", ascending=False)["account_id"][:cards])
    return ReportData(tables={"accounts": accounts, "servqual_items": items},
                      summary=summary, key_accounts=key)


def ours(n: int, cards: int, path: str, queue) -> None:
    from analysis.report.leadership import leadership_workbook

    data = synthetic(n, cards)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    with open(path, "wb") as out:
        leadership_workbook(data, "zh", out=out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((time.perf_counter() - start, time.process_time() - cpu, peak, peak - base))


def baseline(source: str, path: str, queue) -> None:
    """xlsxwriter writing the same cells (values and formulas) and as many charts."""
    import xlsxwriter
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)],
               len(getattr(ws, "_charts", [])) or (1 if ws.title != "客户" else 0))
              for ws in book.worksheets]
    book.close()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    wb = xlsxwriter.Workbook(path)
    for title, rows, charts in sheets:
        ws = wb.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str) and value.startswith("="):
                    ws.write_formula(r, c, value)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
        for _ in range(charts):
            chart = wb.add_chart({"type": "bar"})
            chart.add_series({"values": [title, 4, 1, min(len(rows), 10), 1]})
            ws.insert_chart("H3", chart)
    wb.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((time.perf_counter() - start, time.process_time() - cpu, peak, peak - base))


def run(target, *args):
    queue: mp.Queue = mp.Queue()
    process = mp.get_context("fork").Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    mine_runs, base_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs = str(Path(tmp) / "ours.xlsx"), str(Path(tmp) / "xlsxwriter.xlsx")
        for _ in range(max(args.runs, 1)):
            mine_runs.append(run(ours, args.accounts, args.cards, mine))
            base_runs.append(run(baseline, mine, theirs))
        sizes = Path(mine).stat().st_size / 1e6, Path(theirs).stat().st_size / 1e6
    t_ours, cpu_ours, peak_ours, m_ours = (statistics.median(x)
                                           for x in zip(*mine_runs, strict=True))
    t_base, cpu_base, peak_base, m_base = (statistics.median(x)
                                           for x in zip(*base_runs, strict=True))
    print(f"{args.accounts} accounts, {args.cards} scorecards; median of {len(mine_runs)} runs")
    print(f"ours:       {t_ours:6.1f} s  cpu {cpu_ours:6.1f} s  peak {peak_ours:5.0f} MB "
          f"(+{m_ours:4.0f} MB while writing)  {sizes[0]:5.1f} MB file")
    print(f"xlsxwriter: {t_base:6.1f} s  cpu {cpu_base:6.1f} s  peak {peak_base:5.0f} MB "
          f"(+{m_base:4.0f} MB while writing)  {sizes[1]:5.1f} MB file")
    print(f"ratio: time {t_ours / t_base:.2f}×, cpu {cpu_ours / cpu_base:.2f}×, memory while "
          f"writing {m_ours / max(m_base, 1):.2f}×, peak {peak_ours / peak_base:.2f}×")
    print("runs (wall s, cpu s): ours " + ", ".join(f"{w:.1f}/{c:.1f}" for w, c, *_ in mine_runs)
          + "; xlsxwriter " + ", ".join(f"{w:.1f}/{c:.1f}" for w, c, *_ in base_runs))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
