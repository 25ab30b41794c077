"""The one Repository the app and the CLI hold: every table family's reads and writes over one
Database, and the counts that span them. All SQL lives in the store, parameters always bound.

Families: items (instructions, verifier scores), annotators, people (sign-in, sessions),
ratings (expert ratings, decisions), jobs, llm_calls, explore (explore table, search), queue
(review queue), selection (what a rule picks, counted or decided in one statement), snapshots,
training_runs, evaluations, guidelines; derived.py keeps the tables derived from items, scores,
ratings and decisions in step with every write.
"""

from __future__ import annotations

import time
from typing import Any

from honeybee_core.store import derived
from honeybee_core.store.annotators import AnnotatorTables
from honeybee_core.store.base import quote_identifier
from honeybee_core.store.database import Database
from honeybee_core.store.evaluations import EvaluationTables
from honeybee_core.store.explore import ExploreQueries
from honeybee_core.store.guidelines import GuidelineTables
from honeybee_core.store.items import ItemTables
from honeybee_core.store.jobs import JobTables
from honeybee_core.store.llm_calls import LlmCallTables
from honeybee_core.store.people import PeopleTables
from honeybee_core.store.queue import QueueQueries
from honeybee_core.store.ratings import RatingTables
from honeybee_core.store.selection import SelectionQueries
from honeybee_core.store.snapshots import SnapshotTables
from honeybee_core.store.training_runs import TrainingRunTables


class Repository(ItemTables, AnnotatorTables, RatingTables, JobTables, LlmCallTables,
                 ExploreQueries, QueueQueries, SelectionQueries, SnapshotTables, TrainingRunTables,
                 EvaluationTables, PeopleTables, GuidelineTables):
    """Typed reads and writes over one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._versions: tuple[float, dict[str, tuple[Any, ...]]] | None = None

    def stats(self) -> dict[str, Any]:
        cur = self.db.cursor()
        row = cur.execute(
            "SELECT (SELECT count(*) FROM instructions),"
            " (SELECT count(DISTINCT instruction_id) FROM verifier_scores),"
            " (SELECT count(DISTINCT instruction_id) FROM expert_ratings),"
            " (SELECT count(*) FROM current_decisions WHERE decision = 'approve'),"
            " (SELECT count(*) FROM current_decisions WHERE decision = 'reject')"
        ).fetchall()[0]
        by_stage = cur.execute(
            "SELECT stage, count(*) FROM instructions GROUP BY stage ORDER BY stage"
        ).fetchall()
        keys = ["instructions", "verifier_scored", "expert_rated", "approved", "rejected"]
        out: dict[str, Any] = {k: int(v) for k, v in zip(keys, row, strict=True)}
        out["by_stage"] = {str(stage): int(n) for stage, n in by_stage}
        return out

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (tests use it to prove a rejected import changed nothing)."""
        cur = self.db.cursor()
        names = [
            r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        return {
            name: int(
                cur.execute("SELECT count(*) FROM " + quote_identifier(name)).fetchall()[0][0])
            for name in names
        }

    def data_version(self) -> tuple[Any, ...]:
        """A cheap fingerprint of items, verifier scores, ratings and decisions (all append-only
        or timestamped on update): derived data cached under an older fingerprint is stale.
        [:2] items, [2:4] verifier scores, [4:6] ratings, [6] decisions (see versions)."""
        return tuple(self.db.cursor().execute(
            "SELECT (SELECT count(*) FROM instructions),"
            " (SELECT max(created_at) FROM instructions), (SELECT count(*) FROM verifier_scores),"
            " (SELECT max(created_at) FROM verifier_scores),"
            " (SELECT count(*) FROM expert_ratings), (SELECT max(updated_at) FROM expert_ratings),"
            " (SELECT max(id) FROM decisions)"
        ).fetchall()[0])

    def versions(self) -> dict[str, tuple[Any, ...]]:
        """A fingerprint per family (items, scores, ratings, decisions), so a cache keys on
        just the families it was built from: the count of this process's writes to it (no
        other process can write while this one has the file open) and the data_version slice,
        read again at most once a second (for writes that bypass the store)."""
        now = time.monotonic()
        if self._versions is None or now - self._versions[0] >= 1.0:
            v = self.data_version()
            self._versions = (now, {"items": v[:2], "scores": v[2:4], "ratings": v[4:6],
                                    "decisions": v[6:]})
        counts = derived.change_counts()
        return {family: (counts[family], *data) for family, data in self._versions[1].items()}
