"""Explore: the server-side paged item table, one item in full, and the home summary.

DuckDB filters and sorts item_facts (one row per item, kept current by every write; sort columns
from the whitelist in domain) and the token index answers searches. The sorted order of a query
is kept until what it depends on changes: items and verifier scores always, ratings only when it
filters or sorts on them, decisions likewise. So other people's ratings do not make a page that
sorts by accuracy sort again; a rerun reads one page of rows by number.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

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
    """Per-item scores, rating counts and decisions: one row per item, as they are now."""
    return repo.item_summary(verifier)


def depends_on(query: ExploreQuery) -> tuple[str, ...]:
    """The data families the order and membership of query's results follow from."""
    families = ["items", "scores"]
    if query.rated is not None or query.sort in ("n_ratings", "expert_mean"):
        families.append("ratings")
    if query.decision is not None or query.sort == "decision":
        families.append("decisions")
    return tuple(families)


def explore(repo: Repository, query: ExploreQuery) -> ExplorePage:
    """One page of items matching query (checked when it was made), plus how many match."""
    versions = repo.versions()
    shape = (query.where, query.search.strip(), tuple(sorted(query.ranges.items())),
             query.rated, query.decision, query.sort, query.descending)
    nos = None
    if shape[1]:  # texts never change: a search holds until items are added
        nos = memo.cached(repo.db, ("search", shape[1], query.where, versions["items"]),
                          lambda: repo.query_nos(query))
    families = depends_on(query)
    end = query.offset + query.page_size
    if nos is not None or "ratings" in families or "decisions" in families:
        # a search (often a one-off) or an order that changes with every rating or decision:
        # only the rows up to this page are sorted
        order, total = repo.explore_order(query, nos, end)
    else:
        order, total = memo.cached(
            repo.db, ("explore_order", shape, tuple(versions[f] for f in families)),
            lambda: repo.explore_order(query, nos))
    rows = repo.explore_rows(order[query.offset:end].tolist(), query.where.verifier)
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
