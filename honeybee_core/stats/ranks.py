"""Average ranks (scipy.stats.rankdata's "average" method) by counting instead of sorting."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.stats.common import _as_float_2d

# Whole-number scores, and their means over up to 5 raters (halves, thirds, ... all k/60), are
# counted directly; anything else is coded by np.unique, which sorts.
_SCALES = (1, 2, 6, 12, 60)
_PROBE = 256  # values checked first, so continuous data is turned away after a glance


def _value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes ordered like the values (equal values share one), and the number of codes.

    Scores on a grid of 1/scale are coded as value * scale, which skips the sort inside
    np.unique. Since code / scale gives back every value exactly, the codes are ordered and
    distinct exactly like the values; gaps between codes are harmless to the counting in
    `_ranks_from_codes`.
    """
    low, high = values.min(), values.max()
    for scale in _SCALES:
        if (high - low) * scale > 4 * values.size + 100:
            break
        head = values[:_PROBE]
        if not np.array_equal(np.round(head * scale) / scale, head):
            continue
        scaled = np.multiply(values, scale)
        np.rint(scaled, out=scaled)
        if np.array_equal(scaled / scale if scale > 1 else scaled, values):
            first = np.rint(low * scale)
            scaled -= first
            return scaled.astype(np.intp), int(np.rint(high * scale) - first) + 1
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


def _ranks_1d(values: np.ndarray) -> np.ndarray:
    """`_ranks_from_codes` for one row holding every value: no index array to gather through."""
    codes, n_codes = _value_codes(values)
    counts = np.bincount(codes, minlength=n_codes)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0
    return mean_rank[codes]


def average_ranks(values: ArrayLike) -> np.ndarray:
    """Ranks of each column, ties given their average rank: equal to scipy.stats.rankdata."""
    values = _as_float_2d(values)
    ranks = np.empty(values.shape)
    if values.shape[0] == 0:
        return ranks
    for j in range(values.shape[1]):
        ranks[:, j] = _ranks_1d(values[:, j])
    return ranks
