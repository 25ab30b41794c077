"""Evaluations (table evaluations): an Evaluator's grades of student answers, and the weak
answers feedback starts from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd

NEWEST = "newest"  # grade reads: each run's newest graded weights (None: every weights)
# Newest first: a run's final adapter, then its checkpoints and stopped adapters by step.
_WEIGHTS_ORDER = ("CASE WHEN weights = 'final' THEN 9223372036854775807 ELSE coalesce(TRY_CAST("
                  "regexp_extract(weights, '([0-9]+)$', 1) AS BIGINT), -1) END DESC, weights DESC")


class EvaluationTables(Tables):
    """Grades of student answers, by evaluator and rubric, and the weak ones."""

    def evaluation_candidates(self) -> pd.DataFrame:
        """Kept items with the mean of their verifier scores (mean over verifiers, newest rubric
        of each; NULL when unscored): the pool an evaluation set is drawn from."""
        return self.db.cursor().execute(
            "WITH latest AS (SELECT * FROM verifier_scores QUALIFY row_number() OVER"
            " (PARTITION BY instruction_id, verifier ORDER BY created_at DESC,"
            " rubric_version DESC) = 1),"
            " vs AS (SELECT instruction_id, avg((accuracy + relevance + completeness"
            " + reasonableness) / 4) AS vmean FROM latest GROUP BY instruction_id)"
            " SELECT i.id, i.stage, i.topic, i.task_type, i.instruction, i.input, i.output,"
            " vs.vmean FROM instructions i LEFT JOIN vs ON vs.instruction_id = i.id"
            " WHERE i.duplicate_of IS NULL ORDER BY i.id"
        ).df()

    def evaluation_count(self, run_id: str, weights: str | None = None) -> int:
        """Grades of a run (of one of its weights, when given)."""
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM evaluations WHERE run_id = ?"
            " AND (?::VARCHAR IS NULL OR weights = ?)", [run_id, weights, weights]
        ).fetchall()[0][0])

    def graded_weights(self, run_id: str, evaluator: str | None = None) -> list[str]:
        """The weights of a run that have grades (from evaluator, when given), newest first."""
        return [r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT weights FROM evaluations WHERE run_id = ?"
            " AND (?::VARCHAR IS NULL OR evaluator = ?) ORDER BY " + _WEIGHTS_ORDER,
            [run_id, evaluator, evaluator]).fetchall()]

    def evaluators(self) -> pd.DataFrame:
        """evaluator, rubric_version, graded answers and the latest grade time, most used first."""
        return self.db.cursor().execute(
            "SELECT evaluator, rubric_version, count(*) AS n, max(created_at) AS last_at"
            " FROM evaluations GROUP BY evaluator, rubric_version"
            " ORDER BY n DESC, last_at DESC, evaluator"
        ).df()

    def weak_answers(self, run_id: str, evaluator: str | None, threshold: float,
                     weights: str = NEWEST) -> pd.DataFrame:
        """A run's graded items below threshold on any dimension (grades of one weights of the
        run, by default its newest graded, averaged over the evaluators, newest rubric of
        each), weakest first, with what feedback needs and the weights graded."""
        if weights == NEWEST:
            weights = next(iter(self.graded_weights(run_id, evaluator)), "final")
        return self.db.cursor().execute(
            "WITH latest AS (SELECT * FROM evaluations WHERE run_id = ? AND weights = ?"
            " AND (?::VARCHAR IS NULL OR evaluator = ?) QUALIFY row_number() OVER"
            " (PARTITION BY instruction_id, evaluator ORDER BY created_at DESC,"
            " rubric_version DESC) = 1),"
            " g AS (SELECT instruction_id, avg(accuracy) AS accuracy,"
            " avg(completeness) AS completeness, avg(reasonableness) AS reasonableness,"
            " min(answer) AS answer, string_agg(rationale, ' | ' ORDER BY evaluator) AS rationale"
            " FROM latest GROUP BY instruction_id)"
            " SELECT i.id, i.stage, i.topic, i.task_type, i.instruction, i.input, i.output,"
            " g.answer, g.accuracy, g.completeness, g.reasonableness, g.rationale,"
            " ?::VARCHAR AS weights FROM g JOIN instructions i ON i.id = g.instruction_id"
            " WHERE least(g.accuracy, g.completeness, g.reasonableness) < ?"
            " ORDER BY (g.accuracy + g.completeness + g.reasonableness), i.id",
            [run_id, weights, evaluator, evaluator, weights, threshold],
        ).df()

    # Grades keyed by decoding and weights, and the held-out set every row is graded on.
    def insert_grade(self, cur: Cursor, row: dict[str, Any]) -> None:
        """One grade (with how its answer was decoded and which weights answered; 'final' when
        not given) in the caller's transaction; a repeat of the same key is ignored."""
        cols = ["run_id", "instruction_id", "evaluator", "rubric_version", "decoding", "weights",
                "answer", "accuracy", "completeness", "reasonableness", "rationale"]
        values = [row.get(c) for c in cols]
        values[5] = values[5] or "final"
        cur.execute(
            "INSERT INTO evaluations (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING", values,
        ).fetchall()

    def graded_ids(self, evaluator: str, rubric_version: str, run_id: str,
                   decoding: str, weights: str = "final") -> set[str]:
        """Items one row (run, decoding and weights) already has a grade for from this
        evaluator."""
        return {r[0] for r in self.db.cursor().execute(
            "SELECT instruction_id FROM evaluations WHERE evaluator = ? AND rubric_version = ?"
            " AND run_id = ? AND decoding = ? AND weights = ?",
            [evaluator, rubric_version, run_id, decoding, weights]).fetchall()}

    def grade_rows(self, evaluator: str, rubric_version: str,
                   weights: str | None = NEWEST) -> pd.DataFrame:
        """Grades of one evaluator and rubric with their item, reference, decoding, weights and
        the run's stage (NULL for rows that are not training runs): of each run and decoding
        only its newest graded weights by default, every weights when None."""
        newest = weights == NEWEST
        return self.db.cursor().execute(
            "WITH e AS (SELECT *, dense_rank() OVER (PARTITION BY run_id, decoding ORDER BY "
            + _WEIGHTS_ORDER + ") AS weights_rank FROM evaluations"
            " WHERE evaluator = ? AND rubric_version = ?)"
            " SELECT e.run_id, e.decoding, e.weights, r.stage AS run_stage,"
            " r.started_at AS run_started_at,"
            " e.instruction_id, i.stage, i.topic, i.task_type, i.instruction, i.input,"
            " i.output AS reference, e.answer, e.accuracy, e.completeness, e.reasonableness,"
            " e.rationale, e.created_at FROM e"
            " JOIN instructions i ON i.id = e.instruction_id"
            " LEFT JOIN training_runs r ON r.id = e.run_id"
            " WHERE (NOT ? OR e.weights_rank = 1)"
            " AND (? OR ?::VARCHAR IS NULL OR e.weights = ?)"
            " ORDER BY e.run_id, e.decoding, e.weights_rank, e.instruction_id",
            [evaluator, rubric_version, newest, newest, weights, weights],
        ).df()

    def insert_heldout_set(self, cur: Cursor, row: dict[str, Any], ids: list[str]) -> None:
        cur.execute(
            "INSERT INTO heldout_sets (id, n, seed, min_score, created_by) VALUES (?, ?, ?, ?, ?)",
            [row["id"], row["n"], row["seed"], row["min_score"], row.get("created_by")],
        ).fetchall()
        cur.execute(
            "INSERT INTO heldout_items (set_id, instruction_id) SELECT ?, unnest(?::VARCHAR[])",
            [row["id"], ids],
        ).fetchall()

    def heldout_sets(self) -> pd.DataFrame:
        """Every held-out set with its size, newest first."""
        return self.db.cursor().execute(
            "SELECT s.id, s.n, s.seed, s.min_score, s.created_by, s.created_at,"
            " count(h.instruction_id) AS items FROM heldout_sets s"
            " LEFT JOIN heldout_items h ON h.set_id = s.id"
            " GROUP BY ALL ORDER BY s.created_at DESC, s.id DESC"
        ).df()

    def heldout_ids(self, set_id: str | None = None) -> set[str]:
        """Items of one held-out set, or of every set when None (kept out of snapshots)."""
        return {r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT instruction_id FROM heldout_items"
            " WHERE ?::VARCHAR IS NULL OR set_id = ?", [set_id, set_id]).fetchall()}
