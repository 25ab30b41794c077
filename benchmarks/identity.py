"""What identity costs a page run, beside the tab-only identity it replaced.

Prints one JSON object. On a database with 200 people and 5,000 sessions (a busy lab's week):
- ours: a page run's identity work now: resume the cookie's session (token hash -> session ->
  person) plus one `require` (the role re-read from the database);
- baseline: what a page run did before: look the tab's name up, then trust the Actor's role;
p50 / p95 in milliseconds over RUNS runs, and the ratio. Also the cost of one password sign-in
(argon2id verify plus the throttle check), which only a sign-in pays.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from honeybee_core import auth, people, sessions, signin  # noqa: E402
from honeybee_core.store import Repository, open_database  # noqa: E402

N_PEOPLE, N_SESSIONS, RUNS = 200, 5_000, 300


def timed(action, runs: int = RUNS) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 3),
            "p95_ms": round(float(np.percentile(times, 95)), 3)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = open_database(Path(tmp) / "identity.duckdb")
        repo = Repository(database)
        for i in range(N_PEOPLE):
            people.add_person(repo, auth.CLI_ACTOR, f"person{i:03d}", "reviewer")
        people.reset_password(repo, auth.CLI_ACTOR, "person000", "a long password")
        erin = auth.get_user(repo, "person000")
        tokens = [sessions.redeem(repo, sessions.start(repo, erin, "password",
                                                       timedelta(hours=12)))
                  for _ in range(N_SESSIONS // 100)]
        for i in range(N_SESSIONS - len(tokens)):  # other people's sessions fill the table
            sessions.start(repo, auth.get_user(repo, f"person{1 + i % (N_PEOPLE - 1):03d}"),
                           "password", timedelta(hours=12))
        token = tokens[-1]

        def ours() -> None:
            auth.require(sessions.resume(repo, token), "rate")

        def baseline() -> None:
            actor = auth.lookup(repo, "person000")
            assert actor.can("rate")  # the role the Actor carries, trusted

        page_ours, page_base = timed(ours), timed(baseline)
        sign_in = timed(lambda: signin.sign_in(repo, "password", "person000", "a long password",
                                               address="10.0.0.1"), runs=20)
        database.close()
    print(json.dumps({
        "people": N_PEOPLE, "sessions": N_SESSIONS, "runs": RUNS,
        "page_identity_ours": page_ours, "page_identity_baseline": page_base,
        "ratio_p50": round(page_ours["p50_ms"] / page_base["p50_ms"], 2),
        "password_sign_in": sign_in,
    }))


if __name__ == "__main__":
    main()
