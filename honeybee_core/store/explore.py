"""Item queries of the review queue and the explore table: filtered, ordered and paged in
DuckDB over instructions, verifier scores, ratings and decisions."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from honeybee_core.domain import DIMENSIONS, ExploreQuery, ItemWhere
from honeybee_core.store.base import registered
from honeybee_core.store.search import SearchQueries, item_rows

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import numpy as np
    import pandas as pd
    import pyarrow as pa

SUMMARY_COLUMNS = ("id", "stage", "topic", "task_type", "source", *DIMENSIONS, "verifier_mean",
                   "n_ratings", "expert_mean", "decision", "created_at")
PAGE_COLUMNS = ("id", "stage", "topic", "task_type", "source", "instruction", *DIMENSIONS,
                "verifier_mean", "n_ratings", "expert_mean", "decision", "created_at")


class ExploreQueries(SearchQueries):
    """The audit order and queue of review, the item summary and pages of explore."""

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

    def item_summary(self, verifier: str | None) -> pa.Table:
        """One row per item (only items the verifier scored, when one is named): the columns
        the explore table filters and sorts on, read from item_facts (kept current by writers)."""
        source, params = _facts(verifier)
        return self.db.cursor().sql(
            "SELECT " + ", ".join(SUMMARY_COLUMNS) + " FROM (" + source + ") ORDER BY no",
            params=params).to_arrow_table()

    def explore_order(self, query: ExploreQuery, nos: np.ndarray | None,
                      limit: int | None = None) -> tuple[np.ndarray, int]:
        """Numbers (item_facts.no) of the items matching query's filters, in its sort order, and
        how many match. nos: the search's matches (None: no search). With limit, only the
        first limit of them (a top-N, cheaper than sorting all). Sort and range names go into
        SQL as they are: ExploreQuery checked them when made."""
        import numpy as np

        source, params = _facts(query.where.verifier)
        clauses, more = _item_clauses(query.where, "s")
        params += more
        for column, (low, high) in query.ranges.items():
            clauses.append("s." + column + " BETWEEN ? AND ?")  # names from RANGE_COLUMNS
            params += [low, high]
        if query.rated is not None:
            clauses.append("s.n_ratings > 0" if query.rated else "s.n_ratings = 0")
        if query.decision is not None:
            clauses.append("s.decision = ?")
            params.append(query.decision)
        cur = self.db.cursor()
        with contextlib.ExitStack() as stack:
            if nos is not None:
                view = stack.enter_context(registered(cur, _no_table(nos)))
                clauses.append("s.no IN (SELECT no FROM " + view + ")")
            body = ("FROM (" + source + ") s"
                    + (" WHERE " + " AND ".join(clauses) if clauses else ""))
            order = (" ORDER BY s." + query.sort + (" DESC" if query.descending else " ASC")
                     + " NULLS LAST, s.id")
            if limit is None:
                found = cur.execute("SELECT s.no " + body + order, params).fetchnumpy()["no"]
                return np.asarray(found, dtype=np.int64), len(found)
            total = cur.execute("SELECT count(*) " + body, params).fetchall()[0][0]
            found = cur.execute("SELECT s.no " + body + order + " LIMIT ?",
                                [*params, limit]).fetchnumpy()["no"]
            return np.asarray(found, dtype=np.int64), int(total)

    def explore_rows(self, nos: list[int], verifier: str | None) -> pd.DataFrame:
        """The explore table's rows of these items, in this order, with the start of their
        instruction (items fetched by number and rowid: nothing else is read)."""
        import pandas as pd

        source, params = _facts(verifier)
        cur = self.db.cursor()
        frame = cur.execute(
            "SELECT no, " + ", ".join(c for c in PAGE_COLUMNS if c != "instruction")
            + " FROM (" + source + ") s WHERE no = ANY(?)", [*params, nos]).df()
        starts = dict(item_rows(cur, nos, "left(i.instruction, 200)"))
        frame.insert(5, "instruction", frame["no"].map(starts))
        where = {no: k for k, no in enumerate(nos)}
        frame = frame.iloc[sorted(range(len(frame)), key=lambda k: where[frame["no"].iat[k]])]
        return pd.DataFrame(frame.drop(columns="no").reset_index(drop=True))

    def explore(self, query: ExploreQuery) -> tuple[pd.DataFrame, int]:
        """One page of the item table and the filtered total (uncached: explore.explore keeps
        the sorted order of a query until what it depends on changes)."""
        nos = self.query_nos(query)
        page, total = self.explore_order(query, nos, query.offset + query.page_size)
        return self.explore_rows(page[query.offset:].tolist(), query.where.verifier), total

    def query_nos(self, query: ExploreQuery) -> np.ndarray | None:
        """Numbers of the items whose text contains the query's search text (None: no search)."""
        text = query.search.strip()
        if not text:
            return None
        found = self.search_nos(text)
        if found is not None:
            return found
        clauses, params = _item_clauses(query.where, "i")
        return self.scan_nos(text, clauses, params)


def _item_clauses(where: ItemWhere, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) for the item filters of where, on alias."""
    clauses, params = [], []
    for column, values in (("stage", where.stages), ("topic", where.topics),
                           ("task_type", where.task_types), ("source", where.sources)):
        if values:
            clauses.append(f"list_contains(?, {alias}.{column})")  # names from this fixed list
            params.append(list(values))
    return clauses, params


def _facts(verifier: str | None) -> tuple[str, list[Any]]:
    """SELECT of item_facts with the scores of every verifier, or of the one named (then only
    the items it scored)."""
    if verifier is None:
        return "SELECT * FROM item_facts", []
    scores = ", ".join("v." + c for c in (*DIMENSIONS, "verifier_mean"))
    return ("SELECT f.id, f.no, f.stage, f.topic, f.task_type, f.source, f.created_at, "
            + scores + ", f.n_ratings, f.expert_mean, f.decision FROM item_facts f"
            " JOIN item_verifier_facts v ON v.instruction_id = f.id AND v.verifier = ?",
            [verifier])


def _no_table(nos: np.ndarray) -> pa.Table:
    import pyarrow as pa

    return pa.table({"no": pa.array(nos, pa.int64())})


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
