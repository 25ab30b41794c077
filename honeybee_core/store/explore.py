"""Item queries of the explore table: filtered, ordered and paged in DuckDB over item_facts
(one row per item with its scores, ratings and decision, kept by the writers; see derived.py),
bulk decisions on the same filters, and the scored pool the filter rules read."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from honeybee_core.domain import DIMENSIONS, ExploreQuery, ItemWhere
from honeybee_core.store import derived
from honeybee_core.store.base import registered
from honeybee_core.store.database import Cursor
from honeybee_core.store.search import SearchQueries, item_rows

if TYPE_CHECKING:  # hints only
    import numpy as np
    import pandas as pd
    import pyarrow as pa

SUMMARY_COLUMNS = ("id", "stage", "topic", "task_type", "source", *DIMENSIONS, "verifier_mean",
                   "n_ratings", "expert_mean", "decision", "created_at")
PAGE_COLUMNS = ("id", "stage", "topic", "task_type", "source", "instruction", *DIMENSIONS,
                "verifier_mean", "n_ratings", "expert_mean", "decision", "created_at")


class ExploreQueries(SearchQueries):
    """Filter options, the item summary, pages of explore and bulk decisions on a query."""

    def filter_options(self) -> dict[str, list[Any]]:
        """Distinct stages, topics, task types, sources and verifiers, for filter widgets."""
        cur = self.db.cursor()
        out: dict[str, list[Any]] = {}
        for key, column in (("stages", "stage"), ("topics", "topic"),
                            ("task_types", "task_type"), ("sources", "source")):
            out[key] = [r[0] for r in cur.execute(  # column names come from this fixed list
                "SELECT DISTINCT " + column + " FROM item_facts WHERE " + column
                + " IS NOT NULL ORDER BY 1").fetchall()]
        out["verifiers"] = [r[0] for r in cur.execute(
            "SELECT DISTINCT verifier FROM item_verifier_facts ORDER BY 1").fetchall()]
        return out

    def item_summary(self, verifier: str | None) -> pa.Table:
        """One row per item (only items the verifier scored, when one is named): the columns
        the explore table filters and sorts on, read from item_facts (kept current by writers)."""
        source, params = facts_source(verifier)
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

        cur = self.db.cursor()
        with contextlib.ExitStack() as stack:
            body, params = _filtered(cur, stack, query, nos)
            order = (" ORDER BY s." + query.sort + (" DESC" if query.descending else " ASC")
                     + " NULLS LAST, s.id")
            if limit is None:
                found = cur.execute("SELECT s.no " + body + order, params).fetchnumpy()["no"]
                return np.asarray(found, dtype=np.int64), len(found)
            if nos is not None and _only_search(query):
                total = len(nos)  # every indexed item has its facts row: nothing to count
            else:
                total = cur.execute("SELECT count(*) " + body, params).fetchall()[0][0]
            found = cur.execute("SELECT s.no " + body + order + " LIMIT ?",
                                [*params, limit]).fetchnumpy()["no"]
            return np.asarray(found, dtype=np.int64), int(total)

    def explore_rows(self, nos: list[int], verifier: str | None) -> pd.DataFrame:
        """The explore table's rows of these items, in this order, with the start of their
        instruction (items fetched by number and rowid: nothing else is read)."""
        import pandas as pd

        source, params = facts_source(verifier)
        cur = self.db.cursor()
        frame = cur.execute(
            "SELECT no, " + ", ".join(c for c in PAGE_COLUMNS if c != "instruction")
            + " FROM (" + source + ") s WHERE no = ANY(?)", [*params, nos]).df()
        starts = dict(item_rows(cur, nos, "left(i.instruction, 200)")) if nos else {}
        frame.insert(6, "instruction", frame["no"].map(starts))
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
        clauses, params = item_clauses(query.where, "i")
        return self.scan_nos(text, clauses, params)

    def decide_explored(self, cur: Cursor, query: ExploreQuery, decision: str, by: str,
                        reason: str | None) -> int:
        """Record decision on every item the explore query matches (all its pages): one
        INSERT ... SELECT over the same filters the table shows, in cur's transaction. Returns
        how many items it decided."""
        nos = self.query_nos(query)
        last = derived.last_decision(cur)
        with contextlib.ExitStack() as stack:
            body, params = _filtered(cur, stack, query, nos)
            n = int(cur.execute(
                "INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
                " SELECT s.id, ?, ?, ?, NULL " + body,
                [decision, by, reason, *params]).fetchall()[0][0])
        derived.refresh_decisions_since(cur, last)
        return n


def _filtered(cur: Cursor, stack: contextlib.ExitStack, query: ExploreQuery,
              nos: np.ndarray | None) -> tuple[str, list[Any]]:
    """`FROM (item facts) s WHERE ...` for everything query filters on, and its parameters;
    nos (the search's matches) registered as a view for as long as stack lives."""
    source, params = facts_source(query.where.verifier)
    clauses, more = explore_clauses(query, "s")
    if nos is not None:
        view = stack.enter_context(registered(cur, _no_table(nos)))
        clauses.append("s.no IN (SELECT no FROM " + view + ")")
    return ("FROM (" + source + ") s" + (" WHERE " + " AND ".join(clauses) if clauses else ""),
            [*params, *more])


def _only_search(query: ExploreQuery) -> bool:
    """Whether query filters on nothing but its search text."""
    return (query.where == ItemWhere() and not query.ranges and query.rated is None
            and query.decision is None and query.ids is None)


def explore_clauses(query: ExploreQuery, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and parameters) on item facts, aliased alias, for everything the query
    filters on except the verifier (the source is built for it) and the search text (the token
    index answers that). Range names go into SQL as they are: ExploreQuery checked them."""
    clauses, params = item_clauses(query.where, alias)
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


def facts_source(verifier: str | None) -> tuple[str, list[Any]]:
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
