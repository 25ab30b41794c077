"""Agreement tables over `Ratings`: verifier vs experts, per reviewer, between verifiers and
between reviewers, Krippendorff's alpha and the blind/non-blind anchoring check."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from honeybee_core.rules import DIMENSIONS
from honeybee_core.stats.alpha import _alpha_2d
from honeybee_core.stats.common import _MIN_PAIRS, METHODS, _num, _plain
from honeybee_core.stats.correlation import Correlation, correlate, correlate_columns
from honeybee_core.stats.ratings import Ratings


def _records(correlations: list[Correlation], **labels: Any) -> list[dict[str, Any]]:
    plain = {k: _plain(v) for k, v in labels.items()}
    return [
        {**plain, "dimension": d, **c.to_dict()}
        for d, c in zip(DIMENSIONS, correlations, strict=True)
    ]


def verifier_vs_experts(
    ratings: Ratings, *, ci: str = "fisher", n_boot: int = 1000, seed: int = 0
) -> list[dict[str, Any]]:
    """Per dimension and method: verifier item score vs the mean of the experts who rated it."""
    x, y = ratings.verifier_mean, ratings.expert_mean
    return [
        row
        for method in METHODS
        for row in _records(correlate_columns(x, y, method, ci=ci, n_boot=n_boot, seed=seed))
    ]


def per_reviewer(ratings: Ratings) -> list[dict[str, Any]]:
    """Per reviewer, dimension and method: the reviewer's scores vs the verifier's."""
    x = ratings.verifier_mean
    return [
        row
        for r, name in enumerate(ratings.reviewers)
        for method in METHODS
        for row in _records(correlate_columns(x, ratings.expert[r], method), reviewer=name)
    ]


def verifier_vs_verifier(ratings: Ratings) -> list[dict[str, Any]]:
    """Per pair of verifiers, dimension and method, on the items both scored."""
    names, scores = ratings.verifiers, ratings.verifier
    return [
        row
        for a in range(len(names))
        for b in range(a + 1, len(names))
        for method in METHODS
        for row in _records(
            correlate_columns(scores[a], scores[b], method),
            verifier_a=names[a],
            verifier_b=names[b],
        )
    ]


def inter_expert_alpha(ratings: Ratings) -> list[dict[str, Any]]:
    """Krippendorff's alpha (interval) among reviewers, per dimension."""
    rows = []
    for d, dim in enumerate(DIMENSIONS):
        alpha, n_items, n_ratings = _alpha_2d(ratings.expert[:, :, d])
        value = _num(alpha)
        if value is not None:
            status, message = "ok", f"Krippendorff's alpha (interval) = {value:.2f}."
        elif not n_items:
            status, message = "not_enough_data", "No item was rated by two reviewers yet."
        else:
            status, message = "constant_input", "All rated items got the same score; alpha is 0/0."
        rows.append(
            {
                "dimension": dim,
                "alpha": value,
                "n_items": n_items,
                "n_ratings": n_ratings,
                "status": status,
                "message": message,
            }
        )
    return rows


def reviewer_matrix(ratings: Ratings) -> dict[str, dict[str, Any]]:
    """Per dimension, reviewer x reviewer Spearman on co-rated items, with n and status."""
    names = [_plain(r) for r in ratings.reviewers]
    size = len(names)
    out = {
        dim: {
            "reviewers": names,
            "estimate": [[None] * size for _ in range(size)],
            "n": [[0] * size for _ in range(size)],
            "status": [["not_enough_data"] * size for _ in range(size)],
        }
        for dim in DIMENSIONS
    }
    for a in range(size):
        for b in range(a, size):
            pair = correlate_columns(ratings.expert[a], ratings.expert[b], "spearman")
            for dim, c in zip(DIMENSIONS, pair, strict=True):
                for i, j in ((a, b), (b, a)):
                    out[dim]["estimate"][i][j] = c.estimate
                    out[dim]["n"][i][j] = c.n
                    out[dim]["status"][i][j] = c.status
    return out


def anchoring_check(ratings: Ratings) -> list[dict[str, Any]]:
    """Blind vs non-blind ratings: distance to and correlation with the verifier, per dimension.

    Anchoring shows as non-blind ratings sitting closer to the verifier (smaller mean absolute
    difference, higher correlation). The Mann-Whitney U p-value compares the two distributions
    of absolute differences.
    """
    verifier = ratings.verifier_mean
    rows = []
    for d, dim in enumerate(DIMENSIONS):
        expert = ratings.expert[:, :, d]
        ver = np.broadcast_to(verifier[:, d], expert.shape)
        usable = ~np.isnan(expert) & ~np.isnan(ver)
        blind = ratings.blind if ratings.blind is not None else np.full(expert.shape, np.nan)
        groups = {
            label: (expert[usable & (blind == flag)], ver[usable & (blind == flag)])
            for label, flag in (("blind", 1.0), ("non_blind", 0.0))
        }
        row = _anchoring_row(groups)
        if ratings.blind is None:
            row["message"] = "The expert ratings have no blind column, so anchoring is unknown."
        rows.append({"dimension": dim, **row})
    return rows


def _anchoring_row(groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    diffs = {}
    for label, (exp, ver) in groups.items():
        diffs[label] = np.abs(exp - ver)
        row[f"n_{label}"] = int(exp.size)
        row[f"mean_abs_diff_{label}"] = _num(diffs[label].mean()) if exp.size else None
        row[f"correlation_{label}"] = correlate(ver, exp, "spearman").to_dict()
    enough = min(row["n_blind"], row["n_non_blind"]) >= _MIN_PAIRS
    row["mann_whitney_p"] = None
    if enough:
        test = stats.mannwhitneyu(diffs["blind"], diffs["non_blind"], alternative="two-sided")
        row["mann_whitney_p"] = _num(test.pvalue)
        row["difference"] = _num(row["mean_abs_diff_non_blind"] - row["mean_abs_diff_blind"])
        p_text = "n/a" if row["mann_whitney_p"] is None else f"{row['mann_whitney_p']:.3g}"
        row["status"] = "ok"
        row["message"] = (
            f"Non-blind ratings sit {row['difference']:+.1f} points further from the verifier"
            f" than blind ones (negative = closer; Mann-Whitney p = {p_text})."
        )
    else:
        row["difference"] = None
        row["status"] = "not_enough_data"
        row["message"] = f"Needs at least {_MIN_PAIRS} blind and {_MIN_PAIRS} non-blind ratings."
    return row
