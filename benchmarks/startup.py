"""Start-up, each beside its peer in the same run: `honeybee stats` beside scripts that only use
DuckDB, and the first run of app.py beside a hello-world Streamlit app.

    python benchmarks/startup.py            # both parts, RUNS of each
    python benchmarks/startup.py --runs 5 --part cli

Prints one JSON object. Every command runs in a fresh interpreter, the kinds interleaved so
machine load hits them alike; CPU (user + system) and peak RSS come from the kernel's accounting
of that one child (os.wait4), wall time from this process. Medians are reported, and ratios
ours / peer (target: within 2x).
CLI part, on a database of 2,000 items (half of them scored):
- peer_import_duckdb: `python -c "import duckdb"`;
- peer_duckdb_stats: imports duckdb, opens the same file read-only and runs stats' two queries
  (the same work without our code);
- ours_stats_db: `honeybee stats --db FILE`; ours_stats_env: `HONEYBEE_DB=FILE honeybee stats`;
  ours_stats_settings: `honeybee stats` with the file named in a .env (loads the settings).
App part, on the same database (HONEYBEE_AUTH=none, so the first page is Home):
- peer_hello_streamlit: a fresh interpreter that runs `AppTest.from_file(hello.py).run()`, where
  hello.py is `st.title("Hello world")`;
- peer_hello_dataframe: hello.py plus one st.dataframe of one row (what any page with a table
  costs: Streamlit loads pandas, numpy and pyarrow for it), the floor for a first page with tables;
- ours_app_first_run: the same for app.py (Streamlit's own start-up is in both; the child
  checks that the page rendered without an exception).
This script imports nothing heavy itself (it builds the database in a child process): a child's
peak RSS counts the parent it was forked from.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
HELLO = 'import streamlit as st\n\nst.title("Hello world")\n'
HELLO_TABLE = HELLO + 'st.dataframe([{"stage": 1, "items": 2}])\n'
FIRST_RUN = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300).run()
assert not at.exception, [e.message for e in at.exception]
assert at.title and at.title[0].value == sys.argv[2], [t.value for t in at.title]
"""


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """CPU seconds (user + system), peak RSS in MiB and wall seconds of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {error.strip()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall


def kinds(folder: Path, db: Path, env: dict[str, str], part: str) -> dict[str, tuple]:
    py = sys.executable
    cli = [py, "-m", "honeybee_core.cli", "stats"]
    out: dict[str, tuple] = {}
    if part in ("cli", "all"):
        out |= {
            "peer_import_duckdb": ([py, "-c", "import duckdb"], env),
            "peer_duckdb_stats": ([py, "-c", PEER_STATS, str(db)], env),
            "ours_stats_db": ([*cli, "--db", str(db)], env),
            "ours_stats_env": (cli, {**env, "HONEYBEE_DB": str(db)}),
            "ours_stats_settings": (cli, env),  # .env in the working folder
        }
    if part in ("app", "all"):
        hello = folder / "hello.py"
        hello.write_text(HELLO)
        (folder / "hello_table.py").write_text(HELLO_TABLE)
        app_env = {**env, "HONEYBEE_DB": str(db), "HONEYBEE_AUTH": "none"}
        out |= {
            "peer_hello_streamlit": ([py, "-c", FIRST_RUN, str(hello), "Hello world"], env),
            "peer_hello_dataframe": ([py, "-c", FIRST_RUN, str(folder / "hello_table.py"),
                                      "Hello world"], env),
            "ours_app_first_run": ([py, "-c", FIRST_RUN, str(ROOT / "app.py"),
                                    "🐝 HoneyBee Studio"], app_env),
        }
    return out


RATIOS = {
    "ours_stats_db": ("peer_duckdb_stats", "peer_import_duckdb"),
    "ours_stats_env": ("peer_duckdb_stats", "peer_import_duckdb"),
    "ours_stats_settings": ("peer_duckdb_stats", "peer_import_duckdb"),
    "ours_app_first_run": ("peer_hello_streamlit", "peer_hello_dataframe"),
    "peer_hello_dataframe": ("peer_hello_streamlit",),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--part", choices=("cli", "app", "all"), default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "stats.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HONEYBEE_")}
        env["PYTHONPATH"] = str(ROOT)
        subprocess.run([sys.executable, "-c", BUILD, str(db)], env=env, check=True)
        (folder / ".env").write_text(f"HONEYBEE_DB={db}\n")
        todo = kinds(folder, db, env, args.part)
        samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in todo}
        for _ in range(args.runs):
            for kind, (cmd, kind_env) in todo.items():
                samples[kind].append(measure(cmd, kind_env, folder))
    result: dict[str, object] = {"runs": args.runs, "load_avg_1m": round(os.getloadavg()[0], 2),
                                 "cpus": os.cpu_count()}
    for kind, values in samples.items():
        result[kind] = {"cpu_s": round(statistics.median(v[0] for v in values), 3),
                        "rss_mib": round(statistics.median(v[1] for v in values), 1),
                        "wall_s": round(statistics.median(v[2] for v in values), 3)}
    for ours, peers in RATIOS.items():
        for peer in peers:
            if ours in result and peer in result:
                result[f"ratio_{ours}_vs_{peer}"] = {
                    key: round(result[ours][key] / result[peer][key], 2)  # type: ignore[index]
                    for key in ("cpu_s", "rss_mib", "wall_s")}
    result["target"] = ("honeybee stats within 2x of peer_duckdb_stats (CPU and RSS); app.py's "
                        "first run within 2x of peer_hello_streamlit")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
