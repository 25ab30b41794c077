"""Derived tables (item_facts, item_verifier_facts, the search index) kept current by writers.

Every store method that writes items, verifier scores, ratings or decisions calls one of the
`refresh_*` functions here with the ids it touched, inside its own transaction: the derived rows
of those items change with the write and commit or roll back with it, and a read never rebuilds
a whole table. `ensure_derived` (at every read-write open) fills the tables of a database that
has none yet and rebuilds them should they ever disagree with the tables they come from.

New items are found by rowid: an insert appends to instructions, so every row past the last one
recorded in item_rows is new, whoever wrote it. Each item gets a number (item_facts.no, the key
of the postings) at once, and its rowid in item_rows once the insert has committed (`settle`;
inside a transaction DuckDB gives new rows provisional rowids).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from honeybee_core.domain import DIMENSIONS
from honeybee_core.store.database import Cursor

# A list this short is refreshed item by item through the indexes; longer ones in one join.
POINT_LIMIT = 16
# Postings of recent inserts stay unsorted up to this many; then they become a sorted run.
RECENT_LIMIT = 2_000_000
# Past this many sorted runs the whole posting table is sorted again (lookups read one place).
MAX_RUNS = 8

_SCORES = DIMENSIONS
log = logging.getLogger(__name__)


def _vmean(term: str) -> str:
    """The verifier mean as SQL, each score written as term.format(column)."""
    return "(" + " + ".join(term.format(c) for c in _SCORES) + ") / 4"


_MEANS = ", ".join(f"avg({c}) AS {c}" for c in _SCORES) + ", " + _vmean("avg({})") + " AS vmean"
_EXPERT = ("count(*) FILTER (WHERE verdict IS DISTINCT FROM 'skip') AS n_ratings,"
           " avg((accuracy + relevance + completeness + reasonableness) / 4)"
           " FILTER (WHERE verdict IS DISTINCT FROM 'skip') AS expert_mean")


# -- changes ------------------------------------------------------------------------------------
FAMILIES = ("items", "scores", "ratings", "decisions")
_changes = dict.fromkeys(FAMILIES, 0)  # moves with every write to the family in this process
_touched = threading.local()  # families this thread's open transaction wrote
_counting = threading.Lock()  # several threads write: no count may be lost


def changed(family: str) -> None:
    """Note that a family's data changed (the writers here call this, before their commit and
    again after it; a writer of these tables that bypasses the store must call it too)."""
    with _counting:
        _changes[family] += 1
    if not hasattr(_touched, "families"):
        _touched.families = set()
    _touched.families.add(family)


def change_counts() -> dict[str, int]:
    return dict(_changes)


def _after_transaction() -> None:
    with _counting:
        for family in getattr(_touched, "families", ()):
            _changes[family] += 1  # what was read before the commit is stale now
    _touched.families = set()


# -- items --------------------------------------------------------------------------------------
_pending = threading.local()  # this thread's transaction added items: settle after its commit


def _last_row(cur: Cursor) -> tuple[int, int]:
    """(no, rid) of the last item whose rowid is recorded, or (0, -1)."""
    row = cur.execute("SELECT max(no), max(rid) FROM item_rows").fetchall()[0]
    return (row[0] or 0, -1 if row[1] is None else row[1])


def refresh_new_items(cur: Cursor) -> int:
    """Add fact rows and postings for every instructions row past the last recorded one."""
    changed("items")
    settle(cur)  # rows committed before this transaction get their rowids first
    last_no, last_rid = _last_row(cur)
    next_no = cur.execute("SELECT coalesce(max(no), 0) + 1 FROM item_facts").fetchall()[0][0]
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _new_items AS SELECT ? - 1 + row_number() OVER"
        " (ORDER BY i.rowid) AS no, i.id, i.stage, i.topic, i.task_type, i.source, i.created_at,"
        " i.instruction || ' ' || i.input || ' ' || i.output AS text FROM instructions i"
        " WHERE i.rowid > ? AND i.id NOT IN (SELECT id FROM item_facts WHERE no > ?)",
        [next_no, last_rid, last_no])  # not the items an earlier call of this transaction added
    added = cur.execute(
        "INSERT INTO item_facts (id, no, stage, topic, task_type, source, created_at)"
        " SELECT id, no, stage, topic, task_type, source, created_at FROM _new_items"
        " ORDER BY no ON CONFLICT DO NOTHING").fetchall()[0][0]
    if added:
        _pending.items = True
        _index_text(cur)
        ids = [r[0] for r in cur.execute("SELECT id FROM _new_items").fetchall()]
        refresh_scores(cur, ids)  # scores may have come in before the item (an import of both)
        refresh_ratings(cur, ids)
        refresh_decisions(cur, ids)
    cur.execute("DROP TABLE _new_items")
    return int(added)


def settle(cur: Cursor) -> None:
    """Record the rowids of committed items that have none recorded yet (cheap when none)."""
    last_no, last_rid = _last_row(cur)
    cur.execute(
        "INSERT INTO item_rows SELECT f.no, i.rowid FROM (SELECT rowid, id FROM instructions"
        " WHERE rowid > ? AND rowid < ?) i JOIN (SELECT no, id FROM item_facts WHERE no > ?) f"
        " USING (id) ORDER BY f.no", [last_rid, PROVISIONAL, last_no]).fetchall()


def settle_after_commit(cur: Cursor) -> None:
    """After a commit: settle the items that transaction added, if it added any."""
    _after_transaction()
    if getattr(_pending, "items", False):
        _pending.items = False
        settle(cur)


def forget_pending() -> None:
    """After a rollback: nothing the transaction added exists."""
    _after_transaction()
    _pending.items = False


# Rowids at least this large are DuckDB's provisional ones for rows not yet committed.
PROVISIONAL = 2**54


def _index_text(cur: Cursor) -> None:
    """Postings for the items in _new_items: a big batch as a sorted run of its own."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _new_tokens AS SELECT DISTINCT no,"
        " unnest(search_tokens(text)) AS token FROM _new_items")
    cur.execute("INSERT INTO search_vocab (token) SELECT DISTINCT token FROM _new_tokens"
                " ON CONFLICT DO NOTHING")
    n = cur.execute("SELECT count(*) FROM _new_tokens").fetchall()[0][0]
    target = "search_postings" if n >= RECENT_LIMIT else "search_recent"
    cur.execute("INSERT INTO " + target + " SELECT v.token_no, t.no FROM _new_tokens t"  # fixed
                " JOIN search_vocab v ON v.token = t.token ORDER BY v.token_no, t.no")
    cur.execute("DROP TABLE _new_tokens")
    if target == "search_postings":
        _count_run(cur)
    elif cur.execute("SELECT count(*) FROM search_recent").fetchall()[0][0] >= RECENT_LIMIT:
        cur.execute("INSERT INTO search_postings SELECT * FROM search_recent"
                    " ORDER BY token_no, no")
        cur.execute("DELETE FROM search_recent")
        _count_run(cur)


