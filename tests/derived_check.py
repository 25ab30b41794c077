"""Whether the derived tables (item_facts, item_verifier_facts, item_rows, the search index) of
a database equal a rebuild from the tables they come from: every test's `repo` is checked at
its end, so a writer anywhere that forgets to refresh its items' derived rows fails the test
that wrote through it."""

from __future__ import annotations

from typing import Any

from honeybee_core.store import Repository, derived


def _rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def derived_rows(repo: Repository) -> dict[str, Any]:
    cur = repo.db.cursor()
    return {
        "item_facts": _rounded(cur.execute("SELECT * FROM item_facts ORDER BY id").fetchall()),
        "item_verifier_facts": _rounded(cur.execute(
            "SELECT * FROM item_verifier_facts ORDER BY ALL").fetchall()),
        "item_rows": cur.execute("SELECT no, rid FROM item_rows ORDER BY no").fetchall(),
        "postings": cur.execute(
            "SELECT v.token, p.no FROM (SELECT * FROM search_postings UNION ALL"
            " SELECT * FROM search_recent) p JOIN search_vocab v USING (token_no)"
            " ORDER BY ALL").fetchall(),
        "annotators": cur.execute(  # counts of changes differ from a rebuild's row counts
            "SELECT annotator FROM annotator_activity ORDER BY 1").fetchall(),
    }


def derived_drift(repo: Repository) -> list[str]:
    """Names of the derived tables that differ from a rebuild (nothing is changed)."""
    cur = repo.db.cursor()
    derived.settle(cur)
    kept = derived_rows(repo)
    cur.execute("BEGIN TRANSACTION")
    try:
        derived.rebuild(cur)
        fresh = derived_rows(repo)
    finally:
        cur.execute("ROLLBACK")
    drift = [name for name in kept if name != "annotators" and kept[name] != fresh[name]]
    if not set(fresh["annotators"]) <= set(kept["annotators"]):
        drift.append("annotator_activity")
    return drift
