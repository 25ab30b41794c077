"""How well a filter rule on verifier scores matches expert approvals: precision, recall, F1."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.errors import InputError
from honeybee_core.rules import FilterRule, parse_rule, score_matrix
from honeybee_core.stats.common import _num


def _prf(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> tuple[np.ndarray, ...]:
    tp, fp, fn = (np.asarray(v, dtype=float) for v in (tp, fp, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return precision, recall, f1


def _metric_row(tp: int, fp: int, fn: int, tn: int) -> dict[str, Any]:
    precision, recall, f1 = _prf(tp, fp, fn)
    return {
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "tn": int(tn),
        "precision": _num(precision),
        "recall": _num(recall),
        "f1": _num(f1),
    }


def _approval_array(approved: ArrayLike, n: int) -> np.ndarray:
    flags = np.asarray(approved)
    if flags.shape != (n,):
        raise InputError(f"Got {flags.size} approvals for {n} scored items; give one per item.")
    return flags.astype(bool)


def rule_metrics(rule: FilterRule | str, scores: ArrayLike, approved: ArrayLike) -> dict[str, Any]:
    """Confusion counts, precision, recall and F1 of a rule against expert approvals."""
    rule = parse_rule(rule) if isinstance(rule, str) else rule
    keep = rule.passes(scores)
    ok = _approval_array(approved, keep.size)
    counts = [
        int(np.sum(keep & ok)),
        int(np.sum(keep & ~ok)),
        int(np.sum(~keep & ok)),
        int(np.sum(~keep & ~ok)),
    ]
    return {"rule": str(rule), "n": int(keep.size), **_metric_row(*counts)}


def threshold_sweep(
    scores: ArrayLike,
    approved: ArrayLike,
    mean_grid: ArrayLike | None = None,
    min_grid: ArrayLike | None = None,
    *,
    min_recall: float = 0.8,
) -> dict[str, Any]:
    """Precision/recall/F1 of "mean>=a,min>=b" for every (a, b) on the grids.

    Vectorised by counting: each item lands in one (a-index, b-index) cell of a 2-D histogram, and
    the items passing (a, b) are a suffix sum of it, so the cost is O(items + grid), not a product.
    Returns every point, the best-F1 rule and the most precise rule with recall >= min_recall.
    """
    scores = score_matrix(scores)
    ok = _approval_array(approved, scores.shape[0])
    means = np.unique(np.arange(0, 101, 5.0) if mean_grid is None else np.asarray(mean_grid, float))
    mins = np.unique(np.arange(0, 101, 5.0) if min_grid is None else np.asarray(min_grid, float))
    tp, fp = (_passing_counts(scores[sel], means, mins) for sel in (ok, ~ok))
    fn, tn = ok.sum() - tp, (~ok).sum() - fp
    precision, recall, f1 = _prf(tp, fp, fn)
    a_idx, b_idx = np.meshgrid(np.arange(means.size), np.arange(mins.size), indexing="ij")
    points = [
        {
            "mean_min": float(means[a]),
            "min_min": float(mins[b]),
            **_metric_row(tp[a, b], fp[a, b], fn[a, b], tn[a, b]),
        }
        for a, b in zip(a_idx.ravel(), b_idx.ravel(), strict=True)
    ]
    eligible = np.where(recall >= min_recall, precision, np.nan)
    return {
        "n": int(ok.size),
        "n_approved": int(ok.sum()),
        "min_recall": min_recall,
        "points": points,
        "best_f1": _best(points, f1),
        "best_precision_at_recall": _best(points, eligible),
    }


def _passing_counts(scores: np.ndarray, means: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """counts[a, b] = rows with mean >= means[a] and min >= mins[b] (grids sorted ascending)."""
    mean, low = scores.mean(axis=1), scores.min(axis=1)
    missing = np.isnan(mean)  # searchsorted would put NaN above every threshold
    a = np.where(missing, 0, np.searchsorted(means, mean, side="right"))
    b = np.where(missing, 0, np.searchsorted(mins, low, side="right"))
    shape = (means.size + 1, mins.size + 1)
    hist = np.bincount(a * shape[1] + b, minlength=shape[0] * shape[1]).reshape(shape)
    suffix = hist[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
    return suffix[1:, 1:]  # cell (a, b) passes every threshold index below it


def _best(points: list[dict[str, Any]], score: np.ndarray) -> dict[str, Any] | None:
    flat = score.ravel()
    if np.all(np.isnan(flat)):
        return None
    point = points[int(np.nanargmax(flat))]
    return {"rule": f"mean>={point['mean_min']:g},min>={point['min_min']:g}", **point}