def _count_run(cur: Cursor) -> None:
    """One more sorted run; too many and the posting table is sorted as a whole again."""
    runs = cur.execute("UPDATE search_runs SET runs = runs + 1 RETURNING runs").fetchall()[0][0]
    if runs > MAX_RUNS:
        cur.execute("CREATE OR REPLACE TABLE search_postings AS SELECT * FROM search_postings"
                    " ORDER BY token_no, no")
        cur.execute("UPDATE search_runs SET runs = 1")


# -- scores, ratings, decisions ------------------------------------------------------------------
def refresh_scores(cur: Cursor, ids: Sequence[str]) -> None:
    """Verifier means of these items: per verifier its newest rubric's scores
    (item_verifier_facts), and their average over verifiers (item_facts), as scored_items has it."""
    changed("scores")
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    if len(ids) <= POINT_LIMIT:  # index lookups; one join would read the whole tables
        for item in ids:
            _upsert_verifier_facts(cur, "WHERE instruction_id = ?", [item])
            cur.execute(
                _SET_SCORES + " FROM (SELECT " + _MEANS + " FROM item_verifier_facts"
                " WHERE instruction_id = ?) s WHERE item_facts.id = ?", [item, item]).fetchall()
        return
    _upsert_verifier_facts(cur, "WHERE instruction_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    cur.execute(
        _SET_SCORES + " FROM (SELECT instruction_id, " + _MEANS + " FROM item_verifier_facts"
        " WHERE instruction_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY instruction_id) s"
        " WHERE item_facts.id = s.instruction_id", [ids]).fetchall()


