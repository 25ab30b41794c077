"""Helpers every statistics module shares: argument checks, finite floats, column-wise Pearson r."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.errors import InputError

METHODS: tuple[str, ...] = ("spearman", "pearson")

_MIN_PAIRS = 3


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f'Correlation method "{method}" is unknown; use "spearman" or "pearson".')


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"Confidence level {confidence} must be between 0 and 1, e.g. 0.95.")


def _columnwise_r(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    """Pearson r between matching slices along `axis`; NaN where a slice is constant."""
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a * b).sum(axis=axis) / np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    return np.clip(r, -1.0, 1.0)


def _as_float_2d(values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def _num(value: Any) -> float | None:
    """A finite Python float, or None (never NaN/inf in results)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
