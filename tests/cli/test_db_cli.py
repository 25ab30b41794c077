"""Migrations, the lock message and the command-line contract, through real processes."""

from __future__ import annotations

import json
import subprocess
import sys

from honeybee_core.store import MIGRATIONS, migrate, open_database
from tests.conftest import ROOT, run_cli, triples, write_jsonl


def test_migrations_apply_once(db_path):
    database = open_database(db_path)
    cur = database.cursor()
    assert [r[0] for r in cur.execute("SELECT id FROM _migrations").fetchall()] == list(
        range(1, len(MIGRATIONS) + 1))
    assert migrate(cur) == []  # a second run applies nothing
    tables = {r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}
    for name in ("instructions", "verifier_scores", "expert_ratings", "decisions", "annotators",
                 "snapshots", "snapshot_items", "jobs", "training_runs", "training_metrics",
                 "evaluations", "llm_calls", "current_decisions"):
        assert name in tables
    database.close()


def test_second_process_gets_one_line_naming_the_holder(db_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from honeybee_core.store import open_database;"
         f"db = open_database({str(db_path)!r}); print('ready', flush=True); time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run_cli("stats", "--json", db=db_path)
        assert result.returncode != 0
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"process {holder.pid}" in lines[0] and "stop that process" in lines[0]
    finally:
        holder.kill()
        holder.wait()


def test_cli_import_stats_export(db_path, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", triples(6))
    first = run_cli("import", str(src), "--json", db=db_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["new_items"] == 6
    again = json.loads(run_cli("import", str(src), "--json", db=db_path).stdout)
    assert again["new_items"] == 0 and again["existing_items"] == 6
    stats = json.loads(run_cli("stats", "--json", db=db_path).stdout)
    assert stats == {"instructions": 6, "verifier_scored": 0, "expert_rated": 0, "approved": 0,
                     "rejected": 0, "by_stage": {"1": 6}}
    out = tmp_path / "out.json"
    exported = run_cli("export", str(out), "--format", "alpaca", "--json", db=db_path)
    assert json.loads(exported.stdout)["items"] == 6
    assert len(json.loads(out.read_text())) == 6


def test_cli_bad_file_exits_nonzero_with_one_line(db_path, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "a"}\n')
    result = run_cli("import", str(bad), "--json", db=db_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: bad.jsonl: record 1, field 'output': is missing; every record needs it."]
