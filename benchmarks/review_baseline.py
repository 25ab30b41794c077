"""The previous implementation of the Review and Explore reads (main at 940164f), kept
verbatim for `benchmarks/review.py` to run beside the current one: derived tables rebuilt
whole and cached under the data version (items, scores, ratings, decisions), the audit order
built whole per reviewer, search by ILIKE over every text. Not used by the app.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from honeybee_core import memo
from honeybee_core import stats as agreement
from honeybee_core.audit import AuditFilters, load_inputs
from honeybee_core.domain import ExploreQuery, ItemWhere
from honeybee_core.store import Repository
from honeybee_core.store.base import registered

_SUMMARY_ITEM_COLUMNS = ("stage", "topic", "task_type", "source", "created_at")
N_STRATA = 10


class OldQueries:
    """The old store methods, over the same database."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.db = repo.db

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

    def item_summary(self, verifier: str | None) -> pa.Table:
        """One row per item (only items the verifier scored, when one is named): the columns
        the explore table filters and sorts on, with verifier, rating and decision aggregates."""
        cte, params = _scored_items(ItemWhere(verifier=verifier), extra=_SUMMARY_ITEM_COLUMNS)
        return self.db.cursor().sql(
            cte + ", er AS (SELECT instruction_id, count(*) AS n_ratings,"
            " avg((accuracy + relevance + completeness + reasonableness) / 4) AS expert_mean"
            " FROM expert_ratings WHERE verdict IS DISTINCT FROM 'skip' GROUP BY instruction_id)"
            " SELECT p.id, p.stage, p.topic, p.task_type, p.source, p.accuracy, p.relevance,"
            " p.completeness, p.reasonableness, p.vmean AS verifier_mean,"
            " coalesce(er.n_ratings, 0) AS n_ratings, er.expert_mean,"
            " coalesce(d.decision, 'undecided') AS decision, p.created_at"
            " FROM pool p LEFT JOIN er ON er.instruction_id = p.id"
            " LEFT JOIN current_decisions d ON d.instruction_id = p.id",
            params=params,
        ).to_arrow_table()

    def explore(self, summary: pa.Table, query: ExploreQuery) -> tuple[pd.DataFrame, int]:
        """One page of the item table and the filtered total; DuckDB filters, sorts and pages
        over the item summary (see item_summary), and fetches text for the page's rows only.
        Sort and range names go into SQL as they are: ExploreQuery checked them when made."""
        where, search = query.where, query.search.strip() or None
        clauses, params = _item_clauses(where, "s")
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # the item filters again inside, so DuckDB reads only their rows' text
            inner, inner_params = _item_clauses(where, "i")
            inner.append("(" + " OR ".join(f"i.{c} ILIKE ? ESCAPE '\\'"
                                           for c in ("instruction", "input", "output")) + ")")
            clauses.append("s.id IN (SELECT i.id FROM instructions i WHERE "
                           + " AND ".join(inner) + ")")
            params += [*inner_params, *[pattern + "%"] * 3]
        for column, (low, high) in query.ranges.items():
            clauses.append("s." + column + " BETWEEN ? AND ?")  # names from RANGE_COLUMNS
            params += [low, high]
        if query.rated is not None:
            clauses.append("s.n_ratings > 0" if query.rated else "s.n_ratings = 0")
        if query.decision is not None:
            clauses.append("s.decision = ?")
            params.append(query.decision)
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




# -- the old core functions: caches keyed on the data version ------------------------------------
def audit_order(old: OldQueries, seed: str, where: ItemWhere) -> pa.Table:
    version = old.repo.data_version()[:4]
    return memo.cached(old.db, ("old_audit_order", seed, where, N_STRATA, version),
                       lambda: old.review_order(seed, where, N_STRATA))


def queue(old: OldQueries, name: str, where: ItemWhere, offset: int) -> tuple[Any, int, int]:
    return old.repo.review_queue(name, audit_order(old, name, where), offset, 1)


def explore(old: OldQueries, query: ExploreQuery) -> tuple[pd.DataFrame, int]:
    summary = memo.cached(old.db, ("old_item_summary", query.where.verifier,
                                   old.repo.data_version()),
                          lambda: old.item_summary(query.where.verifier))
    return old.explore(summary, query)


def reviewer_agreement(old: OldQueries, reviewer: str) -> Any:
    def build() -> Any:
        scores, ratings, _ = load_inputs(old.repo, AuditFilters(annotator=reviewer))
        if ratings.empty:
            return None
        return agreement.per_reviewer(agreement.Ratings.from_frames(scores, ratings))
    return memo.cached(old.db, ("old_reviewer_rho", reviewer, old.repo.data_version()), build)


def my_ratings(old: OldQueries, name: str) -> pd.DataFrame:
    return old.db.cursor().execute(  # the latest few first, then their text
        "WITH r AS (SELECT * FROM expert_ratings WHERE annotator = ?"
        " ORDER BY updated_at DESC, instruction_id LIMIT ?)"
        " SELECT r.instruction_id, left(i.instruction, 120) AS instruction, r.verdict,"
        " r.accuracy, r.relevance, r.completeness, r.reasonableness, r.blind, r.updated_at"
        " FROM r JOIN instructions i ON i.id = r.instruction_id"
        " ORDER BY r.updated_at DESC, r.instruction_id",
        [name, 200],
    ).df()


def _item_clauses(where: ItemWhere, alias: str) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) for the item filters of where, on alias."""
    clauses, params = [], []
    for column, values in (("stage", where.stages), ("topic", where.topics),
                           ("task_type", where.task_types), ("source", where.sources)):
        if values:
            clauses.append(f"list_contains(?, {alias}.{column})")  # names from this fixed list
            params.append(list(values))
    return clauses, params


def _scored_items(
    where: ItemWhere, extra: tuple[str, ...] = (), *, scored_only: bool = False,
    kept_only: bool = False,
) -> tuple[str, list[Any]]:
    """`WITH vs AS (...), pool AS (...)`: filtered items with their verifier scores (each
    verifier's newest rubric, averaged over verifiers, or the named verifier's). Unscored items
    are in the pool unless scored_only or a verifier is named; kept_only leaves near-duplicates
    out."""
    clauses, params = _item_clauses(where, "i")
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
