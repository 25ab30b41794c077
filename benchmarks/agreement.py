"""Agreement statistics at scale, each beside a plain scipy baseline run on the same data.

    python benchmarks/agreement.py --pairs 1000000   # one size: the full recompute only
    python benchmarks/agreement.py                   # 10k, 100k and 1M pairs plus the parts

Prints one JSON object.
- full_recompute: N item-reviewer pairs (N/2 items x 2 reviewers, one verifier), DataFrames in,
  four dimensions x (Spearman, Pearson) with Fisher CIs plus Krippendorff's alpha out. Baseline:
  pandas groupby/merge, then a Python loop per dimension calling scipy.stats.spearmanr/pearsonr and
  the same Fisher formula. The baseline leaves alpha out: the krippendorff package builds a
  units x values x values array (about 4 GB at 100k pairs), so it is timed separately at 2,000
  items. ours and the baseline run alternately, so a busy machine slows both alike; the ratio is
  of the medians. max_abs_diff compares every r, p and CI bound with scipy's.
- correlations_only: the same eight correlations with Fisher CIs from aligned arrays, without
  the DataFrame work, beside the same scipy loop.
- bootstrap_*: 1,000 resamples of 10,000 pairs; baseline is a loop of 1,000 scipy calls, one
  per resample.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import scipy
from scipy import stats

from honeybee_core import stats as ag

ITEMS, REVIEWERS, RUNS = 50_000, 2, 7
PAIRS = (10_000, 100_000, 1_000_000)
TARGET_RATIO = 2.0
BOOT_PAIRS, BOOT_RESAMPLES, BOOT_RUNS = 10_000, 1_000, 3
ALPHA_ITEMS = 2_000


def median_seconds(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm caches and imports outside the timing
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_frames(n_items: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Integer 0-100 scores: a latent quality, a noisy verifier and noisy reviewers."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(40, 100, (n_items, len(ag.DIMENSIONS)))
    ids = [f"item-{i:06d}" for i in range(n_items)]

    def noisy(sd: float) -> dict[str, np.ndarray]:
        scores = np.clip(truth + rng.normal(0, sd, truth.shape), 0, 100).round()
        return dict(zip(ag.DIMENSIONS, scores.T, strict=True))

    verifier = pd.DataFrame({"item_id": ids, **noisy(12)})
    experts = pd.concat(
        [
            pd.DataFrame({"item_id": ids, "reviewer": f"expert-{r}", **noisy(8)})
            for r in range(REVIEWERS)
        ],
        ignore_index=True,
    )
    return verifier, experts


def ours_full(verifier: pd.DataFrame, experts: pd.DataFrame) -> tuple[list, list]:
    ratings = ag.Ratings.from_frames(verifier, experts)
    return ag.verifier_vs_experts(ratings), ag.inter_expert_alpha(ratings)


def baseline_full(verifier: pd.DataFrame, experts: pd.DataFrame) -> list[tuple]:
    dims = list(ag.DIMENSIONS)
    merged = verifier.merge(
        experts.groupby("item_id")[dims].mean(), on="item_id", suffixes=("_v", "_e")
    )
    z = stats.norm.ppf(0.975)
    out = []
    for dim in dims:
        pair = merged[[f"{dim}_v", f"{dim}_e"]].dropna().to_numpy()
        n = len(pair)
        for fn, var in ((stats.spearmanr, None), (stats.pearsonr, 1.0)):
            res = fn(pair[:, 0], pair[:, 1])
            r = float(res.statistic)
            se = np.sqrt((var or 1 + r * r / 2) / (n - 3))
            out.append(
                (r, res.pvalue, np.tanh(np.arctanh(r) - z * se), np.tanh(np.arctanh(r) + z * se))
            )
    return out


def alternating_medians(
    ours: Callable[[], Any], baseline: Callable[[], Any], runs: int
) -> dict[str, float]:
    """Median wall and CPU seconds of each, timed in turns after one warm-up call of each.

    CPU time is this process's (all its threads); on a machine shared with other work it is
    the steadier of the two, since waiting for a core counts in wall time only.
    """
    ours(), baseline()
    wall: dict[str, list[float]] = {"ours": [], "baseline": []}
    cpu: dict[str, list[float]] = {"ours": [], "baseline": []}
    for _ in range(runs):
        for name, fn in (("ours", ours), ("baseline", baseline)):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {
        **{f"{k}_ms": round(statistics.median(v) * 1e3, 1) for k, v in wall.items()},
        "ratio": round(statistics.median(wall["baseline"]) / statistics.median(wall["ours"]), 2),
        **{f"{k}_cpu_ms": round(statistics.median(v) * 1e3, 1) for k, v in cpu.items()},
        "cpu_ratio": round(statistics.median(cpu["baseline"]) / statistics.median(cpu["ours"]), 2),
    }


def bench_full(pairs: int) -> dict[str, Any]:
    items = pairs // REVIEWERS
    verifier, experts = make_frames(items)
    runs = max(5, min(25, 2_000_000 // pairs))
    timing = alternating_medians(
        lambda: ours_full(verifier, experts), lambda: baseline_full(verifier, experts), runs
    )
    rows, _ = ours_full(verifier, experts)
    check = baseline_full(verifier, experts)
    # ours: method-major rows; baseline: dimension-major (spearman, pearson) tuples
    ours_values = [
        (row["estimate"], row["p_value"], row["ci_low"], row["ci_high"])
        for d in range(4)
        for row in (rows[m * 4 + d] for m in range(2))
    ]
    diff = max(
        abs(a - float(b))
        for mine, theirs in zip(ours_values, check, strict=True)
        for a, b in zip(mine, theirs, strict=True)
    )
    return {
        "pairs": items * REVIEWERS,
        "items": items,
        "reviewers": REVIEWERS,
        "runs": runs,
        **timing,
        "target_ratio": TARGET_RATIO,
        "meets_target": timing["ratio"] >= TARGET_RATIO,
        "max_abs_diff_vs_scipy": diff,
        "note": "ours includes Krippendorff alpha (4 dims); the baseline does not",
    }


def bench_core() -> dict[str, Any]:
    """The statistics alone on the same aligned (items, 4) arrays: what vectorising buys."""
    verifier, experts = make_frames(ITEMS)
    ratings = ag.Ratings.from_frames(verifier, experts)
    x, y = ratings.verifier_mean, ratings.expert_mean
    columns = [(np.ascontiguousarray(x[:, d]), np.ascontiguousarray(y[:, d])) for d in range(4)]
    z = stats.norm.ppf(0.975)

    def baseline() -> list[tuple]:
        out = []
        for xd, yd in columns:
            for fn, spearman in ((stats.spearmanr, True), (stats.pearsonr, False)):
                res = fn(xd, yd)
                r = float(res.statistic)
                se = np.sqrt(((1 + r * r / 2) if spearman else 1.0) / (len(xd) - 3))
                out.append((r, res.pvalue, np.tanh(np.arctanh(r) - z * se)))
        return out

    ours = median_seconds(lambda: [ag.correlate_columns(x, y, m) for m in ag.METHODS], RUNS)
    base = median_seconds(baseline, RUNS)
    return {
        "items": ITEMS,
        "dimensions": 4,
        "methods": 2,
        "runs": RUNS,
        "ours_ms": round(ours * 1e3, 1),
        "baseline_ms": round(base * 1e3, 1),
        "ratio": round(base / ours, 2),
    }


def bench_alpha() -> dict[str, Any]:
    verifier, experts = make_frames(ALPHA_ITEMS, seed=1)
    ratings = ag.Ratings.from_frames(verifier, experts)
    matrices = [ratings.expert[:, :, d] for d in range(len(ag.DIMENSIONS))]
    ours = median_seconds(lambda: [ag.krippendorff_alpha_interval(m) for m in matrices], RUNS)
    package = median_seconds(
        lambda: [krippendorff.alpha(m, level_of_measurement="interval") for m in matrices], 3
    )
    diff = max(
        abs(
            ag.krippendorff_alpha_interval(m)
            - krippendorff.alpha(m, level_of_measurement="interval")
        )
        for m in matrices
    )
    return {
        "items": ALPHA_ITEMS,
        "reviewers": REVIEWERS,
        "dimensions": 4,
        "ours_ms": round(ours * 1e3, 2),
        "krippendorff_package_ms": round(package * 1e3, 1),
        "ratio": round(package / ours, 1),
        "max_abs_diff": diff,
        "package_array_gb_at_full_size": round(ITEMS * 101 * 101 * 8 / 1e9, 1),
    }


def bench_bootstrap(method: str) -> dict[str, Any]:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 101, BOOT_PAIRS).astype(float)
    y = np.clip(x + rng.normal(0, 15, BOOT_PAIRS), 0, 100).round()
    scipy_fn = stats.spearmanr if method == "spearman" else stats.pearsonr

    def baseline() -> np.ndarray:
        rng_b = np.random.default_rng(0)
        reps = [
            scipy_fn(x[i], y[i]).statistic
            for i in (rng_b.integers(0, BOOT_PAIRS, BOOT_PAIRS) for _ in range(BOOT_RESAMPLES))
        ]
        return np.percentile(reps, [2.5, 97.5])

    ours = median_seconds(
        lambda: ag.correlate(x, y, method, ci="bootstrap", n_boot=BOOT_RESAMPLES), BOOT_RUNS
    )
    base = median_seconds(baseline, BOOT_RUNS)
    return {
        "method": method,
        "pairs": BOOT_PAIRS,
        "resamples": BOOT_RESAMPLES,
        "runs": BOOT_RUNS,
        "ours_s": round(ours, 3),
        "baseline_s": round(base, 3),
        "ratio": round(base / ours, 2),
        "target_s": 2.0,
        "meets_target": ours < 2.0,
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pairs", type=int, action="append", help="item-reviewer pairs (repeatable)"
    )
    args = parser.parse_args()
    if args.pairs:
        rows = [bench_full(n) for n in args.pairs]
        result = rows[0] if len(rows) == 1 else {"full_recompute": rows}
        print(json.dumps({**result, "machine": machine()}))
        return
    result = {
        "full_recompute": [bench_full(n) for n in PAIRS],
        "correlations_only": bench_core(),
        "alpha_vs_package": bench_alpha(),
        "bootstrap_spearman": bench_bootstrap("spearman"),
        "bootstrap_pearson": bench_bootstrap("pearson"),
        "machine": machine(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
