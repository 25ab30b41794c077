"""Verifier/expert agreement statistics: pure numpy functions, no database, no Streamlit.

Inputs are two DataFrames (see `Ratings.from_frames`): LLM-verifier scores and expert ratings,
both 0-100 on the four MatSci-Instruct dimensions. Every result is plain Python (dicts, lists,
frozen dataclasses) so the CLI (`honeybee agreement --json`) and the page show the same thing.
Undefined statistics are None with a status and a one-sentence message, never NaN.

One module per topic: ranks, correlation (with Fisher CIs), bootstrap, alpha (Krippendorff),
ratings (the aligned rating tables), tables (agreement per reviewer, verifier, ...),
rule_metrics, sample_size and report (everything as one dict).
"""

from honeybee_core.rules import DIMENSIONS
from honeybee_core.stats.alpha import krippendorff_alpha_interval
from honeybee_core.stats.bootstrap import bootstrap_distribution, resampled_correlations
from honeybee_core.stats.common import METHODS
from honeybee_core.stats.correlation import (
    Correlation,
    correlate,
    correlate_columns,
    fisher_ci,
    fisher_se,
)
from honeybee_core.stats.ranks import average_ranks
from honeybee_core.stats.ratings import Ratings
from honeybee_core.stats.report import PAPER_RANGE, full_report, json_safe
from honeybee_core.stats.rule_metrics import rule_metrics, threshold_sweep
from honeybee_core.stats.sample_size import ci_width, plan_sample_size
from honeybee_core.stats.tables import (
    anchoring_check,
    inter_expert_alpha,
    per_reviewer,
    reviewer_matrix,
    verifier_vs_experts,
    verifier_vs_verifier,
)

__all__ = [
    "DIMENSIONS",
    "METHODS",
    "PAPER_RANGE",
    "Correlation",
    "Ratings",
    "anchoring_check",
    "average_ranks",
    "bootstrap_distribution",
    "ci_width",
    "correlate",
    "correlate_columns",
    "fisher_ci",
    "fisher_se",
    "full_report",
    "inter_expert_alpha",
    "json_safe",
    "krippendorff_alpha_interval",
    "per_reviewer",
    "plan_sample_size",
    "resampled_correlations",
    "reviewer_matrix",
    "rule_metrics",
    "threshold_sweep",
    "verifier_vs_experts",
    "verifier_vs_verifier",
]
