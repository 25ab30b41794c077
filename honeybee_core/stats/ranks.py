"""Average ranks (scipy.stats.rankdata's "average" method) by counting instead of sorting."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.stats.common import _as_float_2d


def _value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes ordered like the values (equal values share one), and the number of codes.

    Integer scores (the usual 0-100) are their own codes, which skips the sort inside np.unique;
    gaps between codes are harmless to the counting in `_ranks_from_codes`.
    """
    low, high = values.min(), values.max()
    if high - low <= 4 * values.size + 100 and np.array_equal(values, np.round(values)):
        return (values - low).astype(np.int64), int(high - low) + 1
    codes = np.unique(values, return_inverse=True)[1].ravel()
    return codes, int(codes.max()) + 1


def _ranks_from_codes(codes: np.ndarray, n_codes: int, idx: np.ndarray) -> np.ndarray:
    """Average ranks inside each row of idx (B, n), a set of positions into the coded values.

    A value's rank only depends on how many values in its row are smaller or equal, so a bincount
    per row plus a cumulative sum gives exactly scipy's average ranks, in O(n) per row, no sort.
    """
    rows = idx.shape[0]
    code = codes[idx]
    offset = (np.arange(rows) * n_codes)[:, None]
    counts = np.bincount((code + offset).ravel(), minlength=rows * n_codes)
    counts = counts.reshape(rows, n_codes)
    mean_rank = np.cumsum(counts, axis=1) - (counts - 1) / 2.0  # ties share their mean rank
    return np.take_along_axis(mean_rank, code, axis=1)


def average_ranks(values: ArrayLike) -> np.ndarray:
    """Ranks of each column, ties given their average rank: equal to scipy.stats.rankdata."""
    values = _as_float_2d(values)
    ranks = np.empty(values.shape)
    if values.shape[0] == 0:
        return ranks
    identity = np.arange(values.shape[0])[None, :]
    for j in range(values.shape[1]):
        ranks[:, j] = _ranks_from_codes(*_value_codes(values[:, j]), identity)[0]
    return ranks