_SET_SCORES = ("UPDATE item_facts SET accuracy = s.accuracy, relevance = s.relevance,"
               " completeness = s.completeness, reasonableness = s.reasonableness,"
               " verifier_mean = s.vmean")
# a verifier's newest rubric: arg_max by (created_at, rubric_version), as store.explore has it
_LATEST = ("SELECT instruction_id, verifier, arg_max({'a': accuracy, 'r': relevance,"
           " 'c': completeness, 'q': reasonableness}, (created_at, rubric_version)) AS s"
           " FROM verifier_scores ")


def _upsert_verifier_facts(cur: Cursor, where: str, params: list) -> None:
    """Per (item, verifier) scores of the newest rubric, from the score rows that match where
    (a fixed clause)."""
    cur.execute(
        "INSERT INTO item_verifier_facts SELECT instruction_id, verifier, s.a, s.r, s.c, s.q,"
        " (s.a + s.r + s.c + s.q) / 4 FROM (" + _LATEST + where
        + " GROUP BY instruction_id, verifier)"
        " ON CONFLICT DO UPDATE SET accuracy = excluded.accuracy,"
        " relevance = excluded.relevance, completeness = excluded.completeness,"
        " reasonableness = excluded.reasonableness, verifier_mean = excluded.verifier_mean",
        params).fetchall()


def refresh_ratings(cur: Cursor, ids: Sequence[str], annotators: Sequence[str] = ()) -> None:
    """n_ratings and expert_mean of these items, from their ratings (skips do not count), and
    the change count of the annotators whose ratings these were."""
    changed("ratings")
    for name in dict.fromkeys(annotators):
        cur.execute("INSERT INTO annotator_activity VALUES (?, 1) ON CONFLICT DO UPDATE"
                    " SET changes = annotator_activity.changes + 1", [name]).fetchall()
    ids = list(dict.fromkeys(ids))
    if len(ids) <= POINT_LIMIT:
        for item in ids:
            cur.execute(
                "UPDATE item_facts SET n_ratings = s.n_ratings, expert_mean = s.expert_mean"
                " FROM (SELECT " + _EXPERT + " FROM expert_ratings WHERE instruction_id = ?) s"
                " WHERE item_facts.id = ?", [item, item]).fetchall()
        return
    cur.execute(
        "UPDATE item_facts SET n_ratings = coalesce(s.n_ratings, 0), expert_mean = s.expert_mean"
        " FROM (SELECT u.id, r.n_ratings, r.expert_mean FROM (SELECT unnest(?::VARCHAR[]) AS id) u"
        " LEFT JOIN (SELECT instruction_id, " + _EXPERT + " FROM expert_ratings"
        " WHERE instruction_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY instruction_id) r"
        " ON r.instruction_id = u.id) s WHERE item_facts.id = s.id", [ids, ids]).fetchall()


def refresh_decisions(cur: Cursor, ids: Sequence[str]) -> None:
    """The decision in force (the latest) on these items."""
    changed("decisions")
    ids = list(dict.fromkeys(ids))
    if len(ids) <= POINT_LIMIT:
        for item in ids:
            cur.execute(
                "UPDATE item_facts SET decision = coalesce((SELECT arg_max(decision, id)"
                " FROM decisions WHERE instruction_id = ?), 'undecided') WHERE id = ?",
                [item, item]).fetchall()
        return
    cur.execute(
        "UPDATE item_facts SET decision = coalesce(d.decision, 'undecided')"
        " FROM (SELECT u.id, d.decision FROM (SELECT unnest(?::VARCHAR[]) AS id) u"
        " LEFT JOIN (SELECT instruction_id, arg_max(decision, id) AS decision FROM decisions"
        " WHERE instruction_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY instruction_id) d"
        " ON d.instruction_id = u.id) d WHERE item_facts.id = d.id", [ids, ids]).fetchall()


def last_decision(cur: Cursor) -> int:
    """The id of the newest decision (0: none): a bulk INSERT ... SELECT notes it first."""
    return int(cur.execute("SELECT coalesce(max(id), 0) FROM decisions").fetchall()[0][0])


