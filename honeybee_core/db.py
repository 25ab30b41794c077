"""DuckDB connection and numbered migrations (a plain list of functions, each applied once).

DuckDB allows one read-write process per file. `open_database` turns the lock conflict into one
sentence naming the holder, so a CLI run beside the app fails clearly instead of with a traceback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from honeybee_core.errors import DatabaseLockedError, HoneybeeError

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE instructions (
            id VARCHAR PRIMARY KEY,          -- content hash of instruction + input + output
            stage INTEGER NOT NULL DEFAULT 1,
            topic VARCHAR,
            task_type VARCHAR,
            instruction VARCHAR NOT NULL,
            input VARCHAR NOT NULL DEFAULT '',
            output VARCHAR NOT NULL,
            source VARCHAR NOT NULL DEFAULT 'imported',   -- generated | imported | feedback
            generator VARCHAR,
            prompt_version VARCHAR,
            parent_id VARCHAR,
            job_id VARCHAR,
            duplicate_of VARCHAR,            -- near-duplicate (ROUGE-L) of a kept item
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE verifier_scores (
            instruction_id VARCHAR NOT NULL,
            verifier VARCHAR NOT NULL,
            rubric_version VARCHAR NOT NULL DEFAULT 'imported',
            accuracy DOUBLE NOT NULL,
            relevance DOUBLE NOT NULL,
            completeness DOUBLE NOT NULL,
            reasonableness DOUBLE NOT NULL,
            rationale VARCHAR,
            raw_response VARCHAR,
            llm_call_id VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (instruction_id, verifier, rubric_version)
        );
        CREATE TABLE annotators (
            name VARCHAR PRIMARY KEY,
            role VARCHAR NOT NULL DEFAULT 'reviewer',     -- reviewer | curator | admin
            password_hash VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE expert_ratings (
            instruction_id VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL,
            accuracy DOUBLE NOT NULL,
            relevance DOUBLE NOT NULL,
            completeness DOUBLE NOT NULL,
            reasonableness DOUBLE NOT NULL,
            verdict VARCHAR,                 -- reviewer's call: approve | reject | skip | flag
            comment VARCHAR,
            blind BOOLEAN NOT NULL DEFAULT TRUE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (instruction_id, annotator)
        );
        CREATE SEQUENCE decisions_seq;
        CREATE TABLE decisions (
            id BIGINT PRIMARY KEY DEFAULT nextval('decisions_seq'),
            instruction_id VARCHAR NOT NULL,
            decision VARCHAR NOT NULL,       -- approve | reject (history kept; latest wins)
            decided_by VARCHAR NOT NULL,
            reason VARCHAR,
            rule VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE snapshots (
            id VARCHAR PRIMARY KEY,
            name VARCHAR,
            rule VARCHAR,
            require_approval BOOLEAN NOT NULL DEFAULT FALSE,
            stages VARCHAR,
            n_items INTEGER NOT NULL,
            sha256 VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE snapshot_items (
            snapshot_id VARCHAR NOT NULL,
            instruction_id VARCHAR NOT NULL,
            PRIMARY KEY (snapshot_id, instruction_id)
        );
        CREATE TABLE jobs (
            id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,           -- generate | verify | train | evaluate | feedback
            params VARCHAR NOT NULL DEFAULT '{}',
            status VARCHAR NOT NULL DEFAULT 'queued',
            progress_done INTEGER NOT NULL DEFAULT 0,
            progress_total INTEGER NOT NULL DEFAULT 0,
            cost_usd DOUBLE NOT NULL DEFAULT 0,
            batch_ids VARCHAR,
            error VARCHAR,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            heartbeat_at TIMESTAMP
        );
        CREATE TABLE training_runs (
            id VARCHAR PRIMARY KEY,
            snapshot_id VARCHAR,
            stage INTEGER NOT NULL DEFAULT 1,
            base_model VARCHAR NOT NULL,
            init_adapter VARCHAR,
            config VARCHAR NOT NULL,
            out_dir VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'starting',
            pid INTEGER,
            step INTEGER NOT NULL DEFAULT 0,
            max_steps INTEGER,
            final_metrics VARCHAR,
            error VARCHAR,
            created_by VARCHAR,
            started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            finished_at TIMESTAMP
        );
        CREATE TABLE training_metrics (
            run_id VARCHAR NOT NULL,
            line INTEGER NOT NULL,           -- line number in the run's metrics.jsonl
            step INTEGER NOT NULL,
            epoch DOUBLE,
            loss DOUBLE,
            eval_loss DOUBLE,
            learning_rate DOUBLE,
            tokens_per_s DOUBLE,
            tokens_seen BIGINT,
            wall_s DOUBLE,
            PRIMARY KEY (run_id, line)
        );
        CREATE TABLE evaluations (
            run_id VARCHAR NOT NULL,         -- 'base' or a training run id
            instruction_id VARCHAR NOT NULL,
            evaluator VARCHAR NOT NULL,
            rubric_version VARCHAR NOT NULL,
            answer VARCHAR NOT NULL,
            accuracy DOUBLE NOT NULL,
            completeness DOUBLE NOT NULL,
            reasonableness DOUBLE NOT NULL,
            rationale VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (run_id, instruction_id, evaluator, rubric_version)
        );
        CREATE TABLE llm_calls (
            id VARCHAR PRIMARY KEY,
            provider VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            request_hash VARCHAR NOT NULL,
            purpose VARCHAR,
            request VARCHAR,
            raw_response VARCHAR,
            parsed VARCHAR,
            ok BOOLEAN NOT NULL,
            error VARCHAR,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd DOUBLE NOT NULL DEFAULT 0,
            latency_ms DOUBLE,
            attempt INTEGER NOT NULL DEFAULT 1,
            batch BOOLEAN NOT NULL DEFAULT FALSE,
            job_id VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE INDEX llm_calls_key ON llm_calls (provider, model, request_hash);
        CREATE INDEX decisions_item ON decisions (instruction_id);
        -- the latest decision per item is the one in force; the table keeps the history
        CREATE VIEW current_decisions AS
            SELECT instruction_id, arg_max(decision, id) AS decision,
                   arg_max(decided_by, id) AS decided_by, max(created_at) AS decided_at
            FROM decisions GROUP BY instruction_id;
        """
    )


