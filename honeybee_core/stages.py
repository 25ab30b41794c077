"""The evaluation read side: a stage table like the paper's Table 2, weakest areas, worst answers.

Pure functions over the frame `evaluation_frame` returns (one evaluator and rubric at a time, so
rows compare like with like); the Evaluate page and the loop report both read them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from honeybee_core.pipeline.evaluate import BASE_RUN
from honeybee_core.pipeline.evaluator import GRADE_COLUMNS
from honeybee_core.store import Repository

REFERENCE_RUN = "instructor"  # a row graded on the Instructor's own answers, when present
TABLE_COLUMNS = ["model", "run_id", "stage", "n", *GRADE_COLUMNS, "mean"]


def evaluation_frame(repo: Repository, evaluator: str | None = None,
                     rubric_version: str | None = None) -> pd.DataFrame:
    """Every grade of one evaluator (default: the most used) with item, reference and stage."""
    known = repo.evaluators()
    if evaluator is not None:
        known = known[known["evaluator"] == evaluator]
    if rubric_version is not None:
        known = known[known["rubric_version"] == rubric_version]
    if known.empty:
        return repo.evaluation_rows("", "").assign(mean=pd.Series(dtype=float))
    first = known.iloc[0]
    frame = repo.evaluation_rows(first["evaluator"], first["rubric_version"])
    return frame.assign(mean=frame[list(GRADE_COLUMNS)].mean(axis=1))


def _label(run_id: str, stage: object) -> str:
    if run_id == BASE_RUN:
        return "base model"
    if run_id == REFERENCE_RUN:
        return "instructor (reference)"
    if pd.notna(stage):
        return f"stage {int(stage)} · {run_id}"
    return Path(run_id).name or run_id


def stage_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per model: base first, then training runs by stage and start, then references;
    columns model, run_id, stage, n, the three grades and their mean (all 0-100)."""
    if frame.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    table = frame.groupby("run_id", as_index=False).agg(
        stage=("run_stage", "first"), started=("run_started_at", "first"),
        n=("instruction_id", "count"), **{c: (c, "mean") for c in GRADE_COLUMNS})
    table["mean"] = table[list(GRADE_COLUMNS)].mean(axis=1)
    base = table["run_id"] == BASE_RUN
    table.loc[base, "stage"] = 0
    order = (~base).astype(int) + table["stage"].isna().astype(int)  # base, runs, the rest
    table = table.assign(_order=order).sort_values(["_order", "stage", "started", "run_id"])
    table["model"] = [_label(r, s) for r, s in zip(table["run_id"], table["stage"], strict=True)]
    table["stage"] = table["stage"].astype("Int64")
    return table[TABLE_COLUMNS].round(1).reset_index(drop=True)


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
