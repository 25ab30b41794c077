"""Expert review: the reviewer's queue, ratings, curators' decisions and bulk decisions by rule.

Pure core, no Streamlit. Every write takes the acting `Actor` and checks its role first; a rating
is always stored for actor.name. Each write is committed before the call returns, so another tab
(or the CLI) sees it on its next read: no state lives in the page.

The queue is an audit sample, not import order: items are cut into equal-width bands of the
verifier's mean score and served round-robin across the bands in a per-reviewer shuffled order,
so agreement is measured across the whole score range rather than on the crowded 90-100 band.

A page of the queue reads the head of that order (kept until items or verifier scores change;
ratings never reorder it) and the reviewer's own ratings (kept in step by reading only the rows
changed since the last look), so nobody else's ratings make it do more work.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from honeybee_core import guidelines, memo
from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import get_settings
from honeybee_core.domain import DECISIONS, DIMENSIONS, VERDICTS, ItemWhere, RuleScope
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.limits import MAX_COMMENT  # typed and imported comments share it
from honeybee_core.rated import rated_items
from honeybee_core.rules import FilterRule, parse_rule
from honeybee_core.store import Repository

N_STRATA = 10
HEAD_TURNS = 32  # the queue reads this many turns per band of the audit order, more if needed
# The verifier's rubric, shown as help beside each score so experts rate on the same scale.
RUBRIC: dict[str, str] = {
    "accuracy": "Accuracy: is the output correct against known materials-science facts "
    "(values, units, mechanisms, established results)? 0 = wrong, 100 = fully correct.",
    "relevance": "Relevance: how relevant are the instruction and output to materials science? "
    "0 = unrelated, 100 = squarely materials science.",
    "completeness": "Completeness: does the output address every part of the instruction, "
    "including sub-questions? 0 = misses the point, 100 = complete.",
    "reasonableness": "Reasonableness: is the output logically consistent, free of "
    "contradictions and sound in its reasoning? 0 = incoherent, 100 = sound.",
}
__all__ = [
    "DECISIONS", "DIMENSIONS", "RUBRIC", "VERDICTS", "BulkPlan", "ItemWhere", "Place",
    "Progress", "QueuePage", "Rating", "audit_order", "bulk_apply", "bulk_preview",
    "compare_with_verifier", "decide", "decision_history", "filter_options", "get_rating",
    "my_ratings", "navigate", "progress", "queue", "save_rating",
]


@dataclass(frozen=True)
class Rating:
    """One expert's rating of one item. Scores may be None only for a skip or a flag."""

    accuracy: float | None
    relevance: float | None
    completeness: float | None
    reasonableness: float | None
    verdict: str
    comment: str | None = None
    blind: bool = True

    @classmethod
    def from_scores(cls, scores: Iterable[float | None], verdict: str,
                    comment: str | None = None, blind: bool = True) -> Rating:
        """A rating from its four scores in DIMENSIONS order."""
        accuracy, relevance, completeness, reasonableness = scores
        return cls(accuracy, relevance, completeness, reasonableness, verdict, comment, blind)

    @property
    def scores(self) -> tuple[float | None, ...]:
        return tuple(getattr(self, d) for d in DIMENSIONS)


@dataclass(frozen=True)
class QueuePage:
    """Queue rows (id, stratum, verifier_mean, skipped) from offset on, the queue length, and
    how many of the filtered items the reviewer has rated (skips excluded)."""

    rows: pd.DataFrame
    total: int
    offset: int
    rated: int = 0

    @property
    def ids(self) -> list[str]:
        return self.rows["id"].tolist()


