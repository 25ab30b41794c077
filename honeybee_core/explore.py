"""Explore: the server-side paged item table, one item in full, and the home summary.

DuckDB filters, sorts and pages (LIMIT/OFFSET with bound parameters; sort columns from a
whitelist), so a rerun of the Explore page reads one page of rows, never the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from honeybee_core import memo
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.repo import EXPLORE_SORT_COLUMNS, SCORE_COLUMNS, ItemWhere, Repository
from honeybee_core.review import bulk_preview

SORT_COLUMNS: tuple[str, ...] = EXPLORE_SORT_COLUMNS
RANGE_COLUMNS: tuple[str, ...] = (*SCORE_COLUMNS, "verifier_mean")
DECISION_FILTERS: tuple[str, ...] = ("approve", "reject", "undecided")
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class ExploreQuery:
    """Filters, sort and page of the item table. Empty filters and None mean "any"."""

    where: ItemWhere = field(default_factory=ItemWhere)
    search: str = ""
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # column -> (lo, hi)
    rated: bool | None = None          # rated by anyone (skips do not count)
    decision: str | None = None        # approve | reject | undecided
    sort: str = "created_at"
    descending: bool = False
    page: int = 0
    page_size: int = 50
    ids: tuple[str, ...] | None = None  # only these items (a link from the Agreement page)


@dataclass(frozen=True)
class ExplorePage:
    rows: pd.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class ItemDetail:
    item: dict
    verifier_scores: pd.DataFrame
    ratings: pd.DataFrame
    decisions: pd.DataFrame

    @property
    def decision(self) -> str:
        return str(self.decisions["decision"].iloc[0]) if len(self.decisions) else "undecided"


def _check(query: ExploreQuery) -> None:
    if query.sort not in SORT_COLUMNS:
        raise InputError(f"Cannot sort by {query.sort!r}; use one of {', '.join(SORT_COLUMNS)}.")
    if not 1 <= query.page_size <= MAX_PAGE_SIZE or query.page < 0:
        raise InputError(
            f"Page {query.page} of size {query.page_size} is invalid; pages start at 0 and hold "
            f"1 to {MAX_PAGE_SIZE} rows."
        )
    if query.decision is not None and query.decision not in DECISION_FILTERS:
        raise InputError(
            f"Decision filter {query.decision!r} is unknown; use {', '.join(DECISION_FILTERS)}."
        )
    for column, (low, high) in query.ranges.items():
        if column not in RANGE_COLUMNS:
            raise InputError(f"No score range on {column!r}; use {', '.join(RANGE_COLUMNS)}.")
        if not 0 <= low <= high <= 100:
            raise InputError(f"The {column} range {low}-{high} must lie within 0-100, low first.")


def item_summary(repo: Repository, verifier: str | None = None) -> pa.Table:
    """Per-item scores, rating counts and decisions (cached until any of them changes)."""
    return memo.cached(repo.db, ("item_summary", verifier, repo.data_version()),
                       lambda: repo.item_summary(verifier))


def explore(repo: Repository, query: ExploreQuery) -> ExplorePage:
    """One page of items matching query, plus the number of matching items. A page past the
    end (the filters narrowed since it was asked for) comes back as the last page."""
    _check(query)
    summary = item_summary(repo, query.where.verifier)
    if query.ids is not None:  # filtered here, in Arrow: the store's query stays as it is
        summary = summary.filter(pc.is_in(summary["id"], value_set=pa.array(query.ids,
                                                                             pa.string())))

    def fetch(page: int) -> tuple[pd.DataFrame, int]:
        return repo.explore(
            summary, query.where, query.search.strip() or None, dict(query.ranges),
            query.rated, query.decision, query.sort, query.descending, page * query.page_size,
            query.page_size,
        )

    rows, total = fetch(query.page)
    page = query.page
    if rows.empty and total and page > 0:
        page = (total - 1) // query.page_size
        rows, total = fetch(page)
    return ExplorePage(rows, total, page, query.page_size)


def item_detail(repo: Repository, item_id: str) -> ItemDetail:
    """The item with every verifier score, every expert rating and its decision history."""
    item = repo.item(item_id)
    if item is None:
        raise NotFoundError(f"Item {item_id!r} does not exist; check the id or reload the page.")
    return ItemDetail(item, repo.item_verifier_scores(item_id), repo.item_ratings(item_id),
                      repo.item_decisions(item_id))


@dataclass(frozen=True)
class HomeSummary:
    stats: dict
    rule: str
    scored: int
    passing: int
    reviewers: pd.DataFrame
    jobs: pd.DataFrame
    runs: pd.DataFrame

    @property
    def pass_rate(self) -> float | None:
        return self.passing / self.scored if self.scored else None


def home_summary(repo: Repository, rule: str | None = None, latest: int = 5) -> HomeSummary:
    """Counts by stage, the verifier pass rate under rule (default settings.filter_rule), rating
    progress per reviewer, and the latest jobs and training runs."""
    plan = bulk_preview(repo, rule, "approve", undecided_only=False)
    return HomeSummary(repo.stats(), plan.rule, plan.candidates, plan.n,
                       repo.reviewer_progress(), repo.jobs(limit=latest),
                       repo.latest_training_runs(latest))
