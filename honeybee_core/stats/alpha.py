"""Krippendorff's alpha, interval level, in closed form."""

from __future__ import annotations

import math

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
    return _num(_alpha_2d(data)[0])


def _alpha_2d(data: np.ndarray) -> tuple[float, int, int]:
    """Alpha of one raters x units matrix (NaN where undefined), the number of units rated at
    least twice and the number of ratings they hold.

    Each dimension on its own keeps the temporaries small (they are reused instead of mapped
    fresh, which at scale cost more than the arithmetic); counts stay small integers until
    they meet floats; the total sum of squares comes from the per-unit ones (within + between),
    so a single pass over the ratings computes squares.
    """
    data = np.ascontiguousarray(data)  # free for grids from Ratings.from_frames
    present = ~np.isnan(data)
    counts = present.sum(axis=0, dtype=np.int8 if data.shape[0] < 128 else np.int64)
    pairable = counts >= 2  # a unit rated once has nothing to agree with
    present &= pairable
    m_u = np.where(pairable, counts, 0).astype(float)
    n_values = m_u.sum()
    values = np.where(present, data, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_mean = values.sum(axis=0) / np.maximum(m_u, 1.0)
        deviations = np.subtract(values, unit_mean, out=values)
        np.multiply(deviations, present, out=deviations)
        within = np.square(deviations, out=deviations).sum(axis=0)
        grand = (unit_mean * m_u).sum() / n_values
        total = (within + np.square(unit_mean - grand) * m_u).sum()
        # sum over ordered pairs i != j of (v_i - v_j)^2 is 2 m sum (v_i - mean)^2
        observed = (2.0 * m_u * within / np.maximum(m_u - 1.0, 1.0)).sum()
        expected = 2.0 * n_values * total / (n_values - 1)
        alpha = float(1.0 - observed / expected) if expected > 0 else math.nan
    return alpha, int(pairable.sum()), int(n_values)