@dataclass(frozen=True)
class Progress:
    rated: int
    remaining: int

    @property
    def total(self) -> int:
        return self.rated + self.remaining

    @property
    def fraction(self) -> float:
        return self.rated / self.total if self.total else 1.0


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk decision would do (or did): how many items the rule picks, out of how many
    scored candidates (None after applying: the decision is one INSERT and counts only what it
    wrote), and the rule as a sentence."""

    rule: str
    decision: str
    n: int
    candidates: int | None
    description: str = ""


def filter_options(repo: Repository) -> dict[str, list]:
    """Stages, topics, task types, sources and verifiers present, for filter widgets."""
    versions = repo.versions()
    return memo.cached(repo.db, ("filter_options", versions["items"], versions["scores"]),
                       repo.filter_options)


# -- the queue ----------------------------------------------------------------------------------
def audit_order(repo: Repository, seed: str, where: ItemWhere | None = None) -> pa.Table:
    """Every filtered item in stratified audit order for this seed (cached until items or
    verifier scores change: ratings do not matter)."""
    where = where or ItemWhere()
    versions = repo.versions()
    return memo.cached(repo.db, ("audit_order", seed, where, N_STRATA, versions["items"],
                                 versions["scores"]),
                       lambda: repo.review_order(seed, where, N_STRATA))


def queue(
    repo: Repository, actor: Actor, where: ItemWhere | None = None, offset: int = 0,
    limit: int = 1, seed: str | None = None,
) -> QueuePage:
    """The actor's queue from offset: unrated items in stratified audit order, then skipped ones.

    The order is deterministic per reviewer (seed defaults to the reviewer's name), so two
    reviewers see different but reproducible samples; ratings never reorder what is left.
    """
    if offset < 0 or limit < 1:
        raise InputError(f"Queue offset {offset} / limit {limit} must be >= 0 / >= 1.")
    where = where or ItemWhere()
    seed = seed if seed is not None else actor.name
    versions = repo.versions()
    basis = (versions["items"], versions["scores"])
    rated = rated_items(repo, actor.name)
    in_pool, skipped = rated.in_pool(repo, where, basis)
    turns = HEAD_TURNS
    while True:
        head, n = memo.cached(repo.db, ("audit_head", seed, where, N_STRATA, turns, basis),
                              functools.partial(repo.audit_head, seed, where, N_STRATA, turns))
        if head.num_rows == n or offset + limit > n - in_pool:
            # the whole order is at hand, or the page reaches the skipped items at its end
            order = head.append_column("pos", pa.array(range(n), pa.int64())) \
                if head.num_rows == n else audit_order(repo, seed, where)
            rows, total, done = repo.review_queue(actor.name, order, offset, limit)
            return QueuePage(rows, total, offset, done)
        ids = head.column("id").to_pylist()
        unrated = [k for k, item in enumerate(ids) if item not in rated.items]
        if len(unrated) >= offset + limit:
            rows = head.take(unrated[offset:offset + limit]).to_pandas()
            rows["skipped"] = False
            done = in_pool - skipped
            return QueuePage(rows, n - done, offset, done)
        turns *= 4


def progress(repo: Repository, actor: Actor, where: ItemWhere | None = None) -> Progress:
    """How many of the filtered items the actor has rated (skips excluded) and has left."""
    page = queue(repo, actor, where)
    return Progress(page.rated, page.total)


@dataclass(frozen=True)
class Place:
    """Where a reviewer is: a queue position, or one of their rated items opened to edit.
    left_rated: the last move went from a rated item back to the queue, so Previous should
    return to that item rather than to a queue slot passed earlier."""

    pos: int = 0
    opened: str | None = None
    left_rated: bool = False


def navigate(place: Place, step: int, rated: Sequence[str]) -> Place:
    """Previous (step -1) and Next (+1) on the Review page. rated: the reviewer's rated item
    ids, latest first. Previous goes back through what you rated, latest first (after passing
    queue items unrated, it first steps back over those); Next walks forward again and then
    returns to the queue where you left it."""
    rated = list(rated)
    at = rated.index(place.opened) if place.opened in rated else None
    if step < 0:
        if place.opened is not None:
            older = at + 1 if at is not None else 0
            return Place(place.pos, rated[older], place.left_rated) if older < len(rated) \
                else place
        if place.pos > 0 and not place.left_rated:
            return Place(place.pos - 1)
        return Place(place.pos, rated[0], True) if rated else Place(max(0, place.pos - 1))
    if place.opened is not None:
        if at:  # a newer rating than this one
            return Place(place.pos, rated[at - 1], place.left_rated)
        return Place(place.pos, None, True)  # the latest: the queue slot already holds the next
    return Place(place.pos + 1)


# -- ratings ------------------------------------------------------------------------------------
def _check_rating(rating: Rating) -> Rating:
    if rating.verdict not in VERDICTS:
        raise InputError(
            f"Verdict {rating.verdict!r} is unknown; use one of {', '.join(VERDICTS)}."
        )
    for dim, value in zip(DIMENSIONS, rating.scores, strict=True):
        if value is None:
            if rating.verdict in DECISIONS:
                raise InputError(
                    f"The {dim} score is missing; give all four scores (0-100) to "
                    f"{rating.verdict}, or skip or flag the item instead."
                )
            continue
        if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 100:
            raise InputError(f"The {dim} score {value!r} is not a number from 0 to 100; fix it.")
    if rating.comment is not None and len(rating.comment) > MAX_COMMENT:
        raise InputError(f"The comment is longer than {MAX_COMMENT} characters; shorten it.")
    return rating


@writes("rate")
def save_rating(repo: Repository, actor: Actor, item_id: str, rating: Rating) -> bool:
    """Store (or update) actor's rating of item_id, committed at once; True when it is new.

    A skip stores no scores (it is not a rating). An edit that leaves the scores unchanged keeps
    the stored blind flag: changing only the comment after seeing the verifier is still blind.
    The guideline version in force is stored with the rating (an edit that keeps the scores
    keeps the version they were given under).
    """
    actor = require(actor, "rate", repo)  # the stored role, for the annotator row
    _check_rating(rating)
    if repo.item(item_id) is None:
        raise NotFoundError(f"Item {item_id!r} does not exist; reload the queue.")
    scores = (None,) * 4 if rating.verdict == "skip" else tuple(
        None if s is None else float(s) for s in rating.scores)
    comment = (rating.comment or "").strip() or None
    in_force = guidelines.ensure_stored(repo)
    with repo.db.transaction() as cur:
        before = repo.rating_of(item_id, actor.name)
        blind = bool(rating.blind)
        version: int | None = in_force
        if before is not None and _same_scores(before, scores):
            blind = bool(before["blind"])
            version = _int_or_none(before.get("guideline_version"))
        repo.ensure_annotators(cur, [actor.name], actor.role)
        repo.save_rating(cur, item_id, actor.name, {
            **dict(zip(DIMENSIONS, scores, strict=True)), "verdict": rating.verdict,
            "comment": comment, "blind": blind, "guideline_version": version,
        })
    return before is None


def _int_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _same_scores(row: dict, scores: Sequence[float | None]) -> bool:
    def norm(v: float | None) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return all(norm(row[d]) == s for d, s in zip(DIMENSIONS, scores, strict=True))


def get_rating(repo: Repository, actor: Actor, item_id: str) -> Rating | None:
    """The actor's own stored rating of item_id, or None."""
    row = repo.rating_of(item_id, actor.name)
    if row is None:
        return None

    def score(v: float | None) -> float | None:
        return None if v is None or pd.isna(v) else float(v)
    return Rating.from_scores((score(row[d]) for d in DIMENSIONS),
                              verdict=row["verdict"] or "approve",
                              comment=row["comment"] if isinstance(row["comment"], str) else None,
                              blind=bool(row["blind"]))


def my_ratings(repo: Repository, actor: Actor, limit: int = 200) -> pd.DataFrame:
    """The actor's own ratings, latest first, to reopen and edit (kept until they change)."""
    key = ("my_ratings", actor.name, limit, rated_items(repo, actor.name).version,
           repo.versions()["items"])
    return memo.cached(repo.db, key, lambda: repo.ratings_by(actor.name, limit))


def compare_with_verifier(rating: Rating, verifier_scores: pd.DataFrame) -> pd.DataFrame:
    """Per dimension: your score, the verifier's (mean over verifiers) and you minus it."""
    theirs = verifier_scores[list(DIMENSIONS)].mean() if len(verifier_scores) else None
    rows = []
    for dim, mine in zip(DIMENSIONS, rating.scores, strict=True):
        other = None if theirs is None or pd.isna(theirs[dim]) else float(theirs[dim])
        diff = None if mine is None or other is None else mine - other
        rows.append({"dimension": dim, "you": mine, "verifier": other, "difference": diff})
    return pd.DataFrame(rows)


# -- decisions ----------------------------------------------------------------------------------
@writes("decide")
def decide(
    repo: Repository, actor: Actor, item_ids: str | Sequence[str], decision: str,
    reason: str | None = None,
) -> int:
    """Approve or reject items (curators); history is kept, the latest decision is in force."""
    require(actor, "decide", repo)
    ids = [item_ids] if isinstance(item_ids, str) else list(dict.fromkeys(item_ids))
    if decision not in DECISIONS:
        raise InputError(f"Decision {decision!r} is unknown; use approve or reject.")
    if not ids:
        raise InputError("No items were given to decide on; select at least one.")
    missing = set(ids) - repo.existing_ids(ids)
    if missing:
        raise NotFoundError(f"Item {sorted(missing)[0]!r} does not exist; nothing was decided.")
    with repo.db.transaction() as cur:
        return repo.add_decisions(cur, ids, decision, actor.name, (reason or "").strip() or None)


def decision_history(repo: Repository, item_id: str) -> pd.DataFrame:
    """Every decision on item_id, latest first: decision, decided_by, reason, rule, created_at."""
    return repo.item_decisions(item_id)


def _rule(rule: str | FilterRule | None) -> FilterRule:
    if isinstance(rule, FilterRule):
        return rule
    return parse_rule(rule if rule is not None else get_settings().filter_rule)


def _scope(decision: str, verifier: str | None, undecided_only: bool) -> RuleScope:
    """Approve picks the scored items passing the rule, reject those failing it."""
    if decision not in DECISIONS:
        raise InputError(f"Decision {decision!r} is unknown; use approve or reject.")
    return RuleScope(ItemWhere(verifier=verifier), undecided_only=undecided_only,
                     failing=decision == "reject")


def bulk_preview(
    repo: Repository, rule: str | FilterRule | None = None, decision: str = "approve", *,
    verifier: str | None = None, undecided_only: bool = True,
) -> BulkPlan:
    """How many scored items a bulk decision would touch: approve those passing the rule (default
    settings.filter_rule), or reject those failing it; by default only undecided items.
    One count(*) in the database."""
    parsed = _rule(rule)
    n, candidates = repo.rule_counts(parsed, _scope(decision, verifier, undecided_only))
    return BulkPlan(str(parsed), decision, n, candidates, parsed.describe())


@writes("bulk_decide")
def bulk_apply(
    repo: Repository, actor: Actor, rule: str | FilterRule | None = None,
    decision: str = "approve", *, verifier: str | None = None, undecided_only: bool = True,
    reason: str | None = None, expected: int | None = None,
) -> BulkPlan:
    """Apply a bulk decision as one INSERT ... SELECT, recording the rule on every decision.

    With expected (the preview's count) a selection that changed since the preview is refused
    and nothing is written, so a curator never applies to more items than they were shown.
    """
    require(actor, "bulk_decide", repo)
    parsed = _rule(rule)
    scope = _scope(decision, verifier, undecided_only)
    what = "passes" if decision == "approve" else "fails"
    with repo.db.transaction() as cur:
        n = repo.decide_by_rule(cur, parsed, scope, decision, actor.name,
                                (reason or "").strip() or f"bulk: {what} {parsed}")
        if expected is not None and n != expected:  # raising rolls the insert back
            raise InputError(
                f"The rule now selects {n} items, not the {expected} previewed; preview "
                "again before applying."
            )
    return BulkPlan(str(parsed), decision, n, None, parsed.describe())
