"""Queries of the review queue: the stratified audit order (all of it, or just its head) over
item_facts, a reviewer's queue over an order, and the reviewer's ratings that the queue leaves
out.

The audit order: strata are equal-width bands of the verifier's mean over the filtered items
(unscored items form one more band); an item's turn is its place in a per-seed shuffle of its
band (by a hash of the item's number and the seed: integers hash some 40x faster than ids); the
order is by turn, then band: round-robin across the bands. It does not depend on anyone's
ratings, so rating an item never reorders the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import ItemWhere
from honeybee_core.store.base import Tables, registered
from honeybee_core.store.explore import facts_source, item_clauses

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import pandas as pd
    import pyarrow as pa


_SHUFFLE = "hash(xor(no::UBIGINT, hash(?::VARCHAR)))"  # an item's place in the seed's shuffle


def _pool(where: ItemWhere) -> tuple[str, list[Any]]:
    """`WITH pool AS (...), bounds AS (...), ranked AS (...)`: the filtered items (id, vmean,
    stratum); strata come as parameters after these."""
    source, params = facts_source(where.verifier)
    clauses, more = item_clauses(where, "s")
    return (
        "WITH pool AS (SELECT s.id, s.no, s.verifier_mean AS vmean FROM (" + source + ") s"
        + (" WHERE " + " AND ".join(clauses) if clauses else "") + "),"
        " bounds AS (SELECT min(vmean) AS lo, max(vmean) AS hi FROM pool),"
        " ranked AS (SELECT p.id, p.no, p.vmean, CASE WHEN p.vmean IS NULL THEN ?"
        " WHEN b.hi = b.lo THEN 0 ELSE least(? - 1,"
        " floor((p.vmean - b.lo) / (b.hi - b.lo) * ?))::INTEGER END AS stratum"
        " FROM pool p, bounds b)", [*params, *more])


class QueueQueries(Tables):
    """The audit order, its head, a reviewer's queue and the reviewer's ratings."""

    def review_order(self, seed: str, where: ItemWhere, n_strata: int) -> pa.Table:
        """Every filtered item in audit order: id, stratum, verifier_mean, pos (0, 1, ...)."""
        cte, params = _pool(where)
        return self.db.cursor().sql(  # .sql: Arrow straight from the result, no extra copy
            cte + ", turns AS (SELECT id, stratum, vmean, row_number() OVER"
            " (PARTITION BY stratum ORDER BY " + _SHUFFLE + ", id) AS turn FROM ranked)"
            " SELECT id, stratum, vmean AS verifier_mean,"
            " (row_number() OVER (ORDER BY turn, stratum, id) - 1)::BIGINT AS pos FROM turns"
            " ORDER BY pos",
            params=[*params, n_strata, n_strata, n_strata, seed],
        ).to_arrow_table()

    def audit_head(self, seed: str, where: ItemWhere, n_strata: int,
                   turns: int) -> tuple[pa.Table, int]:
        """The head of the audit order, exactly as review_order would start it: every item
        whose turn in its band is at most turns (so the first bands x turns positions), and the
        number of filtered items. It reads each item's hash once and sorts only a few per band:
        a band's first turns items are among those whose hash lies below a cut sized for it."""
        cte, params = _pool(where)
        cut = 3.0
        cur = self.db.cursor()
        while True:
            head = cur.sql(
                cte + ", hashed AS (SELECT id, vmean, stratum, " + _SHUFFLE + " AS h FROM ranked),"
                " sizes AS (SELECT stratum, count(*) AS n FROM hashed GROUP BY stratum),"
                " cand AS (SELECT h.* FROM hashed h JOIN sizes z USING (stratum)"
                " WHERE h.h::DOUBLE < 18446744073709551616.0 * least(1.0, ? * ? / z.n)),"
                " turns AS (SELECT *, row_number() OVER (PARTITION BY stratum ORDER BY h, id)"
                " AS turn, count(*) OVER (PARTITION BY stratum) AS got FROM cand)"
                " SELECT t.id, t.stratum, t.vmean AS verifier_mean, t.got, z.n,"
                " (SELECT count(*) FROM sizes) AS bands, (SELECT sum(n) FROM sizes) AS total"
                " FROM turns t JOIN sizes z USING (stratum) WHERE t.turn <= ?"
                " ORDER BY t.turn, t.stratum, t.id",
                params=[*params, n_strata, n_strata, n_strata, seed, cut, turns, turns],
            ).to_arrow_table()
            if not head.num_rows:
                total = cur.execute(cte + " SELECT count(*) FROM pool",
                                    [*params, n_strata, n_strata, n_strata]).fetchall()[0][0]
                if not total:
                    return head.select(["id", "stratum", "verifier_mean"]), 0
            else:
                total = head.column("total")[0].as_py()
                bands = {}
                for stratum, got, n in zip(*(head.column(c).to_pylist()
                                             for c in ("stratum", "got", "n")), strict=True):
                    bands[stratum] = got >= min(turns, n)
                if len(bands) == head.column("bands")[0].as_py() and all(bands.values()):
                    return head.select(["id", "stratum", "verifier_mean"]), int(total)
            cut *= 4  # a band with too few items below its cut (rare): widen the cuts

    def review_queue(
        self, annotator: str, order: pa.Table, offset: int, limit: int
    ) -> tuple[pd.DataFrame, int, int]:
        """The annotator's queue over an audit order: rows (id, stratum, verifier_mean, skipped)
        from offset, the queue length, and how many items of the order they have rated.

        Unrated items keep the audit order; items they skipped follow, oldest skip first.
        """
        cur = self.db.cursor()
        with registered(cur, order) as view:
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

    def ratings_since(self, annotator: str, since_us: int | None) -> dict[str, Any]:
        """The annotator's ratings changed at or after since_us (microseconds since the epoch;
        all of them without): arrays item, skip, at_us. Recent rows sit in the last row groups,
        so a later look is cheap."""
        found = self.db.cursor().execute(
            "SELECT instruction_id AS item, coalesce(verdict = 'skip', false) AS skip,"
            " epoch_us(updated_at) AS at_us FROM expert_ratings WHERE annotator = ?"
            " AND (?::BIGINT IS NULL OR updated_at >= make_timestamp(?::BIGINT))",
            [annotator, since_us, since_us]).fetchnumpy()
        return {key: found[key] for key in ("item", "skip", "at_us")}

    def annotator_changes(self, annotator: str) -> int:
        """How often the annotator's ratings have changed (0: never rated)."""
        rows = self.db.cursor().execute(
            "SELECT changes FROM annotator_activity WHERE annotator = ?", [annotator]).fetchall()
        return int(rows[0][0]) if rows else 0

    def in_pool(self, where: ItemWhere, ids: list[str]) -> set[str]:
        """Those of ids that are in the filtered pool (a few ids: index lookups)."""
        source, params = facts_source(where.verifier)
        clauses, more = item_clauses(where, "s")
        sql = ("SELECT s.id FROM (" + source + ") s WHERE " + " AND ".join(["s.id = ?",
                                                                             *clauses]))
        cur = self.db.cursor()
        return {row[0] for item in ids for row in cur.execute(
            sql, [*params, item, *more]).fetchall()}

    def rated_in_pool(self, where: ItemWhere, rated: pa.Table) -> tuple[int, int]:
        """Of the items in rated (id, skip), how many are in the filtered pool: (all, skips)."""
        source, params = facts_source(where.verifier)
        clauses, more = item_clauses(where, "s")
        cur = self.db.cursor()
        with registered(cur, rated) as view:
            row = cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE r.skip) FROM " + view + " r JOIN ("
                + source + ") s ON s.id = r.id"
                + (" WHERE " + " AND ".join(clauses) if clauses else ""),
                [*params, *more]).fetchall()[0]
        return int(row[0]), int(row[1])
