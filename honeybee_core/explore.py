"""Explore: the server-side paged item table, one item in full, and the home summary.

DuckDB filters, sorts and pages (LIMIT/OFFSET with bound parameters; sort columns from the
whitelist in domain), so a rerun of the Explore page reads one page of rows, never the whole table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from honeybee_core import memo
from honeybee_core.domain import ExploreQuery
from honeybee_core.errors import NotFoundError
from honeybee_core.review import bulk_preview
from honeybee_core.store import Repository


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


def item_summary(repo: Repository, verifier: str | None = None) -> pa.Table:
    """Per-item scores, rating counts and decisions (cached until any of them changes)."""
    return memo.cached(repo.db, ("item_summary", verifier, repo.data_version()),
                       lambda: repo.item_summary(verifier))


def explore(repo: Repository, query: ExploreQuery) -> ExplorePage:
    """One page of items matching query (checked when it was made), plus how many match. A page
    past the end (the filters narrowed since it was asked for) comes back as the last page."""
    summary = item_summary(repo, query.where.verifier)
    if query.ids is not None:  # filtered here, in Arrow: the store's query stays as it is
        summary = summary.filter(pc.is_in(summary["id"], value_set=pa.array(query.ids,
                                                                             pa.string())))
    rows, total = repo.explore(summary, query)
    if rows.empty and total and query.page > 0:
        query = dataclasses.replace(query, page=(total - 1) // query.page_size)
        rows, total = repo.explore(summary, query)
    return ExplorePage(rows, total, query.page, query.page_size)


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
