"""Benchmark: per-group Wilcoxon signed-rank and t tests, grouped ranks vs a scipy loop.

1,000,000 gaps over 10,000 groups (means of 1–7 answers, so with many ties and zeros).
The scipy loop is timed on the first 1,000 groups and scaled to 10,000; the p-values of
both are compared on those groups. Prints medians of ``--repeat`` runs and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.significance import paired_t_by_group, wilcoxon_by_group  # noqa: E402


def data(n: int, groups: int, seed: int = 2026) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = np.sort(rng.integers(0, groups, n))
    shift = rng.normal(-0.5, 0.6, groups)[group]
    items = rng.integers(1, 5, n)  # a dimension has 4 items: gaps are means of quarter steps
    gap = np.round((shift + rng.normal(0, 1.2, n)) * items) / items
    return gap, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--loop-groups", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gap, group = data(args.values, args.groups)
    grouped_w, grouped_t, loop_w, loop_t = [], [], [], []
    subset = group < args.loop_groups
    sub_gap, sub_group = gap[subset], group[subset]
    bounds = np.searchsorted(sub_group, np.arange(args.loop_groups + 1))
    scale = args.groups / args.loop_groups
    pairs = list(zip(bounds[:-1], bounds[1:], strict=True))
    for _ in range(args.repeat):
        start = time.perf_counter()
        w = wilcoxon_by_group(gap, group)
        grouped_w.append(time.perf_counter() - start)
        start = time.perf_counter()
        paired_t_by_group(gap, group)
        grouped_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        p_loop = [stats.wilcoxon(sub_gap[a:b]).pvalue for a, b in pairs]
        loop_w.append((time.perf_counter() - start) * scale)
        start = time.perf_counter()
        for a, b in pairs:
            stats.ttest_1samp(sub_gap[a:b], 0.0)
        loop_t.append((time.perf_counter() - start) * scale)
    diff = np.nanmax(np.abs(w["pvalue"].to_numpy()[:args.loop_groups] - np.array(p_loop)))
    print(f"{args.values:,} gaps in {args.groups:,} groups; median of {args.repeat} runs "
          f"(scipy loop timed on {args.loop_groups:,} groups and scaled)")
    print(f"{'test':<10}{'grouped s':>12}{'scipy loop s':>15}{'ratio':>8}")
    for name, mine, theirs in (("wilcoxon", grouped_w, loop_w), ("t", grouped_t, loop_t)):
        m, t = statistics.median(mine), statistics.median(theirs)
        print(f"{name:<10}{m:>12.2f}{t:>15.2f}{t / m:>7.1f}×")
    print(f"largest |p grouped − p scipy| on the looped groups: {diff:.2e}")


if __name__ == "__main__":
    main()
