"""Bootstrap distributions and percentile intervals of correlations, vectorised in blocks."""

from __future__ import annotations

import math

import numpy as np

from honeybee_core.errors import InputError
from honeybee_core.stats.common import _check_method, _columnwise_r
from honeybee_core.stats.ranks import _ranks_from_codes, _value_codes

# Bootstrap work is split into blocks of about this many resampled values (~16 MB per array).
_BLOCK_VALUES = 1 << 21


def resampled_correlations(
    x: np.ndarray, y: np.ndarray, idx: np.ndarray, method: str = "spearman"
) -> np.ndarray:
    """Correlation for each row of resample indices idx (B, n); NaN for constant resamples."""
    _check_method(method)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if method == "pearson":
        return _columnwise_r(x[idx], y[idx], axis=1)
    rank_x = _ranks_from_codes(*_value_codes(x), idx)
    return _columnwise_r(rank_x, _ranks_from_codes(*_value_codes(y), idx), axis=1)


def bootstrap_distribution(
    x: np.ndarray, y: np.ndarray, method: str = "spearman", n_boot: int = 1000, seed: int = 0
) -> np.ndarray:
    """n_boot bootstrap correlations of complete pairs (x, y), reproducible from `seed`."""
    if n_boot < 1:
        raise InputError(f"n_boot is {n_boot}; ask for at least 1 bootstrap resample.")
    rng = np.random.default_rng(seed)
    n = x.size
    rows = max(1, _BLOCK_VALUES // max(n, 1))  # bounded memory; each block is still vectorised
    out = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        stop = min(start + rows, n_boot)
        out[start:stop] = resampled_correlations(
            x, y, rng.integers(0, n, (stop - start, n)), method
        )
    return out


def _bootstrap_interval(
    x: np.ndarray, y: np.ndarray, method: str, n_boot: int, seed: int, confidence: float
) -> tuple[float, float]:
    reps = bootstrap_distribution(x, y, method, n_boot, seed)
    reps = reps[~np.isnan(reps)]  # resamples that drew a single distinct value
    if reps.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(reps, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    return float(low), float(high)
