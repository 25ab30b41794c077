"""Krippendorff's alpha, interval level, in closed form."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.errors import InputError
from honeybee_core.stats.common import _num


def krippendorff_alpha_interval(reliability_data: ArrayLike) -> float | None:
    """Krippendorff's alpha (interval) of a raters x units matrix with NaN for missing ratings.

    Closed form of the coincidence-matrix definition the `krippendorff` package uses (equal to it
    to 1e-12, see tests), in O(raters x units): the package builds a units x values x values array,
    about 4 GB for 50,000 items scored 0-100. None when undefined (no unit rated twice, or no
    variation among pairable ratings).
    """
    data = np.asarray(reliability_data, dtype=float)
    if data.ndim != 2:
        raise InputError(f"Reliability data must be raters x units (2-D), not {data.ndim}-D.")
    return _num(_alpha_interval(data[:, :, None])[0])


def _alpha_interval(data: np.ndarray) -> np.ndarray:
    """Alpha for each slice data[:, :, k] of a raters x units x k array; NaN where undefined."""
    present = ~np.isnan(data)
    present &= present.sum(axis=0) >= 2  # a unit rated once has nothing to agree with
    m_u = present.sum(axis=0)
    n_values = m_u.sum(axis=0)
    values = np.where(present, data, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_mean = values.sum(axis=0) / np.maximum(m_u, 1)
        within = (np.where(present, values - unit_mean, 0.0) ** 2).sum(axis=0)
        grand = values.sum(axis=(0, 1)) / n_values
        total = (np.where(present, values - grand, 0.0) ** 2).sum(axis=(0, 1))
        # sum over ordered pairs i != j of (v_i - v_j)^2 is 2 m sum (v_i - mean)^2
        observed = (2.0 * m_u * within / np.maximum(m_u - 1, 1)).sum(axis=0)
        expected = 2.0 * n_values * total / (n_values - 1)
        return np.where(expected > 0, 1.0 - observed / expected, np.nan)
