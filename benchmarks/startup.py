"""`honeybee stats` start-up beside a script that only imports DuckDB, in CPU time and peak RSS.

Prints one JSON object. Each command runs RUNS times in a fresh interpreter, the kinds
interleaved so machine load hits them alike; CPU (user + system) and peak RSS come from the
kernel's accounting of that one child (os.wait4). Medians are reported, and ratios ours / peer:
- peer_import_duckdb: `python -c "import duckdb"` (the issue's peer);
- peer_duckdb_stats: a script that imports duckdb, opens the same file read-only and runs the
  same counts (the same work without our code);
- ours_stats_db: `honeybee stats --db FILE`;
- ours_stats_env: `HONEYBEE_DB=FILE honeybee stats`;
- ours_stats_settings: `honeybee stats` with the file named in a .env (the settings load).
Target: ours within 2x of the peer. This script imports nothing heavy itself (it builds the
database in a child process): a child's peak RSS counts the parent it was forked from.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
PEER_STATS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute(
    "SELECT (SELECT count(*) FROM instructions), (SELECT count(DISTINCT instruction_id) FROM"
    " verifier_scores), (SELECT count(DISTINCT instruction_id) FROM expert_ratings),"
    " (SELECT count(*) FROM current_decisions WHERE decision = 'approve'),"
    " (SELECT count(*) FROM current_decisions WHERE decision = 'reject')").fetchall())
print(con.execute("SELECT stage, count(*) FROM instructions GROUP BY stage").fetchall())
"""


BUILD = """
import sys
from honeybee_core.store import open_database
database = open_database(sys.argv[1])
with database.transaction() as cur:  # 2,000 items, half of them scored
    cur.execute("INSERT INTO instructions (id, stage, instruction, output) SELECT 'it' ||"
                " i::VARCHAR, 1 + i % 3, 'question ' || i::VARCHAR, 'answer' FROM range(2000) t(i)")
    cur.execute("INSERT INTO verifier_scores (instruction_id, verifier, accuracy, relevance,"
                " completeness, reasonableness) SELECT 'it' || i::VARCHAR, 'v', 90, 90, 90, 90"
                " FROM range(2000) t(i) WHERE i % 2 = 0")
database.close()
"""


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS in MiB of one run of cmd."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {error.strip()}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "stats.duckdb"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("HONEYBEE_")}
        base_env["PYTHONPATH"] = str(ROOT)
        subprocess.run([sys.executable, "-c", BUILD, str(db)], env=base_env, check=True)
        (folder / ".env").write_text(f"HONEYBEE_DB={db}\n")
        cli = [sys.executable, "-m", "honeybee_core.cli", "stats"]
        kinds = {
            "peer_import_duckdb": ([sys.executable, "-c", "import duckdb"], base_env),
            "peer_duckdb_stats": ([sys.executable, "-c", PEER_STATS, str(db)], base_env),
            "ours_stats_db": ([*cli, "--db", str(db)], base_env),
            "ours_stats_env": (cli, {**base_env, "HONEYBEE_DB": str(db)}),
            "ours_stats_settings": (cli, base_env),  # .env in the working folder
        }
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
        for _ in range(RUNS):
            for kind, (cmd, env) in kinds.items():
                samples[kind].append(measure(cmd, env, folder))
    result: dict[str, object] = {"runs": RUNS, "load_avg_1m": round(os.getloadavg()[0], 2)}
    for kind, values in samples.items():
        result[kind] = {"cpu_s": round(statistics.median(v[0] for v in values), 3),
                        "rss_mib": round(statistics.median(v[1] for v in values), 1)}
    for ours in ("ours_stats_db", "ours_stats_env", "ours_stats_settings"):
        for peer in ("peer_import_duckdb", "peer_duckdb_stats"):
            result[f"ratio_{ours}_vs_{peer}"] = {
                key: round(result[ours][key] / result[peer][key], 2)  # type: ignore[index]
                for key in ("cpu_s", "rss_mib")}
    result["target"] = "ours within 2x of the peer (CPU and RSS)"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