def refresh_decisions_since(cur: Cursor, last_id: int) -> None:
    """The decision in force on every item decided after decision last_id (a bulk decision
    written by one INSERT ... SELECT: its ids never cross into Python)."""
    changed("decisions")
    cur.execute(
        "UPDATE item_facts SET decision = d.decision FROM (SELECT instruction_id,"
        " arg_max(decision, id) AS decision FROM decisions WHERE instruction_id IN"
        " (SELECT instruction_id FROM decisions WHERE id > ?) GROUP BY instruction_id) d"
        " WHERE item_facts.id = d.instruction_id", [last_id]).fetchall()


# -- whole tables --------------------------------------------------------------------------------
def in_step(cur: Cursor) -> bool:
    """Whether the derived tables cover exactly the items, with their rowids (checked at the
    newest rows: a rowid that moved would move those)."""
    settle(cur)
    counts = cur.execute(
        "SELECT (SELECT count(*) FROM instructions), (SELECT count(*) FROM item_facts),"
        " (SELECT count(*) FROM item_rows)").fetchall()[0]
    if len(set(counts)) != 1:
        return False
    if not counts[0]:
        return True
    tail = cur.execute(
        "SELECT r.rid, f.id FROM (SELECT no, rid FROM item_rows ORDER BY no DESC LIMIT 64) r"
        " JOIN item_facts f USING (no)").fetchall()
    found = cur.execute("SELECT rowid, id FROM instructions WHERE rowid = ANY(?)",
                        [[rid for rid, _ in tail]]).fetchall()
    return {tuple(r) for r in found} == {tuple(r) for r in tail}


def rebuild(cur: Cursor) -> None:
    """Fill every derived table again from the tables they come from (in cur's transaction)."""
    for table in ("item_facts", "item_rows", "item_verifier_facts", "search_postings",
                  "search_recent", "search_vocab", "annotator_activity"):
        cur.execute("DELETE FROM " + table)  # names from this fixed list
    cur.execute("UPDATE search_runs SET runs = 0")
    _upsert_verifier_facts(cur, "", [])
    cur.execute(
        "INSERT INTO item_facts SELECT i.id, row_number() OVER (ORDER BY i.rowid), i.stage,"
        " i.topic, i.task_type, i.source, i.created_at, v.accuracy, v.relevance,"
        " v.completeness, v.reasonableness, v.vmean, coalesce(r.n_ratings, 0), r.expert_mean,"
        " coalesce(d.decision, 'undecided') FROM instructions i LEFT JOIN (SELECT"
        " instruction_id, " + _MEANS + " FROM verifier_scores GROUP BY instruction_id) v"
        " ON v.instruction_id = i.id"
        " LEFT JOIN (SELECT instruction_id, " + _EXPERT + " FROM expert_ratings"
        " GROUP BY instruction_id) r ON r.instruction_id = i.id"
        " LEFT JOIN (SELECT instruction_id, arg_max(decision, id) AS decision FROM decisions"
        " GROUP BY instruction_id) d ON d.instruction_id = i.id ORDER BY i.rowid")
    cur.execute("INSERT INTO item_rows SELECT f.no, i.rowid FROM instructions i"
                " JOIN item_facts f USING (id) ORDER BY f.no")
    cur.execute("INSERT INTO annotator_activity SELECT annotator, count(*) FROM expert_ratings"
                " GROUP BY annotator")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _new_tokens AS SELECT DISTINCT f.no,"
        " unnest(search_tokens(i.instruction || ' ' || i.input || ' ' || i.output)) AS token"
        " FROM instructions i JOIN item_facts f USING (id)")
    cur.execute("INSERT INTO search_vocab (token) SELECT DISTINCT token FROM _new_tokens"
                " ORDER BY token")
    cur.execute("INSERT INTO search_postings SELECT v.token_no, t.no FROM _new_tokens t"
                " JOIN search_vocab v ON v.token = t.token ORDER BY v.token_no, t.no")
    cur.execute("DROP TABLE _new_tokens")
    cur.execute("UPDATE search_runs SET runs = 1")


def ensure_derived(cur: Cursor) -> bool:
    """Rebuild the derived tables when they do not match the items; True when it did."""
    if in_step(cur):
        return False
    items = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
    if items:  # a database from before these tables, or one changed behind the store's back
        log.warning("Building Explore's tables and the search index for %s items, once; at a "
                    "million items this takes minutes.", f"{items:,}")
    cur.execute("BEGIN TRANSACTION")
    try:
        rebuild(cur)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return True
