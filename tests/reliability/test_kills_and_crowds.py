"""Nothing lost when a process dies mid-import, nothing doubled when reviewers rate at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from honeybee_core import review, transfer
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, triples, write_jsonl
from tests.review_seed import add_user


def _count(db_path: Path) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM instructions").fetchall()[0][0])
    finally:
        con.close()


def test_kill_9_during_an_import_leaves_all_or_nothing_and_a_rerun_completes(tmp_path):
    n = 40_000
    source = write_jsonl(tmp_path / "big.jsonl", triples(n, prefix="killed import"))
    db_path = tmp_path / "db.duckdb"
    open_database(db_path).close()  # created and migrated: the kill hits the import itself
    env = {**os.environ, "HONEYBEE_DB": str(db_path)}
    cmd = [sys.executable, "-m", "honeybee_core.cli", "import", str(source), "--json"]
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)  # mid-way: reading, validating or inserting
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    # one transaction: the killed import is either wholly there or not at all
    assert _count(db_path) in (0, n)
    rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _count(db_path) == n  # nothing lost, nothing twice (ids are content hashes)


def test_reviewers_rating_at_once_store_each_rating_exactly_once(tmp_path):
    database = open_database(tmp_path / "db.duckdb")
    repo = Repository(database)
    try:
        transfer.import_file(repo, write_jsonl(tmp_path / "items.jsonl", triples(30)),
                             actor=CLI_ACTOR)
        ids = sorted(repo.select_items()["id"])
        people = [add_user(repo, f"expert{k}") for k in range(8)]
        errors: list[BaseException] = []
        start = threading.Barrier(len(people))

        def rate(k: int) -> None:
            try:
                start.wait()
                for j, item in enumerate(ids):
                    score = float((k * 7 + j) % 101)
                    review.save_rating(repo, people[k], item,
                                       review.Rating(score, score, score, score, "approve"))
                # a second pass edits the same rows: still one row per (item, annotator)
                for item in ids[:5]:
                    review.save_rating(repo, people[k], item,
                                       review.Rating(1, 2, 3, 4, "reject", "second look"))
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=rate, args=(k,)) for k in range(len(people))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        rows = repo.db.cursor().execute(
            "SELECT annotator, instruction_id, count(*) FROM expert_ratings"
            " GROUP BY ALL").fetchall()
        assert len(rows) == len(people) * len(ids)
        assert {r[2] for r in rows} == {1}
        edited = repo.db.cursor().execute(
            "SELECT count(*) FROM expert_ratings WHERE comment = 'second look'"
            " AND accuracy = 1").fetchall()[0][0]
        assert edited == len(people) * 5
    finally:
        database.close()
