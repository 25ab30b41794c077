"""Explore: the server-side paged item table, one item in full, bulk decisions on the filtered
table, and the home summary.

DuckDB filters and sorts item_facts (one row per item, kept current by every write; sort columns
from the whitelist in domain) and the token index answers searches. The sorted order of a query
is kept until what it depends on changes: items and verifier scores always, ratings only when it
filters or sorts on them, decisions likewise. So other people's ratings do not make a page that
sorts by accuracy sort again; a rerun reads one page of rows by number. A bulk decision on the
filtered table is one INSERT ... SELECT over the same filters.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from honeybee_core import memo
from honeybee_core.auth import Actor, require, writes
from honeybee_core.domain import DECISIONS, ExploreQuery
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.review import bulk_preview
from honeybee_core.store import Repository
from honeybee_core.wording import header, past, plural

_LABEL_WIDTH = 60  # characters of an instruction in the item picker


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
    """One page of items matching query (checked when it was made), plus how many match. A page
    past the end (the filters narrowed since it was asked for) comes back as the last page."""
    versions = repo.versions()
    shape = (query.where, query.search.strip(), tuple(sorted(query.ranges.items())),
             query.rated, query.decision, query.sort, query.descending, query.ids)
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
    if end - query.page_size >= total and total and query.page > 0:
        query = dataclasses.replace(query, page=(total - 1) // query.page_size)
        end = query.offset + query.page_size
        if len(order) < end:
            order, total = repo.explore_order(query, nos, end)
    rows = repo.explore_rows(order[query.offset:end].tolist(), query.where.verifier)
    return ExplorePage(rows, total, query.page, query.page_size)


def item_labels(rows: pd.DataFrame) -> dict[str, str]:
    """id -> a label for the item picker that people can read and tell apart: the start of the
    instruction (first line, cut at a word), topic and stage, and the id (instructions may
    begin alike; ids never repeat)."""
    labels = {}
    for row in rows.itertuples():
        text = "" if pd.isna(row.instruction) else str(row.instruction).strip().split("\n")[0]
        text = re.sub(r"\s+", " ", text)
        if len(text) > _LABEL_WIDTH:
            text = text[:_LABEL_WIDTH].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
        topic = "no topic" if pd.isna(row.topic) else row.topic
        labels[row.id] = f"{text or '(no instruction)'} · {topic}, stage {row.stage} · {row.id}"
    return labels


def clicked_item(rows: pd.DataFrame, positions: Sequence[int]) -> str | None:
    """The id of the table row a person clicked (positions from the table's selection)."""
    return str(rows["id"].iloc[positions[0]]) if positions and positions[0] < len(rows) \
        else None


def describe_query(query: ExploreQuery) -> str:
    """The filters of query in words, e.g. 'stage 2, search "q1", accuracy 50-100'."""
    where, parts = query.where, []
    for name, values in (("stage", where.stages), ("topic", where.topics),
                         ("task type", where.task_types), ("source", where.sources)):
        if values:
            parts.append(f"{name} {' or '.join(map(str, values))}")
    if where.verifier:
        parts.append(f"scored by {where.verifier}")
    if query.search.strip():
        parts.append(f'search "{query.search.strip()}"')
    parts += [f"{header(c).lower()} {lo:g}-{hi:g}" for c, (lo, hi) in query.ranges.items()]
    if query.rated is not None:
        parts.append("rated by an expert" if query.rated else "not rated yet")
    if query.decision is not None:
        parts.append(query.decision if query.decision == "undecided" else past(query.decision))
    if query.ids is not None:
        parts.append(f"the {plural(len(query.ids), 'item')} linked from the Agreement page")
    return ", ".join(parts) or "no filters: every item"


@writes("bulk_decide")
def decide_selection(repo: Repository, actor: Actor, query: ExploreQuery, decision: str,
                     expected: int, reason: str | None = None) -> int:
    """Approve or reject every item the query matches (all pages, not only the one shown), as
    one INSERT ... SELECT. expected is the count the person was shown: if the filters match
    another number now, nothing is written. Returns how many items were decided."""
    require(actor, "bulk_decide", repo)
    if decision not in DECISIONS:
        raise InputError(f"Decision {decision!r} is unknown; use approve or reject.")
    reason = (reason or "").strip() or f"bulk: filtered table ({describe_query(query)})"
    with repo.db.transaction() as cur:
        n = repo.decide_explored(cur, query, decision, actor.name, reason)
        if n != expected:  # raising rolls the insert back
            raise InputError(
                f"The filters now match {plural(n, 'item')}, not the {expected:,} shown; look "
                "at the table again before applying.")
    return n


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
    rule_sentence: str
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
    plan = bulk_preview(repo, rule, "approve", undecided_only=False)  # counts, in the database
    return HomeSummary(repo.stats(), plan.rule, plan.description, plan.candidates or 0, plan.n,
                       repo.reviewer_progress(), repo.jobs(limit=latest),
                       repo.latest_training_runs(latest))
