"""The evaluation read side: a stage table like the paper's Table 2, weakest areas, worst answers.

One table holds one evaluator and one rubric version (rows graded otherwise are never mixed into
its columns) on one held-out set (pipeline.heldout), which the table names. Rows: the base model,
each training run by stage, API students, the Instructor's references; columns: accuracy,
completeness, reasonableness and their mean, each with n and a 95 % percentile-bootstrap CI
(stats.mean_bootstrap). Pure functions over `evaluation_frame`, read by the Evaluate page, the
`honeybee stages` command and the loop report.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core.pipeline import heldout
from honeybee_core.pipeline.evaluation_job import BASE_RUN
from honeybee_core.pipeline.evaluator import GRADE_COLUMNS, RUBRIC_LABELS
from honeybee_core.pipeline.students import REFERENCE_RUN
from honeybee_core.providers import registry
from honeybee_core.stats.mean_bootstrap import LEVEL, N_BOOT, SEED, mean_ci
from honeybee_core.store import Repository
from honeybee_core.store.evaluations import NEWEST
from honeybee_core.training.adapters import FINAL, describe, label_step

DIMENSIONS = (*GRADE_COLUMNS, "mean")
KIND_ORDER = {"base": 0, "run": 1, "api": 2, "reference": 3}
TABLE_COLUMNS = ["model", "kind", "run_id", "decoding", "weights", "stage", "n",
                 *[c for d in DIMENSIONS for c in (d, f"{d}_ci_low", f"{d}_ci_high")]]
CURRENT = "current"  # set_id meaning "the newest held-out set, when there is one"


def evaluation_frame(repo: Repository, evaluator: str | None = None,
                     rubric_version: str | None = None,
                     set_id: str | None = CURRENT, weights: str | None = NEWEST) -> pd.DataFrame:
    """Every grade of one evaluator and rubric (default: the most used pair) on one held-out
    set (default: the newest; None: every graded item), with item, reference and stage; of
    each run its newest graded weights (the final adapter over a checkpoint it was graded at
    before), every weights when None."""
    known = repo.evaluators()
    if evaluator is not None:
        known = known[known["evaluator"] == evaluator]
    if rubric_version is not None:
        known = known[known["rubric_version"] == rubric_version]
    if known.empty:
        return repo.grade_rows("", "").assign(mean=pd.Series(dtype=float))
    first = known.iloc[0]
    frame = repo.grade_rows(first["evaluator"], first["rubric_version"], weights)
    if set_id == CURRENT:
        set_id = (heldout.current(repo) or {}).get("id")
    if set_id is not None:
        frame = frame[frame["instruction_id"].isin(repo.heldout_ids(set_id))]
    frame = frame.assign(evaluator=first["evaluator"], rubric_version=first["rubric_version"])
    return frame.assign(mean=frame[list(GRADE_COLUMNS)].mean(axis=1)).reset_index(drop=True)


def row_kind(run_id: str, stage: float | None) -> str:
    if run_id == BASE_RUN:
        return "base"
    if run_id == REFERENCE_RUN:
        return "reference"
    if pd.isna(stage) and ":" in run_id and run_id.partition(":")[0] in registry.names():
        return "api"
    return "run"


def _label(run_id: str, stage: float | None, kind: str, decoding: str, weights: str) -> str:
    shown = "" if decoding.startswith("greedy") or kind in ("api", "reference") else \
        f" · {decoding}"
    if kind == "run" and weights != FINAL:  # graded before it finished: say at what
        shown = f" at {describe(weights)}{shown}"
    if kind == "base":
        return "base model" + shown
    if kind == "reference":
        return "instructor (reference)"
    if kind == "api":
        return f"{run_id} (API)"
    if stage is not None and pd.notna(stage):
        return f"stage {int(stage)} · {run_id}" + shown
    return (Path(run_id).name or run_id) + shown


def stage_table(frame: pd.DataFrame, n_boot: int = N_BOOT, seed: int = SEED) -> pd.DataFrame:
    """One row per model and decoding: base first, then runs by stage and start, API students,
    references; each dimension's mean with its bootstrap CI (all 0-100) and n."""
    if frame.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    frame = frame.assign(decoding=frame.get("decoding", "greedy"),
                         weights=frame.get("weights", FINAL))
    records = []
    for (run_id, decoding, weights), group in frame.groupby(["run_id", "decoding", "weights"],
                                                            sort=False):
        stage = 0 if run_id == BASE_RUN else group["run_stage"].iloc[0]
        kind = row_kind(run_id, stage)
        row: dict[str, Any] = {"model": _label(run_id, stage, kind, decoding, weights),
                               "kind": kind, "run_id": run_id, "decoding": decoding,
                               "weights": describe(weights) if kind == "run" else "",
                               "stage": stage, "started": group["run_started_at"].iloc[0],
                               "_weights": label_step(weights)}
        for dim in DIMENSIONS:
            mean, low, high, n = mean_ci(group[dim], n_boot, seed)
            row |= {dim: mean, f"{dim}_ci_low": low, f"{dim}_ci_high": high}
        row["n"] = n
        records.append(row)
    table = pd.DataFrame(records)
    table["_order"] = table["kind"].map(KIND_ORDER)
    table = table.sort_values(["_order", "stage", "started", "run_id", "decoding", "_weights"],
                              na_position="last")
    table["stage"] = table["stage"].astype("Int64")
    return table[TABLE_COLUMNS].round(1).reset_index(drop=True)


