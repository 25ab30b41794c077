"""The repository: the only module that holds SQL. Parameters are always bound, never formatted in.

Bulk writes take an Arrow table or pandas DataFrame registered as a view (DuckDB scans it in
place), so importing 52,000 records is one INSERT ... SELECT instead of 52,000 round trips.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from honeybee_core.db import Database

ITEM_COLUMNS = [
    "id", "stage", "topic", "task_type", "instruction", "input", "output", "source", "generator",
    "prompt_version", "parent_id",
]
SCORE_COLUMNS = ["accuracy", "relevance", "completeness", "reasonableness"]
_view_names = (f"incoming_{n}" for n in itertools.count())


class Repository:
    """Typed reads and writes over one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- items ----------------------------------------------------------------------------
    def existing_ids(self, ids: list[str]) -> set[str]:
        cur = self.db.cursor()
        rows = cur.execute(
            "SELECT id FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0] for r in rows}

    def insert_items(self, cur: Any, items: Any) -> int:
        """Insert items inside the caller's transaction; existing ids are kept as they are."""
        with _registered(cur, items) as view:
            before = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
            cur.execute(
                "INSERT INTO instructions (id, stage, topic, task_type, instruction, input, output,"
                " source, generator, prompt_version, parent_id) "
                "SELECT id, stage, topic, task_type, instruction, input, output, source, generator,"
                " prompt_version, parent_id FROM " + view + " ON CONFLICT (id) DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
        return int(after - before)

    def insert_verifier_scores(self, cur: Any, scores: Any) -> int:
        """Insert verifier scores inside the caller's transaction; a repeat score is ignored."""
        with _registered(cur, scores) as view:
            before = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
            cur.execute(
                "INSERT INTO verifier_scores (instruction_id, verifier, rubric_version, accuracy,"
                " relevance, completeness, reasonableness, rationale) "
                "SELECT instruction_id, verifier, rubric_version, accuracy, relevance,"
                " completeness, reasonableness, rationale FROM " + view
                + " ON CONFLICT DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
        return int(after - before)

    def select_items(self, selection: str = "all", snapshot_id: str | None = None) -> pd.DataFrame:
        """Items in import order: all of them, the currently approved ones, or a snapshot's."""
        cur = self.db.cursor()
        cols = ", ".join("i." + c for c in ITEM_COLUMNS)
        if selection == "snapshot":
            return cur.execute(
                "SELECT " + cols + " FROM instructions i JOIN snapshot_items s"
                " ON s.instruction_id = i.id WHERE s.snapshot_id = ? ORDER BY i.created_at, i.id",
                [snapshot_id],
            ).df()
        if selection == "approved":
            return cur.execute(
                "SELECT " + cols + " FROM instructions i JOIN current_decisions d"
                " ON d.instruction_id = i.id WHERE d.decision = 'approve'"
                " ORDER BY i.created_at, i.id"
            ).df()
        return cur.execute(
            "SELECT " + cols + " FROM instructions i ORDER BY i.created_at, i.id"
        ).df()

    def verifier_scores(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT instruction_id, verifier, rubric_version, accuracy, relevance, completeness,"
            " reasonableness, rationale, created_at FROM verifier_scores"
            " ORDER BY instruction_id, verifier"
        ).df()

    def snapshot_exists(self, snapshot_id: str) -> bool:
        row = self.db.cursor().execute(
            "SELECT count(*) FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchall()[0]
        return bool(row and row[0])

    # -- expert ratings --------------------------------------------------------------------
    def ensure_annotators(self, cur: Any, names: list[str], role: str = "reviewer") -> None:
        cur.execute(
            "INSERT INTO annotators (name, role) SELECT DISTINCT unnest(?::VARCHAR[]), ?"
            " ON CONFLICT (name) DO NOTHING",
            [names, role],
        )

    def upsert_ratings(self, cur: Any, ratings: pd.DataFrame) -> tuple[int, int]:
        """Insert or update (item, annotator) ratings; returns (inserted, updated)."""
        cols = ["instruction_id", "annotator", *SCORE_COLUMNS, "verdict", "comment", "blind"]
        with _registered(cur, ratings[cols]) as view:
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
                " blind = excluded.blind, updated_at = now()::TIMESTAMP"
            ).fetchall()
        return len(ratings) - int(existing), int(existing)

    def expert_ratings(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, created_at, updated_at FROM expert_ratings"
            " ORDER BY instruction_id, annotator"
        ).df()

    # -- decisions -------------------------------------------------------------------------
    def add_decisions(
        self, cur: Any, ids: list[str], decision: str, by: str, reason: str | None,
        rule: str | None = None,
    ) -> int:
        cur.execute(
            "INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
            " SELECT unnest(?::VARCHAR[]), ?, ?, ?, ?",
            [ids, decision, by, reason, rule],
        )
        return len(ids)

    # -- statistics ------------------------------------------------------------------------
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
            name: int(cur.execute("SELECT count(*) FROM " + _identifier(name)).fetchall()[0][0])
            for name in names
        }

    # -- jobs ------------------------------------------------------------------------------
    def create_job(self, job_id: str, kind: str, params: str, created_by: str | None) -> None:
        self.db.cursor().execute(
            "INSERT INTO jobs (id, kind, params, status, created_by) VALUES (?, ?, ?, 'queued', ?)",
            [job_id, kind, params, created_by],
        ).fetchall()

    def unfinished_job(self, kind: str, params: str) -> str | None:
        """The latest job of this kind with these exact params that did not finish (killed,
        cancelled, failed or partial): running the same job again continues it."""
        rows = self.db.cursor().execute(
            "SELECT id FROM jobs WHERE kind = ? AND params = ? AND status <> 'finished'"
            " ORDER BY created_at DESC LIMIT 1",
            [kind, params],
        ).fetchall()
        return rows[0][0] if rows else None

    def update_job(self, job_id: str, cur: Any = None, **fields: Any) -> None:
        """Set job columns (a whitelist) and the heartbeat; inside cur's transaction if given."""
        allowed = {"status", "progress_done", "progress_total", "cost_usd", "batch_ids", "error",
                   "started_at", "finished_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        names = sorted(fields)
        assignments = ", ".join(f"{name} = ?" for name in names)  # names from the whitelist
        (cur or self.db.cursor()).execute(
            "UPDATE jobs SET " + assignments + ", heartbeat_at = now()::TIMESTAMP WHERE id = ?",
            [*(fields[n] for n in names), job_id],
        ).fetchall()

    def job(self, job_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute("SELECT * FROM jobs WHERE id = ?", [job_id]).df()
        return _first_row(frame)

    def jobs(self, limit: int = 20, kind: str | None = None) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, kind, status, progress_done, progress_total, cost_usd, error, created_by,"
            " created_at, started_at, finished_at, heartbeat_at FROM jobs"
            " WHERE (? IS NULL OR kind = ?) ORDER BY created_at DESC LIMIT ?",
            [kind, kind, limit],
        ).df()

    # -- LLM call log ----------------------------------------------------------------------
    def record_llm_call(self, row: dict[str, Any]) -> None:
        cols = ["id", "provider", "model", "request_hash", "purpose", "request", "raw_response",
                "parsed", "ok", "error", "input_tokens", "output_tokens", "cost_usd",
                "latency_ms", "attempt", "batch", "job_id"]
        self.db.cursor().execute(
            "INSERT INTO llm_calls (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row.get(c) for c in cols],
        ).fetchall()

    def answered_request_hashes(self, provider: str, model: str) -> list[str]:
        """Request hashes with an ok answer from this provider and model (the cache's keys)."""
        return [h for (h,) in self.db.cursor().execute(
            "SELECT DISTINCT request_hash FROM llm_calls WHERE provider = ? AND model = ? AND ok",
            [provider, model],
        ).fetchall()]

    def cached_llm_call(self, provider: str, model: str, request_hash: str) -> dict | None:
        # fetchall, not df(): a re-run of a finished job makes this query once per call
        cur = self.db.cursor().execute(
            "SELECT * FROM llm_calls WHERE provider = ? AND model = ? AND request_hash = ?"
            " AND ok ORDER BY created_at DESC LIMIT 1",
            [provider, model, request_hash],
        )
        found = cur.fetchall()
        return dict(zip([d[0] for d in cur.description], found[0], strict=True)) if found else None

    def llm_call_totals(self, job_id: str | None = None) -> dict[str, Any]:
        rows = self.db.cursor().execute(
            "SELECT count(*), count(*) FILTER (WHERE ok), coalesce(sum(cost_usd), 0),"
            " coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0)"
            " FROM llm_calls WHERE (? IS NULL OR job_id = ?)",
            [job_id, job_id],
        ).fetchall()[0]
        return dict(zip(["calls", "ok_calls", "cost_usd", "input_tokens", "output_tokens"],
                        rows, strict=True))

    # -- generation and verification -------------------------------------------------------
    def kept_instructions(self) -> list[tuple[str, str, str]]:
        """(id, instruction, input) of every item that is not a near-duplicate, oldest first."""
        return self.db.cursor().execute(
            "SELECT id, instruction, input FROM instructions WHERE duplicate_of IS NULL"
            " ORDER BY created_at, id"
        ).fetchall()

    def insert_generated(self, cur: Any, rows: list[dict[str, Any]]) -> int:
        """Insert generated items (with job and near-duplicate flags); existing ids are kept."""
        cols = [*ITEM_COLUMNS, "job_id", "duplicate_of"]
        before = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
        cur.executemany(
            "INSERT INTO instructions (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT (id) DO NOTHING",
            [[row.get(c) for c in cols] for row in rows],
        )
        return int(cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0] - before)

    def items_to_verify(self, verifier: str, rubric_version: str,
                        limit: int | None = None) -> pd.DataFrame:
        """Items this verifier (with this rubric) has not scored; near-duplicates are skipped."""
        return self.db.cursor().execute(
            "SELECT i.id, i.instruction, i.input, i.output FROM instructions i"
            " WHERE i.duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM verifier_scores v"
            " WHERE v.instruction_id = i.id AND v.verifier = ? AND v.rubric_version = ?)"
            " ORDER BY i.created_at, i.id LIMIT ?",
            [verifier, rubric_version, limit if limit is not None else 2**62],
        ).df()

    def count_to_verify(self, verifier: str, rubric_version: str) -> int:
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM instructions i WHERE i.duplicate_of IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM verifier_scores v WHERE v.instruction_id = i.id"
            " AND v.verifier = ? AND v.rubric_version = ?)",
            [verifier, rubric_version],
        ).fetchall()[0][0])

    def insert_verifier_score(self, cur: Any, row: dict[str, Any]) -> None:
        cols = ["instruction_id", "verifier", "rubric_version", *SCORE_COLUMNS, "rationale",
                "raw_response"]
        cur.execute(
            "INSERT INTO verifier_scores (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING",
            [row.get(c) for c in cols],
        ).fetchall()


    # -- review and explore (issue 4: users, queue, ratings, decisions, explore) -----------------
    def annotator(self, name: str) -> dict[str, Any] | None:
        rows = self.db.cursor().execute(
            "SELECT name, role, password_hash FROM annotators WHERE name = ?", [name]
        ).fetchall()
        return dict(zip(("name", "role", "password_hash"), rows[0], strict=True)) if rows else None

    def annotators(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT name, role, password_hash IS NOT NULL AS has_password, created_at"
            " FROM annotators ORDER BY name"
        ).df()

    def upsert_annotator(self, cur: Any, name: str, role: str, password_hash: str | None) -> bool:
        """Create the annotator or set its role (and hash, when given); True when created."""
        existed = cur.execute("SELECT count(*) FROM annotators WHERE name = ?", [name]).fetchall()
        cur.execute(
            "INSERT INTO annotators (name, role, password_hash) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
            " password_hash = coalesce(excluded.password_hash, annotators.password_hash)",
            [name, role, password_hash],
        ).fetchall()
        return existed[0][0] == 0

    def filter_options(self) -> dict[str, list[Any]]:
        """Distinct stages, topics, task types, sources and verifiers, for filter widgets."""
        cur = self.db.cursor()
        out: dict[str, list[Any]] = {}
        for key, column in (("stages", "stage"), ("topics", "topic"),
                            ("task_types", "task_type"), ("sources", "source")):
            out[key] = [r[0] for r in cur.execute(  # column names come from this fixed list
                "SELECT DISTINCT " + column + " FROM instructions WHERE " + column
                + " IS NOT NULL ORDER BY 1").fetchall()]
        out["verifiers"] = [r[0] for r in cur.execute(
            "SELECT DISTINCT verifier FROM verifier_scores ORDER BY 1").fetchall()]
        return out

    def data_version(self) -> tuple[Any, ...]:
        """A cheap fingerprint of items, verifier scores, ratings and decisions (all append-only
        or timestamped on update): derived data cached under an older fingerprint is stale."""
        return tuple(self.db.cursor().execute(
            "SELECT (SELECT count(*) FROM instructions),"
            " (SELECT max(created_at) FROM instructions), (SELECT count(*) FROM verifier_scores),"
            " (SELECT max(created_at) FROM verifier_scores),"
            " (SELECT count(*) FROM expert_ratings), (SELECT max(updated_at) FROM expert_ratings),"
            " (SELECT max(id) FROM decisions)"
        ).fetchall()[0])

    def review_order(self, seed: str, where: ItemWhere, n_strata: int) -> pa.Table:
        """Every filtered item in audit order: id, stratum, verifier_mean, pos (0, 1, ...).

        Strata are equal-width bands of the verifier's mean over the filtered items (unscored
        items form one more band); a turn is an item's place in a per-seed shuffle of its band.
        The order is by turn, then band: round-robin across the bands. It does not depend on
        anyone's ratings, so rating an item never reorders the rest.
        """
        cte, params = _scored_items(where)
        return self.db.cursor().sql(  # .sql: Arrow straight from the result, no extra copy
            cte + ", bounds AS (SELECT min(vmean) AS lo, max(vmean) AS hi FROM pool),"
            " ranked AS (SELECT p.id, p.vmean, CASE WHEN p.vmean IS NULL THEN ?"
            " WHEN b.hi = b.lo THEN 0 ELSE least(? - 1,"
            " floor((p.vmean - b.lo) / (b.hi - b.lo) * ?))::INTEGER END AS stratum"
            " FROM pool p, bounds b),"
            " turns AS (SELECT id, stratum, vmean, row_number() OVER"
            " (PARTITION BY stratum ORDER BY hash(id, ?), id) AS turn FROM ranked)"
            " SELECT id, stratum, vmean AS verifier_mean,"
            " (row_number() OVER (ORDER BY turn, stratum, id) - 1)::BIGINT AS pos FROM turns"
            " ORDER BY pos",
            params=[*params, n_strata, n_strata, n_strata, seed],
        ).to_arrow_table()

    def review_queue(
        self, annotator: str, order: pa.Table, offset: int, limit: int
    ) -> tuple[pd.DataFrame, int, int]:
        """The annotator's queue over an audit order: rows (id, stratum, verifier_mean, skipped)
        from offset, the queue length, and how many items of the order they have rated.

        Unrated items keep the audit order; items they skipped follow, oldest skip first.
        """
        cur = self.db.cursor()
        with _registered(cur, order) as view:
            rows = cur.execute(
                "WITH mine AS (SELECT instruction_id, verdict, updated_at FROM expert_ratings"
                " WHERE annotator = ?), joined AS (SELECT o.id, o.stratum, o.verifier_mean,"
                " o.pos, m.verdict, m.updated_at, m.instruction_id IS NOT NULL AS has_rating"
                " FROM " + view + " o LEFT JOIN mine m ON m.instruction_id = o.id),"
                " queue AS (SELECT *, coalesce(verdict = 'skip', false) AS skipped FROM joined"
                " WHERE NOT has_rating OR verdict = 'skip')"
                " SELECT id, stratum, verifier_mean, skipped,"
                " (SELECT count(*) FROM queue) AS total,"
                " (SELECT count(*) FROM joined WHERE has_rating AND verdict IS DISTINCT FROM"
                " 'skip') AS rated"
                " FROM queue ORDER BY skipped, CASE WHEN skipped THEN updated_at END, pos"
                " LIMIT ? OFFSET ?",
                [annotator, limit, offset],
            ).df()
            if rows.empty:  # past the end, or nothing left: still report the counts
                counts = cur.execute(
                    "SELECT count(*) FILTER (WHERE m.instruction_id IS NULL OR m.verdict = 'skip'),"
                    " count(m.instruction_id) FILTER (WHERE m.verdict IS DISTINCT FROM 'skip')"
                    " FROM " + view + " o LEFT JOIN expert_ratings m"
                    " ON m.instruction_id = o.id AND m.annotator = ?", [annotator],
                ).fetchall()[0]
                return rows.drop(columns=["total", "rated"]), int(counts[0]), int(counts[1])
        return (rows.drop(columns=["total", "rated"]), int(rows["total"].iloc[0]),
                int(rows["rated"].iloc[0]))

    def rating_of(self, item_id: str, annotator: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, created_at, updated_at FROM expert_ratings"
            " WHERE instruction_id = ? AND annotator = ?",
            [item_id, annotator],
        ).df()
        return _first_record(frame)

    def save_rating(self, cur: Any, item_id: str, annotator: str, row: dict[str, Any]) -> None:
        """Insert or update one (item, annotator) rating; created_at stays, updated_at moves."""
        values = [row[c] for c in (*SCORE_COLUMNS, "verdict", "comment", "blind")]
        cur.execute(
            "INSERT INTO expert_ratings (instruction_id, annotator, accuracy, relevance,"
            " completeness, reasonableness, verdict, comment, blind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instruction_id, annotator)"
            " DO UPDATE SET accuracy = excluded.accuracy, relevance = excluded.relevance,"
            " completeness = excluded.completeness, reasonableness = excluded.reasonableness,"
            " verdict = excluded.verdict, comment = excluded.comment, blind = excluded.blind,"
            " updated_at = now()::TIMESTAMP",
            [item_id, annotator, *values],
        ).fetchall()

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

    def item(self, item_id: str) -> dict[str, Any] | None:
        return _first_record(self.db.cursor().execute(
            "SELECT * FROM instructions WHERE id = ?", [item_id]).df())

    def item_verifier_scores(self, item_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT verifier, rubric_version, accuracy, relevance, completeness, reasonableness,"
            " rationale, created_at FROM verifier_scores WHERE instruction_id = ?"
            " ORDER BY verifier, rubric_version", [item_id]).df()

    def item_ratings(self, item_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT annotator, accuracy, relevance, completeness, reasonableness, verdict,"
            " comment, blind, created_at, updated_at FROM expert_ratings"
            " WHERE instruction_id = ? ORDER BY annotator", [item_id]).df()

    def item_decisions(self, item_id: str) -> pd.DataFrame:
        """Every decision on the item, latest first (the first row is the one in force)."""
        return self.db.cursor().execute(
            "SELECT decision, decided_by, reason, rule, created_at FROM decisions"
            " WHERE instruction_id = ? ORDER BY id DESC", [item_id]).df()

    def item_scores(
        self, cur: Any, verifier: str | None, undecided_only: bool
    ) -> tuple[list[str], np.ndarray]:
        """Ids and (n, 4) verifier scores (mean over verifiers unless one is named) of scored
        items, optionally only those with no decision in force; in cur's transaction."""
        frame = cur.execute(
            "SELECT v.instruction_id, avg(v.accuracy), avg(v.relevance), avg(v.completeness),"
            " avg(v.reasonableness) FROM verifier_scores v"
            " WHERE (?::VARCHAR IS NULL OR v.verifier = ?::VARCHAR) AND (NOT ? OR NOT EXISTS"
            " (SELECT 1 FROM current_decisions d WHERE d.instruction_id = v.instruction_id))"
            " GROUP BY v.instruction_id ORDER BY v.instruction_id",
            [verifier, verifier, undecided_only],
        ).fetchnumpy()
        ids = frame["instruction_id"].tolist()
        scores = np.column_stack([np.asarray(frame[k], dtype=float) for k in list(frame)[1:]]) \
            if ids else np.empty((0, 4))
        return ids, scores

    def item_summary(self, verifier: str | None) -> pa.Table:
        """One row per item (only items the verifier scored, when one is named): the columns
        the explore table filters and sorts on, with verifier, rating and decision aggregates."""
        cte, params = _scored_items(ItemWhere(verifier=verifier), extra=_SUMMARY_ITEM_COLUMNS)
        return self.db.cursor().sql(
            cte + ", er AS (SELECT instruction_id, count(*) AS n_ratings,"
            " avg((accuracy + relevance + completeness + reasonableness) / 4) AS expert_mean"
            " FROM expert_ratings WHERE verdict IS DISTINCT FROM 'skip' GROUP BY instruction_id)"
            " SELECT p.id, p.stage, p.topic, p.task_type, p.source, p.accuracy, p.relevance,"
            " p.completeness, p.reasonableness, p.vmean AS verifier_mean,"
            " coalesce(er.n_ratings, 0) AS n_ratings, er.expert_mean,"
            " coalesce(d.decision, 'undecided') AS decision, p.created_at"
            " FROM pool p LEFT JOIN er ON er.instruction_id = p.id"
            " LEFT JOIN current_decisions d ON d.instruction_id = p.id",
            params=params,
        ).to_arrow_table()

    def explore(
        self, summary: pa.Table, where: ItemWhere, search: str | None,
        ranges: dict[str, tuple[float, float]], rated: bool | None, decision: str | None,
        sort: str, descending: bool, offset: int, limit: int,
    ) -> tuple[pd.DataFrame, int]:
        """One page of the item table and the filtered total; DuckDB filters, sorts and pages
        over the item summary (see item_summary), and fetches text for the page's rows only."""
        if sort not in EXPLORE_SORT_COLUMNS:
            raise ValueError(f"not a sortable column: {sort}")
        clauses, params = _item_clauses(where, "s")
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # the item filters again inside, so DuckDB reads only their rows' text
            inner, inner_params = _item_clauses(where, "i")
            inner.append("(" + " OR ".join(f"i.{c} ILIKE ? ESCAPE '\\'"
                                           for c in ("instruction", "input", "output")) + ")")
            clauses.append("s.id IN (SELECT i.id FROM instructions i WHERE "
                           + " AND ".join(inner) + ")")
            params += [*inner_params, *[pattern + "%"] * 3]
        for column, (low, high) in ranges.items():
            if column not in (*SCORE_COLUMNS, "verifier_mean"):
                raise ValueError(f"not a score column: {column}")
            clauses.append("s." + column + " BETWEEN ? AND ?")  # names from the check above
            params += [low, high]
        if rated is not None:
            clauses.append("s.n_ratings > 0" if rated else "s.n_ratings = 0")
        if decision is not None:
            clauses.append("s.decision = ?")
            params.append(decision)
        order = sort + (" DESC" if descending else " ASC") + " NULLS LAST, id"
        cur = self.db.cursor()
        with _registered(cur, summary) as view:
            frame = cur.execute(
                "WITH hits AS (SELECT s.* FROM " + view + " s"
                + (" WHERE " + " AND ".join(clauses) if clauses else "") + "),"
                " page AS (SELECT *, (SELECT count(*) FROM hits) AS total FROM hits"
                " ORDER BY " + order + " LIMIT ? OFFSET ?)"
                " SELECT page.id, page.stage, page.topic, page.task_type, page.source,"
                " left(i.instruction, 200) AS instruction, page.accuracy, page.relevance,"
                " page.completeness, page.reasonableness, page.verifier_mean, page.n_ratings,"
                " page.expert_mean, page.decision, page.created_at, page.total"
                " FROM page JOIN instructions i ON i.id = page.id ORDER BY " + order,
                [*params, limit, offset],
            ).df()
            if frame.empty and offset > 0:
                total = cur.execute(
                    "SELECT count(*) FROM " + view + " s"
                    + (" WHERE " + " AND ".join(clauses) if clauses else ""), params,
                ).fetchall()[0][0]
                return frame.drop(columns="total"), int(total)
        return frame.drop(columns="total"), int(frame["total"].iloc[0]) if len(frame) else 0

    def reviewer_progress(self) -> pd.DataFrame:
        """Per annotator: role, rated (skips excluded), skipped, flagged, last activity."""
        return self.db.cursor().execute(
            "SELECT a.name AS annotator, a.role,"
            " count(r.instruction_id) FILTER (WHERE r.verdict IS DISTINCT FROM 'skip') AS rated,"
            " count(r.instruction_id) FILTER (WHERE r.verdict = 'skip') AS skipped,"
            " count(r.instruction_id) FILTER (WHERE r.verdict = 'flag') AS flagged,"
            " max(r.updated_at) AS last_active"
            " FROM annotators a LEFT JOIN expert_ratings r ON r.annotator = a.name"
            " GROUP BY a.name, a.role ORDER BY rated DESC, a.name"
        ).df()

    def latest_training_runs(self, limit: int) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, snapshot_id, stage, base_model, status, step, max_steps, created_by,"
            " started_at, finished_at FROM training_runs ORDER BY started_at DESC LIMIT ?",
            [limit],
        ).df()
    # -- agreement -------------------------------------------------------------------------
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

    def annotator_names(self) -> list[str]:
        return [r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT annotator FROM expert_ratings ORDER BY annotator").fetchall()]

    # -- snapshots -------------------------------------------------------------------------
    def curation_candidates(self, stages: list[int] | None) -> pd.DataFrame:
        """Kept items with their verifier scores (mean over verifiers, newest rubric of each),
        current decision and stage; the curation rule is applied by the caller."""
        return self.db.cursor().execute(
            "WITH latest AS (SELECT * FROM verifier_scores QUALIFY row_number() OVER"
            " (PARTITION BY instruction_id, verifier ORDER BY created_at DESC,"
            " rubric_version DESC) = 1),"
            " mean_scores AS (SELECT instruction_id, avg(accuracy) AS accuracy,"
            " avg(relevance) AS relevance, avg(completeness) AS completeness,"
            " avg(reasonableness) AS reasonableness FROM latest GROUP BY instruction_id)"
            " SELECT i.id, i.stage, m.accuracy, m.relevance, m.completeness, m.reasonableness,"
            " d.decision FROM instructions i"
            " LEFT JOIN mean_scores m ON m.instruction_id = i.id"
            " LEFT JOIN current_decisions d ON d.instruction_id = i.id"
            " WHERE i.duplicate_of IS NULL AND (?::INTEGER[] IS NULL OR list_contains(?, i.stage))"
            " ORDER BY i.id",
            [stages, stages],
        ).df()

    def items_by_ids(self, ids: list[str]) -> pd.DataFrame:
        cols = ", ".join(ITEM_COLUMNS)
        return self.db.cursor().execute(
            "SELECT " + cols + " FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))"
            " ORDER BY id",
            [ids],
        ).df()

    def snapshot_by_sha(self, sha256: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM snapshots WHERE sha256 = ? LIMIT 1", [sha256]).df()
        return _first_row(frame)

    def insert_snapshot(self, cur: Any, row: dict[str, Any], ids: list[str]) -> None:
        cols = ["id", "name", "rule", "require_approval", "stages", "n_items", "sha256", "path",
                "created_by"]
        cur.execute(
            "INSERT INTO snapshots (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row[c] for c in cols],
        ).fetchall()
        cur.execute(
            "INSERT INTO snapshot_items (snapshot_id, instruction_id)"
            " SELECT ?, unnest(?::VARCHAR[])",
            [row["id"], ids],
        ).fetchall()

    def snapshots(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, name, rule, require_approval, stages, n_items, sha256, path, created_by,"
            " created_at FROM snapshots ORDER BY created_at DESC"
        ).df()

    def snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM snapshots WHERE id = ?", [snapshot_id]).df()
        return _first_row(frame)

    # -- training runs ---------------------------------------------------------------------
    def insert_run(self, row: dict[str, Any]) -> None:
        cols = ["id", "snapshot_id", "stage", "base_model", "init_adapter", "config", "out_dir",
                "status", "pid", "max_steps", "created_by"]
        self.db.cursor().execute(
            "INSERT INTO training_runs (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row.get(c) for c in cols],
        ).fetchall()

    def update_run(self, run_id: str, cur: Any = None, **fields: Any) -> None:
        allowed = {"status", "pid", "step", "max_steps", "final_metrics", "error", "finished_at",
                   "config"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not training_runs columns: {sorted(unknown)}")
        names = sorted(fields)
        (cur or self.db.cursor()).execute(
            "UPDATE training_runs SET " + ", ".join(f"{n} = ?" for n in names) + " WHERE id = ?",
            [*(fields[n] for n in names), run_id],
        ).fetchall()

    def run(self, run_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM training_runs WHERE id = ?", [run_id]).df()
        return _first_row(frame)

    def runs(self, limit: int = 50) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, stage, snapshot_id, base_model, status, step, max_steps, final_metrics,"
            " error, out_dir, created_by, started_at, finished_at FROM training_runs"
            " ORDER BY started_at DESC LIMIT ?",
            [limit],
        ).df()

    def active_runs(self) -> list[str]:
        return [r[0] for r in self.db.cursor().execute(
            "SELECT id FROM training_runs WHERE status IN ('starting', 'running')"
        ).fetchall()]

    def metrics_lines(self, run_id: str) -> int:
        """How many metrics.jsonl lines of this run are already ingested."""
        return int(self.db.cursor().execute(
            "SELECT coalesce(max(line) + 1, 0) FROM training_metrics WHERE run_id = ?", [run_id]
        ).fetchall()[0][0])

    def insert_metrics(self, cur: Any, run_id: str, rows: list[dict[str, Any]]) -> None:
        cols = ["line", "step", "epoch", "loss", "eval_loss", "learning_rate", "tokens_per_s",
                "tokens_seen", "wall_s"]
        cur.executemany(
            "INSERT INTO training_metrics (run_id, " + ", ".join(cols) + ") VALUES (?, "
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING",
            [[run_id, *(row.get(c) for c in cols)] for row in rows],
        )

    def items_stage_max(self, snapshot_id: str) -> int | None:
        """The highest stage among a snapshot's items (a run trains that stage)."""
        value = self.db.cursor().execute(
            "SELECT max(i.stage) FROM snapshot_items s JOIN instructions i"
            " ON i.id = s.instruction_id WHERE s.snapshot_id = ?", [snapshot_id]
        ).fetchall()[0][0]
        return int(value) if value is not None else None

    def delete_metrics(self, run_id: str) -> None:
        self.db.cursor().execute(
            "DELETE FROM training_metrics WHERE run_id = ?", [run_id]).fetchall()

    def run_metrics(self, run_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT step, epoch, loss, eval_loss, learning_rate, tokens_per_s, tokens_seen, wall_s"
            " FROM training_metrics WHERE run_id = ? ORDER BY line",
            [run_id],
        ).df()

    # -- evaluation and feedback (issue 7) -------------------------------------------------------
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

    def evaluated_ids(self, evaluator: str, rubric_version: str,
                      run_id: str | None = None) -> set[str]:
        """Items this evaluator (rubric) has graded for run_id, or for any run when None."""
        return {r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT instruction_id FROM evaluations WHERE evaluator = ?"
            " AND rubric_version = ? AND (?::VARCHAR IS NULL OR run_id = ?)",
            [evaluator, rubric_version, run_id, run_id]).fetchall()}

    def insert_evaluation(self, cur: Any, row: dict[str, Any]) -> None:
        """One grade inside the caller's transaction; a repeat (same key) is ignored."""
        cols = ["run_id", "instruction_id", "evaluator", "rubric_version", "answer", "accuracy",
                "completeness", "reasonableness", "rationale"]
        cur.execute(
            "INSERT INTO evaluations (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING",
            [row.get(c) for c in cols],
        ).fetchall()

    def evaluation_count(self, run_id: str) -> int:
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM evaluations WHERE run_id = ?", [run_id]).fetchall()[0][0])

    def run_by_out_dir(self, out_dir: str) -> dict[str, Any] | None:
        return _first_row(self.db.cursor().execute(
            "SELECT * FROM training_runs WHERE out_dir = ? ORDER BY started_at DESC LIMIT 1",
            [out_dir]).df())

    def evaluators(self) -> pd.DataFrame:
        """evaluator, rubric_version, graded answers and the latest grade time, most used first."""
        return self.db.cursor().execute(
            "SELECT evaluator, rubric_version, count(*) AS n, max(created_at) AS last_at"
            " FROM evaluations GROUP BY evaluator, rubric_version"
            " ORDER BY n DESC, last_at DESC, evaluator"
        ).df()

    def evaluation_rows(self, evaluator: str, rubric_version: str) -> pd.DataFrame:
        """Every grade of one evaluator (rubric) with its item, reference and run's stage."""
        return self.db.cursor().execute(
            "SELECT e.run_id, r.stage AS run_stage, r.started_at AS run_started_at,"
            " e.instruction_id, i.stage, i.topic, i.task_type, i.instruction, i.input,"
            " i.output AS reference, e.answer, e.accuracy, e.completeness, e.reasonableness,"
            " e.rationale, e.created_at FROM evaluations e"
            " JOIN instructions i ON i.id = e.instruction_id"
            " LEFT JOIN training_runs r ON r.id = e.run_id"
            " WHERE e.evaluator = ? AND e.rubric_version = ?"
            " ORDER BY e.run_id, e.instruction_id",
            [evaluator, rubric_version],
        ).df()

    def weak_answers(self, run_id: str, evaluator: str | None, threshold: float) -> pd.DataFrame:
        """A run's graded items below threshold on any dimension (grades averaged over the
        evaluators, newest rubric of each), weakest first, with what feedback needs."""
        return self.db.cursor().execute(
            "WITH latest AS (SELECT * FROM evaluations WHERE run_id = ?"
            " AND (?::VARCHAR IS NULL OR evaluator = ?) QUALIFY row_number() OVER"
            " (PARTITION BY instruction_id, evaluator ORDER BY created_at DESC,"
            " rubric_version DESC) = 1),"
            " g AS (SELECT instruction_id, avg(accuracy) AS accuracy,"
            " avg(completeness) AS completeness, avg(reasonableness) AS reasonableness,"
            " min(answer) AS answer, string_agg(rationale, ' | ' ORDER BY evaluator) AS rationale"
            " FROM latest GROUP BY instruction_id)"
            " SELECT i.id, i.stage, i.topic, i.task_type, i.instruction, i.input, i.output,"
            " g.answer, g.accuracy, g.completeness, g.reasonableness, g.rationale"
            " FROM g JOIN instructions i ON i.id = g.instruction_id"
            " WHERE least(g.accuracy, g.completeness, g.reasonableness) < ?"
            " ORDER BY (g.accuracy + g.completeness + g.reasonableness), i.id",
            [run_id, evaluator, evaluator, threshold],
        ).df()

    # --- providers branch additions ---
    LLM_CALL_COLUMNS = (
        "id", "provider", "model", "request_hash", "purpose", "request", "raw_response",
        "parsed", "ok", "error", "input_tokens", "output_tokens", "cost_usd", "latency_ms",
        "attempt", "batch", "job_id", "created_at",
    )
    _LLM_CALL_SCHEMA = pa.schema(
        [(c, pa.string()) for c in LLM_CALL_COLUMNS[:8]]
        + [("ok", pa.bool_()), ("error", pa.string()), ("input_tokens", pa.int64()),
           ("output_tokens", pa.int64()), ("cost_usd", pa.float64()),
           ("latency_ms", pa.float64()), ("attempt", pa.int64()), ("batch", pa.bool_()),
           ("job_id", pa.string()), ("created_at", pa.timestamp("us"))]
    )

    def insert_llm_calls(self, cur: Any, calls: list[dict[str, Any]]) -> None:
        """Insert call records (dicts keyed by LLM_CALL_COLUMNS) inside the caller's transaction,
        in one statement; a record whose id is already stored is skipped (a spool folded twice)."""
        cols = self.LLM_CALL_COLUMNS
        table = pa.Table.from_pydict({c: [row.get(c) for row in calls] for c in cols},
                                     schema=self._LLM_CALL_SCHEMA)
        with _registered(cur, table) as view:
            cur.execute(
                "INSERT INTO llm_calls (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT (id) DO NOTHING"
            ).fetchall()

    def answered_calls(self, provider: str, model: str,
                       request_hashes: list[str]) -> list[dict[str, Any]]:
        """The latest ok record of each of these requests that has one (one query)."""
        cur = self.db.cursor().execute(
            "SELECT c.* FROM llm_calls c"
            " JOIN (SELECT DISTINCT unnest(?::VARCHAR[]) AS h) wanted ON c.request_hash = wanted.h"
            " WHERE c.provider = ? AND c.model = ? AND c.ok"
            " QUALIFY row_number() OVER (PARTITION BY c.request_hash"
            " ORDER BY c.created_at DESC) = 1",
            [request_hashes, provider, model],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def insert_generated_rows(self, cur: Any, rows: list[dict[str, Any]]) -> int:
        """insert_generated in one statement (a group of a job's items); returns rows added."""
        cols = [*ITEM_COLUMNS, "job_id", "duplicate_of"]
        table = pa.Table.from_pydict({c: [row.get(c) for row in rows] for c in cols})
        with _registered(cur, table) as view:
            added = cur.execute(
                "INSERT INTO instructions (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT (id) DO NOTHING"
            ).fetchall()
        return int(added[0][0]) if added else 0

    def insert_verifier_score_rows(self, cur: Any, scores: list[dict[str, Any]]) -> None:
        """Insert job verifier scores (with raw_response) in one statement; repeats ignored."""
        cols = ["instruction_id", "verifier", "rubric_version", *SCORE_COLUMNS, "rationale",
                "raw_response"]
        with _registered(cur, pa.Table.from_pylist([{c: s.get(c) for c in cols}
                                                    for s in scores])) as view:
            cur.execute(
                "INSERT INTO verifier_scores (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT DO NOTHING"
            ).fetchall()



# DuckDB 2 keeps a result open until it is read to the end, so reads here use fetchall().


@contextlib.contextmanager
def _registered(cur: Any, frame: pd.DataFrame) -> Iterator[str]:
    """Expose a DataFrame to SQL under a fresh internal name for the duration of a block."""
    view = next(_view_names)
    cur.register(view, frame)
    try:
        yield view
    finally:
        # after a failed statement the transaction is aborted; the caller's ROLLBACK cleans up
        with contextlib.suppress(duckdb.TransactionException):
            cur.unregister(view)


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts with None (not NaN/NaT) for SQL NULL."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    return rows(frame.head(1))[0] if len(frame) else None


def _identifier(name: str) -> str:
    """Quote a table name that came from information_schema (never from a user)."""
    return '"' + name.replace('"', '""') + '"'


# -- review and explore helpers (issue 4) --------------------------------------------------------
EXPLORE_SORT_COLUMNS = (
    "created_at", "id", "stage", "topic", "task_type", "source", "verifier_mean", *SCORE_COLUMNS,
    "n_ratings", "expert_mean", "decision",
)


@dataclass(frozen=True)
class ItemWhere:
    """Item filters shared by the review queue and the explore table (empty = no filter)."""

    stages: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    verifier: str | None = None


_SUMMARY_ITEM_COLUMNS = ("stage", "topic", "task_type", "source", "created_at")


def _item_clauses(where: ItemWhere, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) for the item filters of where, on alias."""
    clauses, params = [], []
    for column, values in (("stage", where.stages), ("topic", where.topics),
                           ("task_type", where.task_types), ("source", where.sources)):
        if values:
            clauses.append(f"list_contains(?, {alias}.{column})")  # names from this fixed list
            params.append(list(values))
    return clauses, params


def _scored_items(where: ItemWhere, extra: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
    """`WITH vs AS (...), pool AS (...)`: filtered items with their verifier scores (the mean
    over verifiers, or the named verifier's; with a verifier named only items it scored)."""
    clauses, params = _item_clauses(where, "i")
    join = "JOIN" if where.verifier else "LEFT JOIN"
    # only the columns a caller needs: the pool is read twice and may be materialised
    more = "".join(", i." + c for c in extra)  # names from fixed tuples in this module
    sql = (
        "WITH vs AS (SELECT instruction_id, avg(accuracy) AS accuracy, avg(relevance) AS relevance,"
        " avg(completeness) AS completeness, avg(reasonableness) AS reasonableness"
        " FROM verifier_scores WHERE ?::VARCHAR IS NULL OR verifier = ?::VARCHAR"
        " GROUP BY instruction_id),"
        " pool AS (SELECT i.id" + more + ", vs.accuracy, vs.relevance, vs.completeness,"
        " vs.reasonableness,"
        " (vs.accuracy + vs.relevance + vs.completeness + vs.reasonableness) / 4 AS vmean"
        " FROM instructions i " + join + " vs ON vs.instruction_id = i.id"
        + (" WHERE " + " AND ".join(clauses) if clauses else "") + ")"
    )
    return sql, [where.verifier, where.verifier, *params]


def _first_record(frame: pd.DataFrame) -> dict[str, Any] | None:
    return _first_row(frame)
