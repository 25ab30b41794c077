"""Item queries of the review queue and the explore table: filtered, ordered and paged in
DuckDB over instructions, verifier scores, ratings and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import ExploreQuery, ItemWhere
from honeybee_core.store.base import Tables, registered

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd
    import pyarrow as pa

_SUMMARY_ITEM_COLUMNS = ("stage", "topic", "task_type", "source", "created_at")


class ExploreQueries(Tables):
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
        cte, params = scored_items(where)
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
        the explore table filters and sorts on, with verifier, rating and decision aggregates."""
        sql, params = summary_sql(verifier)
        return self.db.cursor().sql(sql, params=params).to_arrow_table()

    def explore(self, summary: pa.Table, query: ExploreQuery) -> tuple[pd.DataFrame, int]:
        """One page of the item table and the filtered total; DuckDB filters, sorts and pages
        over the item summary (see item_summary), and fetches text for the page's rows only.
        The sort name goes into SQL as it is: ExploreQuery checked it when it was made."""
        clauses, params = explore_clauses(query, "s")
        order = query.sort + (" DESC" if query.descending else " ASC") + " NULLS LAST, id"
        limit, offset = query.page_size, query.offset
        cur = self.db.cursor()
        with registered(cur, summary) as view:
            frame = cur.execute(
                "WITH hits AS (SELECT s.* FROM " + view + " s"
                + (" WHERE " + " AND ".join(clauses) if clauses else "") + "),"
                " page AS (SELECT *, (SELECT count(*) FROM hits) AS total FROM hits"
                " ORDER BY " + order + " LIMIT ? OFFSET ?)"
                " SELECT page.id, page.stage, page.topic, page.task_type, page.source,"
                " left(i.instruction, 200) AS instruction, page.accuracy, page.relevance,"
                " page.completeness, page.reasonableness, page.verifier_mean, page.n_ratings,"
                " page.expert_mean, page.decision, page.created_at, page.total"
                " FROM page JOIN instructions i ON i.id = page.id ORDER BY " + order,
                [*params, limit, offset],
            ).df()
            if frame.empty and offset > 0:
                total = cur.execute(
                    "SELECT count(*) FROM " + view + " s"
                    + (" WHERE " + " AND ".join(clauses) if clauses else ""), params,
                ).fetchall()[0][0]
                return frame.drop(columns="total"), int(total)
        return frame.drop(columns="total"), int(frame["total"].iloc[0]) if len(frame) else 0


def summary_sql(verifier: str | None) -> tuple[str, list[Any]]:
    """The item summary (see item_summary) as one SELECT, and its parameters."""
    cte, params = scored_items(ItemWhere(verifier=verifier), extra=_SUMMARY_ITEM_COLUMNS)
    return (
        cte + ", er AS (SELECT instruction_id, count(*) AS n_ratings,"
        " avg((accuracy + relevance + completeness + reasonableness) / 4) AS expert_mean"
        " FROM expert_ratings WHERE verdict IS DISTINCT FROM 'skip' GROUP BY instruction_id)"
        " SELECT p.id, p.stage, p.topic, p.task_type, p.source, p.accuracy, p.relevance,"
        " p.completeness, p.reasonableness, p.vmean AS verifier_mean,"
        " coalesce(er.n_ratings, 0) AS n_ratings, er.expert_mean,"
        " coalesce(d.decision, 'undecided') AS decision, p.created_at"
        " FROM pool p LEFT JOIN er ON er.instruction_id = p.id"
        " LEFT JOIN current_decisions d ON d.instruction_id = p.id",
        params,
    )


def explore_clauses(query: ExploreQuery, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and parameters) on the item summary, aliased alias, for everything the
    query filters on except the verifier (the summary is built for it). Sort and range names go
    into SQL as they are: ExploreQuery checked them when it was made."""
    where, search = query.where, query.search.strip() or None
    clauses, params = item_clauses(where, alias)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # the item filters again inside, so DuckDB reads only their rows' text
        inner, inner_params = item_clauses(where, "i")
        inner.append("(" + " OR ".join(f"i.{c} ILIKE ? ESCAPE '\\'"
                                       for c in ("instruction", "input", "output")) + ")")
        clauses.append(f"{alias}.id IN (SELECT i.id FROM instructions i WHERE "
                       + " AND ".join(inner) + ")")
        params += [*inner_params, *[pattern + "%"] * 3]
    for column, (low, high) in query.ranges.items():
        clauses.append(f"{alias}.{column} BETWEEN ? AND ?")  # names from RANGE_COLUMNS
        params += [low, high]
    if query.rated is not None:
        clauses.append(f"{alias}.n_ratings > 0" if query.rated else f"{alias}.n_ratings = 0")
    if query.decision is not None:
        clauses.append(f"{alias}.decision = ?")
        params.append(query.decision)
    if query.ids is not None:
        clauses.append(f"{alias}.id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(query.ids))
    return clauses, params


def item_clauses(where: ItemWhere, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) for the item filters of where, on alias."""
    clauses, params = [], []
    for column, values in (("stage", where.stages), ("topic", where.topics),
                           ("task_type", where.task_types), ("source", where.sources)):
        if values:
            clauses.append(f"list_contains(?, {alias}.{column})")  # names from this fixed list
            params.append(list(values))
    return clauses, params


def scored_items(
    where: ItemWhere, extra: tuple[str, ...] = (), *, scored_only: bool = False,
    kept_only: bool = False,
) -> tuple[str, list[Any]]:
    """`WITH vs AS (...), pool AS (...)`: filtered items with their verifier scores (each
    verifier's newest rubric, averaged over verifiers, or the named verifier's). Unscored items
    are in the pool unless scored_only or a verifier is named; kept_only leaves near-duplicates
    out."""
    clauses, params = item_clauses(where, "i")
    if kept_only:
        clauses.append("i.duplicate_of IS NULL")
    join = "JOIN" if where.verifier or scored_only else "LEFT JOIN"
    # only the columns a caller needs: the pool is read twice and may be materialised
    more = "".join(", i." + c for c in extra)  # names from fixed tuples in this module
    sql = (
        # a verifier's newest rubric: arg_max by (created_at, rubric_version), a hash
        # aggregate (three times faster than a row_number() window at 100,000 items)
        "WITH latest AS (SELECT instruction_id, arg_max({'a': accuracy, 'r': relevance,"
        " 'c': completeness, 'q': reasonableness}, (created_at, rubric_version)) AS s"
        " FROM verifier_scores WHERE ?::VARCHAR IS NULL OR verifier = ?::VARCHAR"
        " GROUP BY instruction_id, verifier),"
        " vs AS (SELECT instruction_id, avg(s.a) AS accuracy, avg(s.r) AS relevance,"
        " avg(s.c) AS completeness, avg(s.q) AS reasonableness FROM latest"
        " GROUP BY instruction_id),"
        " pool AS (SELECT i.id" + more + ", vs.accuracy, vs.relevance, vs.completeness,"
        " vs.reasonableness,"
        " (vs.accuracy + vs.relevance + vs.completeness + vs.reasonableness) / 4 AS vmean"
        " FROM instructions i " + join + " vs ON vs.instruction_id = i.id"
        + (" WHERE " + " AND ".join(clauses) if clauses else "") + ")"
    )
    return sql, [where.verifier, where.verifier, *params]