def caption(repo: Repository, frame: pd.DataFrame, set_id: str | None = CURRENT) -> str:
    """What the table holds: evaluator, rubric, held-out set, CI method."""
    if frame.empty:
        return ""
    evaluator, rubric = frame["evaluator"].iloc[0], frame["rubric_version"].iloc[0]
    row = _set_row(repo, set_id)
    where = heldout.describe(row) if row else "every graded item (no held-out set chosen)"
    return (f"Graded by {evaluator} with rubric {rubric} "
            f"({RUBRIC_LABELS.get(rubric, rubric)}) on {where}; every row on the same items "
            f"unless its n is smaller (items a run trained on are left out of its row). "
            f"Brackets: {LEVEL:.0%} percentile bootstrap CI of the mean ({N_BOOT} resamples, "
            f"seed {SEED}).")


def _set_row(repo: Repository, set_id: str | None) -> dict[str, Any] | None:
    if set_id is None:
        return None
    sets = repo.heldout_sets()
    if set_id != CURRENT:
        sets = sets[sets["id"] == set_id]
    return sets.iloc[0].to_dict() if len(sets) else None


def report(repo: Repository, evaluator: str | None = None, rubric_version: str | None = None,
           set_id: str | None = CURRENT) -> dict[str, Any]:
    """The stage table as one JSON-ready object: rows with mean, ci_low, ci_high and n per
    dimension, and what the table holds (`honeybee stages --json`)."""
    frame = evaluation_frame(repo, evaluator, rubric_version, set_id)
    table = stage_table(frame)
    row = _set_row(repo, set_id)
    out_rows = []
    for rec in table.to_dict("records"):
        out = {k: _num(rec[k]) for k in ("model", "kind", "run_id", "decoding", "weights",
                                          "stage")}
        for dim in DIMENSIONS:
            out[dim] = {"mean": _num(rec[dim]), "ci_low": _num(rec[f"{dim}_ci_low"]),
                        "ci_high": _num(rec[f"{dim}_ci_high"]), "n": int(rec["n"])}
        out_rows.append(out)
    return {"evaluator": frame["evaluator"].iloc[0] if len(frame) else evaluator,
            "rubric_version": frame["rubric_version"].iloc[0] if len(frame) else rubric_version,
            "heldout_set": row["id"] if row else None,
            "heldout_items": int(row["items"]) if row else None,
            "ci": {"method": "percentile bootstrap", "level": LEVEL, "resamples": N_BOOT,
                   "seed": SEED},
            "caption": caption(repo, frame, set_id), "rows": out_rows}


def _num(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and pandas NA to None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def weakest(frame: pd.DataFrame, by: str, run_id: str | None = None, k: int = 5) -> pd.DataFrame:
    """The k lowest-graded groups (by "topic" or "task_type") of one run, or of all runs."""
    if run_id is not None:
        frame = frame[frame["run_id"] == run_id]
    if frame.empty:
        return pd.DataFrame(columns=[by, "n", *GRADE_COLUMNS, "mean"])
    groups = frame.fillna({by: "(none)"}).groupby(by, as_index=False).agg(
        n=("instruction_id", "count"), **{c: (c, "mean") for c in (*GRADE_COLUMNS, "mean")})
    return groups.sort_values(["mean", by]).head(k).round(1).reset_index(drop=True)


def worst_answers(frame: pd.DataFrame, run_id: str | None = None, k: int = 10) -> pd.DataFrame:
    """The k lowest-graded answers beside their references, with the evaluator's rationale."""
    if run_id is not None:
        frame = frame[frame["run_id"] == run_id]
    cols = ["run_id", "instruction_id", "topic", "task_type", "instruction", "input",
            "reference", "answer", *GRADE_COLUMNS, "mean", "rationale"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    return frame.sort_values(["mean", "instruction_id"]).head(k)[cols].reset_index(drop=True)
