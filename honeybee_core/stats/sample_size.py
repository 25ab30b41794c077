"""Sample size planning: how many rated items make the Fisher CI narrow enough."""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from honeybee_core.errors import InputError
from honeybee_core.stats.common import _check_method
from honeybee_core.stats.correlation import fisher_ci


def ci_width(rho: float, n: int, method: str = "spearman", confidence: float = 0.95) -> float:
    """Width of the Fisher CI at n pairs (2.0, the whole range, when n <= 3)."""
    low, high = fisher_ci(rho, n, method, confidence)
    width = float(high - low)
    return width if math.isfinite(width) else 2.0


def plan_sample_size(
    rho: float,
    target_width: float,
    n_current: int = 0,
    *,
    method: str = "spearman",
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Smallest n whose Fisher CI on rho is narrower than target_width, and how many more items.

    With c = cosh(2 atanh(rho)), the width tanh(z+h) - tanh(z-h) = 2 sinh(2h) / (c + cosh(2h)),
    so W = width solves to cosh(2h) = (W^2 c + 2 sqrt(W^2 (c^2 - 1) + 4)) / (4 - W^2) and then
    n = 3 + (z_crit^2 var) / h^2.
    """
    if not -1.0 < rho < 1.0:
        raise InputError(f"rho is {rho}; plan with an estimate strictly between -1 and 1.")
    if not target_width > 0.0:
        raise InputError(f"Target CI width {target_width} must be above 0, e.g. 0.2.")
    z_crit = stats.norm.ppf(0.5 + confidence / 2.0)
    _check_method(method)
    var = 1.0 + rho**2 / 2.0 if method == "spearman" else 1.0
    if target_width >= 2.0:
        n_required = 4
    else:
        c, w2 = math.cosh(2.0 * math.atanh(rho)), target_width**2
        cosh_2h = (w2 * c + 2.0 * math.sqrt(w2 * (c * c - 1.0) + 4.0)) / (4.0 - w2)
        h = math.acosh(cosh_2h) / 2.0
        n_required = max(4, math.floor(3.0 + z_crit**2 * var / h**2) + 1)
        # guard the closed form against rounding at the boundary
        while ci_width(rho, n_required, method, confidence) >= target_width:
            n_required += 1
        while n_required > 4 and ci_width(rho, n_required - 1, method, confidence) < target_width:
            n_required -= 1
    return {
        "rho": float(rho),
        "target_width": float(target_width),
        "method": method,
        "confidence": confidence,
        "n_current": int(n_current),
        "n_required": n_required,
        "n_more": max(0, n_required - int(n_current)),
        "width_now": ci_width(rho, n_current, method, confidence) if n_current else None,
        "width_at_required": ci_width(rho, n_required, method, confidence),
    }
