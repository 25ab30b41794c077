"""Verifier/expert agreement over the database: the numbers the CLI prints and the page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from honeybee_core import memo
from honeybee_core import stats as agreement
from honeybee_core.audit_report import CELLS
from honeybee_core.errors import InputError
from honeybee_core.rated import rated_items
from honeybee_core.rules import parse_rule
from honeybee_core.store import Repository


@dataclass(frozen=True)
class AuditFilters:
    verifier: str | None = None
    annotator: str | None = None
    stage: int | None = None
    topic: str | None = None
    blind_only: bool = False


def expert_approvals(verdicts: pd.DataFrame) -> dict[str, bool]:
    """Per item, the experts' majority of approve vs reject verdicts (ties and skips: no call)."""
    votes = verdicts[verdicts["verdict"].isin(["approve", "reject"])]
    if votes.empty:
        return {}
    tally = votes.assign(up=votes["verdict"].eq("approve").astype(int) * 2 - 1)
    net = tally.groupby("item_id")["up"].sum()
    return {item: bool(value > 0) for item, value in net.items() if value != 0}


def load_inputs(repo: Repository, filters: AuditFilters) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   dict[str, bool]]:
    scores, ratings, verdicts = repo.agreement_frames(**asdict(filters))
    return scores, ratings, expert_approvals(verdicts)


def report(repo: Repository, filters: AuditFilters | None = None, *, rule: str | None = None,
           ci: str = "fisher", n_boot: int = 1000, target_width: float = 0.2,
           min_recall: float = 0.8) -> dict[str, Any]:
    """The full agreement report (see agreement.full_report) with the filters echoed back."""
    return page_view(repo, filters, rule=rule, ci=ci, n_boot=n_boot, target_width=target_width,
                     min_recall=min_recall)[0]


def page_view(repo: Repository, filters: AuditFilters | None = None, *, rule: str | None = None,
              ci: str = "fisher", n_boot: int = 1000, target_width: float = 0.2,
              min_recall: float = 0.8) -> tuple[dict[str, Any], tuple[Any, Any]]:
    """The report and the per-item (verifier mean, expert mean) pairs for the plots, from one
    read of the database."""
    filters = filters or AuditFilters()
    scores, ratings, approvals = load_inputs(repo, filters)
    result = agreement.full_report(
        scores, ratings, approvals=approvals, rule=rule, ci=ci, n_boot=n_boot,
        target_width=target_width, min_recall=min_recall,
    )
    return {"filters": asdict(filters), "rule": rule, **result}, paired_means(scores, ratings)


def paired_means(scores: pd.DataFrame, ratings: pd.DataFrame) -> tuple[Any, Any]:
    """(verifier mean, expert mean) per item, each (items, 4), for the scatter and Bland-Altman."""
    if scores.empty or ratings.empty:
        return None, None
    aligned = agreement.Ratings.from_frames(scores, ratings)
    return aligned.verifier_mean, aligned.expert_mean


def report_tables(result: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The report's tables as DataFrames, for display and CSV download."""
    return {
        "verifier_vs_experts": pd.DataFrame(result["verifier_vs_experts"]),
        "per_reviewer": pd.DataFrame(result["per_reviewer"]),
        "inter_expert_alpha": pd.DataFrame(result["inter_expert_alpha"]),
        "anchoring": pd.DataFrame(result["anchoring"]),
        "verifier_vs_verifier": pd.DataFrame(result["verifier_vs_verifier"]),
        "sample_size": pd.DataFrame(result["sample_size"]),
    }


def reviewer_agreement(repo: Repository, reviewer: str) -> pd.DataFrame:
    """One reviewer's running Spearman rho per dimension against the verifier (the Review
    page's sidebar): estimate, 95 % Fisher CI and n (the ratings it was computed from), or why
    there is no estimate yet. Kept until items, scores or this reviewer's own ratings change
    (with many ratings, until 1 % more of them): others' ratings do not matter."""
    versions = repo.versions()
    rated = rated_items(repo, reviewer)
    # after every own rating up to 500, then after each further 1 %: at 100,000 ratings one
    # more moves rho by far less than its CI, and a recompute costs about a second
    step = 1 if len(rated.items) < 500 else len(rated.items) // 100
    key = ("reviewer_rho", reviewer, versions["items"], versions["scores"],
           rated.version // step)
    return memo.cached(repo.db, key, lambda: _reviewer_agreement(repo, reviewer))


def _reviewer_agreement(repo: Repository, reviewer: str) -> pd.DataFrame:
    scores, ratings, _ = load_inputs(repo, AuditFilters(annotator=reviewer))
    rows: list[dict[str, Any]]
    if ratings.empty:
        rows = [{"dimension": d, "n": 0, "status": "not_enough_data"}
                for d in agreement.DIMENSIONS]
    else:
        aligned = agreement.Ratings.from_frames(scores, ratings)
        rows = [r for r in agreement.per_reviewer(aligned) if r["method"] == "spearman"]
    return pd.DataFrame([{
        "dimension": r["dimension"],
        "rho": None if r.get("estimate") is None else round(r["estimate"], 2),
        "95% CI": None if r.get("ci_low") is None else
        f"{r['ci_low']:.2f} to {r['ci_high']:.2f}",
        "n": r["n"],
    } for r in rows])


# -- the rule's confusion cells as item lists (the Agreement page links them to Explore) --------
def confusion_ids(repo: Repository, filters: AuditFilters, rule: str, cell: str) -> list[str]:
    """The items in one cell (tp, fp, fn, tn) of the rule-vs-experts table the report counts:
    items with a verifier score and an expert majority call, under the same filters."""
    if cell not in CELLS:
        raise InputError(f"Cell {cell!r} is unknown; use one of {', '.join(CELLS)}.")
    scores, ratings, approvals = load_inputs(repo, filters)
    if scores.empty or ratings.empty:
        return []
    aligned = agreement.Ratings.from_frames(scores, ratings)
    calls = np.array([approvals.get(item) for item in aligned.items.tolist()], dtype=object)
    means = aligned.verifier_mean
    known = np.array([c is not None for c in calls]) & ~np.isnan(means).all(axis=1)
    keep = parse_rule(rule).passes(means)
    approved = np.array([bool(c) for c in calls])
    wanted = {"tp": keep & approved, "fp": keep & ~approved,
              "fn": ~keep & approved, "tn": ~keep & ~approved}[cell]
    return [str(item) for item in aligned.items[known & wanted].tolist()]


def explore_params(filters: AuditFilters, rule: str, cell: str) -> dict[str, str]:
    """Query parameters that open one confusion cell's items on the Explore page."""
    params = {"cell": cell, "rule": rule}
    for key, value in asdict(filters).items():
        if value not in (None, False):
            params[key] = "1" if value is True else str(value)
    return params


def from_explore_params(params: Mapping[str, str]) -> tuple[AuditFilters, str, str] | None:
    """The (filters, rule, cell) a link from explore_params carries, or None without one."""
    if params.get("cell") not in CELLS or not params.get("rule"):
        return None
    stage = params.get("stage")
    filters = AuditFilters(
        verifier=params.get("verifier") or None, annotator=params.get("annotator") or None,
        stage=int(stage) if stage and stage.lstrip("-").isdigit() else None,
        topic=params.get("topic") or None, blind_only=params.get("blind_only") == "1")
    return filters, str(params["rule"]), str(params["cell"])