def _m002_review(con: duckdb.DuckDBPyConnection) -> None:
    # A "skip" (or a "flag" on an item too broken to score) is not a rating: its scores are NULL,
    # so agreement statistics read them as missing instead of as made-up numbers.
    con.execute("ALTER TABLE expert_ratings ALTER COLUMN accuracy DROP NOT NULL")
    con.execute("ALTER TABLE expert_ratings ALTER COLUMN relevance DROP NOT NULL")
    con.execute("ALTER TABLE expert_ratings ALTER COLUMN completeness DROP NOT NULL")
    con.execute("ALTER TABLE expert_ratings ALTER COLUMN reasonableness DROP NOT NULL")


def _m003_paper_evaluation(con: duckdb.DuckDBPyConnection) -> None:
    # Answers depend on how they were decoded (greedy, the paper's beams, an API model), so the
    # decoding joins the key of a grade; grades from before it was recorded are 'greedy'.
    con.execute(
        """
        CREATE TABLE evaluations_keyed (
            run_id VARCHAR NOT NULL,         -- 'base', a training run, provider:model, 'instructor'
            instruction_id VARCHAR NOT NULL,
            evaluator VARCHAR NOT NULL,
            rubric_version VARCHAR NOT NULL,
            decoding VARCHAR NOT NULL DEFAULT 'greedy',
            answer VARCHAR NOT NULL,
            accuracy DOUBLE NOT NULL,
            completeness DOUBLE NOT NULL,
            reasonableness DOUBLE NOT NULL,
            rationale VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (run_id, instruction_id, evaluator, rubric_version, decoding)
        );
        INSERT INTO evaluations_keyed (run_id, instruction_id, evaluator, rubric_version, answer,
            accuracy, completeness, reasonableness, rationale, created_at)
            SELECT run_id, instruction_id, evaluator, rubric_version, answer, accuracy,
                   completeness, reasonableness, rationale, created_at FROM evaluations;
        DROP TABLE evaluations;
        ALTER TABLE evaluations_keyed RENAME TO evaluations;
        -- the ability a feedback triple was written to train (accuracy, completeness, ...)
        ALTER TABLE instructions ADD COLUMN target_dimension VARCHAR;
        -- the held-out evaluation set: drawn once, graded for every row, kept out of snapshots
        CREATE TABLE heldout_sets (
            id VARCHAR PRIMARY KEY,
            n INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            min_score DOUBLE NOT NULL,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE heldout_items (
            set_id VARCHAR NOT NULL,
            instruction_id VARCHAR NOT NULL,
            PRIMARY KEY (set_id, instruction_id)
        );
        """
    )


# Append only: a migration that has shipped is never edited, a change is a new function.
MIGRATIONS: list[Migration] = [_m001_initial, _m002_review, _m003_paper_evaluation]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet recorded in _migrations; return the numbers applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT id FROM _migrations").fetchall()}
    applied = []
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            migration(con)
            con.execute(
                "INSERT INTO _migrations (id, name) VALUES (?, ?)", [number, migration.__name__]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied


_LOCK_PID = re.compile(r"PID (\d+)")


def _holder(message: str) -> str:
    """Describe the process named in DuckDB's lock message, from /proc when we can read it."""
    match = _LOCK_PID.search(message)
    if not match:
        return "another process"
    pid = match.group(1)
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = ""
    return f"process {pid} ({cmd[:120]})" if cmd else f"process {pid}"


class Database:
    """Owns the one DuckDB connection of this process; threads take cursors from it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: statements inside commit together or not at all."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        self._con.close()


def open_database(
    path: str | Path, *, read_only: bool = False, migrate_now: bool = True
) -> Database:
    """Open (creating and migrating) the DuckDB file at path."""
    path = Path(path)
    if str(path) != ":memory:" and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseLockedError(
                f"{path} is in use by {_holder(text)}; stop that process (or the app) first, "
                "or point --db / HONEYBEE_DB at another file."
            ) from None
        raise HoneybeeError(f"Cannot open the database {path}: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise HoneybeeError(
            f"{path} is not a usable DuckDB file ({str(exc).splitlines()[0]}); "
            "move it aside or point --db at another file."
        ) from None
    if migrate_now and not read_only:
        migrate(con)
    return Database(con, str(path))
