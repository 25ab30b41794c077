"""Percentile bootstrap of a mean: the error bars of the stage table.

The resamples are drawn as one (n_boot, n) matrix of indices from numpy's default_rng(seed),
which is the same stream a plain loop of `rng.integers(0, n, n)` (or `rng.choice(values, n)`)
draws, so the interval equals the textbook bootstrap with the same seed, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

N_BOOT = 2000
SEED = 0
LEVEL = 0.95


def mean_ci(values: ArrayLike, n_boot: int = N_BOOT, seed: int = SEED,
            level: float = LEVEL) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) of the non-missing values; NaN bounds when n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    if n < 2:
        return float(x[0]), float("nan"), float("nan"), 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_boot, n))
    # one mean per resample, as the plain loop takes it (a 2-D mean(axis=1) sums in another
    # order and can differ in the last bit)
    means = np.fromiter((x[row].mean() for row in draws), dtype=float, count=n_boot)
    tail = (100 - 100 * level) / 2  # 2.5 exactly for 0.95 (100 * (1 - 0.95) / 2 is not)
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(x.mean()), float(low), float(high), n
