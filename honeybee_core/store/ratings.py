"""Expert ratings (table expert_ratings) and curators' decisions (table decisions, the
history; view current_decisions, the latest per item)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.store import derived
from honeybee_core.store.base import Tables, first_row, registered
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class RatingTables(Tables):
    """Experts' ratings, the frames agreement statistics read, and decisions."""

    def upsert_ratings(self, cur: Cursor, ratings: pd.DataFrame) -> tuple[int, int]:
        """Insert or update (item, annotator) ratings; returns (inserted, updated)."""
        cols = ["instruction_id", "annotator", *SCORE_COLUMNS, "verdict", "comment", "blind"]
        with registered(cur, ratings[cols]) as view:
            existing = cur.execute(
                "SELECT count(*) FROM expert_ratings r JOIN " + view + " v"
                " ON r.instruction_id = v.instruction_id AND r.annotator = v.annotator"
            ).fetchall()[0][0]
            cur.execute(
                "INSERT INTO expert_ratings (instruction_id, annotator, accuracy, relevance,"
                " completeness, reasonableness, verdict, comment, blind) "
                "SELECT instruction_id, annotator, accuracy, relevance, completeness,"
                " reasonableness, verdict, comment, blind FROM " + view
                + " ON CONFLICT (instruction_id, annotator) DO UPDATE SET"
                " accuracy = excluded.accuracy, relevance = excluded.relevance,"
                " completeness = excluded.completeness, reasonableness = excluded.reasonableness,"
                " verdict = excluded.verdict, comment = excluded.comment,"
                " blind = excluded.blind, guideline_version = NULL,"  # imported: unknown
                " updated_at = now()::TIMESTAMP"
            ).fetchall()
        derived.refresh_ratings(cur, ratings["instruction_id"].tolist(),
                                ratings["annotator"].tolist())
        return len(ratings) - int(existing), int(existing)

    def expert_ratings(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, guideline_version, created_at, updated_at"
            " FROM expert_ratings ORDER BY instruction_id, annotator"
        ).df()

    def rating_of(self, item_id: str, annotator: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, guideline_version, created_at, updated_at"
            " FROM expert_ratings WHERE instruction_id = ? AND annotator = ?",
            [item_id, annotator],
        ).df()
        return first_row(frame)

    def save_rating(self, cur: Cursor, item_id: str, annotator: str, row: dict[str, Any]) -> None:
        """Insert or update one (item, annotator) rating; created_at stays, updated_at moves.
        row: the four scores, verdict, comment, blind and guideline_version (None: unknown)."""
        values = [row.get(c) for c in (*SCORE_COLUMNS, "verdict", "comment", "blind",
                                       "guideline_version")]
        cur.execute(
            "INSERT INTO expert_ratings (instruction_id, annotator, accuracy, relevance,"
            " completeness, reasonableness, verdict, comment, blind, guideline_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instruction_id, annotator)"
            " DO UPDATE SET accuracy = excluded.accuracy, relevance = excluded.relevance,"
            " completeness = excluded.completeness, reasonableness = excluded.reasonableness,"
            " verdict = excluded.verdict, comment = excluded.comment, blind = excluded.blind,"
            " guideline_version = excluded.guideline_version, updated_at = now()::TIMESTAMP",
            [item_id, annotator, *values],
        ).fetchall()
        derived.refresh_ratings(cur, [item_id], [annotator])

    def ratings_by(self, annotator: str, limit: int) -> pd.DataFrame:
        """The annotator's ratings, latest first, with the start of each instruction."""
        return self.db.cursor().execute(  # the latest few first, then their text
            "WITH r AS (SELECT * FROM expert_ratings WHERE annotator = ?"
            " ORDER BY updated_at DESC, instruction_id LIMIT ?)"
            " SELECT r.instruction_id, left(i.instruction, 120) AS instruction, r.verdict,"
            " r.accuracy, r.relevance, r.completeness, r.reasonableness, r.blind, r.updated_at"
            " FROM r JOIN instructions i ON i.id = r.instruction_id"
            " ORDER BY r.updated_at DESC, r.instruction_id",
            [annotator, limit],
        ).df()

    def item_ratings(self, item_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT annotator, accuracy, relevance, completeness, reasonableness, verdict,"
            " comment, blind, created_at, updated_at FROM expert_ratings"
            " WHERE instruction_id = ? ORDER BY annotator", [item_id]).df()

    def annotator_names(self) -> list[str]:
        return [r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT annotator FROM expert_ratings ORDER BY annotator").fetchall()]

    def agreement_frames(
        self, verifier: str | None = None, annotator: str | None = None,
        stage: int | None = None, topic: str | None = None, blind_only: bool = False,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(verifier scores, expert ratings, expert verdicts) on the items that match the filters.

        Only items with both a verifier score and an expert rating take part. Each verifier
        contributes its newest rubric version.
        """
        cur = self.db.cursor()
        item_filter = (
            " AND (?::INTEGER IS NULL OR i.stage = ?) AND (?::VARCHAR IS NULL OR i.topic = ?)"
        )
        item_args = [stage, stage, topic, topic]
        expert_filter = " AND (?::VARCHAR IS NULL OR r.annotator = ?) AND (NOT ? OR r.blind)"
        expert_args = [annotator, annotator, blind_only]
        scores = cur.execute(
            "SELECT v.instruction_id AS item_id, v.verifier, v.accuracy, v.relevance,"
            " v.completeness, v.reasonableness FROM verifier_scores v"
            " JOIN instructions i ON i.id = v.instruction_id"
            " WHERE (?::VARCHAR IS NULL OR v.verifier = ?)" + item_filter
            + " AND EXISTS (SELECT 1 FROM expert_ratings r WHERE r.instruction_id = i.id"
            + expert_filter + ")"
            " QUALIFY row_number() OVER (PARTITION BY v.instruction_id, v.verifier"
            " ORDER BY v.created_at DESC, v.rubric_version DESC) = 1"
            " ORDER BY item_id, v.verifier",  # a fixed order gives bit-identical statistics
            [verifier, verifier, *item_args, *expert_args],
        ).df()
        ratings = cur.execute(
            "SELECT r.instruction_id AS item_id, r.annotator AS reviewer, r.accuracy,"
            " r.relevance, r.completeness, r.reasonableness, r.blind, r.verdict"
            " FROM expert_ratings r JOIN instructions i ON i.id = r.instruction_id"
            " WHERE r.accuracy IS NOT NULL" + item_filter + expert_filter  # skips hold no scores
            + " AND EXISTS (SELECT 1 FROM verifier_scores v WHERE v.instruction_id = i.id"
            " AND (?::VARCHAR IS NULL OR v.verifier = ?)) ORDER BY item_id, reviewer",
            [*item_args, *expert_args, verifier, verifier],
        ).df()
        verdicts = ratings[["item_id", "reviewer", "verdict"]]
        return scores, ratings.drop(columns=["verdict"]), verdicts

    def add_decisions(
        self, cur: Cursor, ids: list[str], decision: str, by: str, reason: str | None,
        rule: str | None = None,
    ) -> int:
        cur.execute(
            "INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
            " SELECT unnest(?::VARCHAR[]), ?, ?, ?, ?",
            [ids, decision, by, reason, rule],
        ).fetchall()
        derived.refresh_decisions(cur, ids)
        return len(ids)

    def item_decisions(self, item_id: str) -> pd.DataFrame:
        """Every decision on the item, latest first (the first row is the one in force)."""
        return self.db.cursor().execute(
            "SELECT decision, decided_by, reason, rule, created_at FROM decisions"
            " WHERE instruction_id = ? ORDER BY id DESC", [item_id]).df()

    def ratings_for_pairs(self, cur: Cursor, pairs: pd.DataFrame) -> pd.DataFrame:
        """The stored ratings of these (instruction_id, annotator) pairs, inside cur's
        transaction (so a check and the write that follows it see the same rows)."""
        with registered(cur, pairs[["instruction_id", "annotator"]]) as view:
            return cur.execute(
                "SELECT r.instruction_id, r.annotator, r.accuracy, r.relevance, r.completeness,"
                " r.reasonableness, r.verdict, r.comment, r.blind FROM expert_ratings r JOIN "
                + view + " v ON r.instruction_id = v.instruction_id AND r.annotator = v.annotator"
            ).df()

    def archive_ratings(self, cur: Cursor, pairs: pd.DataFrame, replaced_by: str,
                        reason: str) -> int:
        """Copy the stored ratings of these pairs into ratings_history before they change."""
        with registered(cur, pairs[["instruction_id", "annotator"]]) as view:
            return int(cur.execute(  # an INSERT answers with the number of rows it wrote
                "INSERT INTO ratings_history (instruction_id, annotator, accuracy, relevance,"
                " completeness, reasonableness, verdict, comment, blind, guideline_version,"
                " rated_at, replaced_by, reason) SELECT r.instruction_id, r.annotator,"
                " r.accuracy, r.relevance, r.completeness, r.reasonableness, r.verdict,"
                " r.comment, r.blind, r.guideline_version, r.updated_at, ?, ?"
                " FROM expert_ratings r JOIN " + view + " v"
                " ON r.instruction_id = v.instruction_id AND r.annotator = v.annotator",
                [replaced_by, reason],
            ).fetchall()[0][0])

    def ratings_history(self, item_id: str | None = None) -> pd.DataFrame:
        """Replaced ratings with who replaced them and when, oldest first."""
        return self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, rated_at, replaced_by, replaced_at, reason"
            " FROM ratings_history WHERE (?::VARCHAR IS NULL OR instruction_id = ?)"
            " ORDER BY id",
            [item_id, item_id],
        ).df()
