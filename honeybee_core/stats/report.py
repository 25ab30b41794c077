"""The full agreement report: every table as one JSON-safe dict for the CLI and the page."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from honeybee_core.errors import InputError
from honeybee_core.rules import DIMENSIONS, parse_rule
from honeybee_core.stats.common import _plain
from honeybee_core.stats.ratings import Ratings
from honeybee_core.stats.rule_metrics import rule_metrics, threshold_sweep
from honeybee_core.stats.sample_size import plan_sample_size
from honeybee_core.stats.tables import (
    anchoring_check,
    inter_expert_alpha,
    per_reviewer,
    reviewer_matrix,
    verifier_vs_experts,
    verifier_vs_verifier,
)

PAPER_RANGE: tuple[float, float] = (0.6, 0.8)


def json_safe(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays into Python values and NaN/inf into None."""
    if isinstance(value, Mapping):
        return {str(_plain(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _approvals_for(ratings: Ratings, approvals: Mapping[Any, bool] | pd.Series) -> np.ndarray:
    """Per item: 1.0 approved, 0.0 rejected, NaN unknown."""
    lookup = {}
    for key, value in pd.Series(approvals, dtype="object").items():
        if value is None or pd.isna(value):
            continue
        if value not in (True, False):  # also accepts 1/0, but never "reject" -> True
            raise InputError(f"Approval {value!r} for item {key} must be true or false.")
        lookup[key] = float(bool(value))
    return np.array([lookup.get(item, np.nan) for item in ratings.items.tolist()])


def _filter_section(
    ratings: Ratings,
    approvals: Mapping[Any, bool] | pd.Series | None,
    rule: str | None,
    min_recall: float,
) -> dict[str, Any] | None:
    if approvals is None:
        return None
    flags = _approvals_for(ratings, approvals)
    scores = ratings.verifier_mean
    keep = ~np.isnan(flags) & ~np.isnan(scores).all(axis=1)
    scores, ok = scores[keep], flags[keep].astype(bool)
    return {
        "rule": rule_metrics(rule, scores, ok) if rule else None,
        "sweep": threshold_sweep(scores, ok, min_recall=min_recall),
    }


def full_report(
    verifier_scores: pd.DataFrame,
    expert_ratings: pd.DataFrame,
    *,
    approvals: Mapping[Any, bool] | pd.Series | None = None,
    rule: str | None = None,
    target_width: float = 0.2,
    min_recall: float = 0.8,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything above as one JSON-serialisable dict (no NaN) for the CLI and the page.

    approvals maps item_id -> expert approval (True/False); without it the filter section is None.
    """
    if rule:
        parse_rule(rule)  # report a bad rule even when there are no approvals to score it on
    ratings = Ratings.from_frames(verifier_scores, expert_ratings)
    main = verifier_vs_experts(ratings, ci=ci, n_boot=n_boot, seed=seed)
    planner = [
        {"dimension": row["dimension"], **plan_sample_size(row["estimate"], target_width, row["n"])}
        for row in main
        if row["method"] == "spearman" and row["status"] == "ok" and abs(row["estimate"]) < 1
    ]
    report = {
        "dimensions": list(DIMENSIONS),
        "paper_range": list(PAPER_RANGE),
        "counts": {
            "items": int(ratings.items.size),
            "reviewers": int(ratings.reviewers.size),
            "verifiers": int(ratings.verifiers.size),
            "expert_ratings": int((~np.isnan(ratings.expert).all(axis=2)).sum()),
            "verifier_scores": int((~np.isnan(ratings.verifier).all(axis=2)).sum()),
        },
        "verifier_vs_experts": main,
        "per_reviewer": per_reviewer(ratings),
        "inter_expert_alpha": inter_expert_alpha(ratings),
        "reviewer_matrix": reviewer_matrix(ratings),
        "anchoring": anchoring_check(ratings),
        "verifier_vs_verifier": verifier_vs_verifier(ratings),
        "filter": _filter_section(ratings, approvals, rule, min_recall),
        "sample_size": planner,
    }
    return json_safe(report)
