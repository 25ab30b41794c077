"""The words the store and the services share: score dimensions, verdicts, item filters, the
explore query and its whitelists, the scope of a filter rule, and the content id of a triple.

A low module: it imports nothing of honeybee_core but the errors, so both sides can import it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from honeybee_core.errors import InputError

# The verifier's (and the experts') four scores, 0-100 each, in this order everywhere.
DIMENSIONS: tuple[str, ...] = ("accuracy", "relevance", "completeness", "reasonableness")
SCORE_COLUMNS: list[str] = list(DIMENSIONS)  # the same names as table columns (pandas wants lists)

VERDICTS: tuple[str, ...] = ("approve", "reject", "skip", "flag")  # a reviewer's call
DECISIONS: tuple[str, ...] = ("approve", "reject")  # a curator's call; the latest is in force

# Explore: what the item table sorts on, filters by range and by decision. SQL takes these
# names as they are, so a query is checked against them when it is made (ExploreQuery).
SORT_COLUMNS: tuple[str, ...] = (
    "created_at", "id", "stage", "topic", "task_type", "source", "verifier_mean", *DIMENSIONS,
    "n_ratings", "expert_mean", "decision",
)
RANGE_COLUMNS: tuple[str, ...] = (*DIMENSIONS, "verifier_mean")
DECISION_FILTERS: tuple[str, ...] = (*DECISIONS, "undecided")
MAX_PAGE_SIZE = 500


def content_id(instruction: str, input_text: str, output: str) -> str:
    """Stable id of a triple: the same text always gets the same id, so re-imports add nothing."""
    # length prefixes make the encoding unambiguous whatever characters the fields hold
    blob = f"{len(instruction)}:{instruction}{len(input_text)}:{input_text}{output}"
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:20]


@dataclass(frozen=True)
class ItemWhere:
    """Item filters shared by the review queue and the explore table (empty = no filter)."""

    stages: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    verifier: str | None = None


@dataclass(frozen=True)
class ExploreQuery:
    """Filters, sort and page of the item table. Empty filters and None mean "any".

    Checked once, here: a query that exists is valid, so the store may put its sort and range
    column names into SQL.
    """

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

    def __post_init__(self) -> None:
        if self.sort not in SORT_COLUMNS:
            raise InputError(
                f"Cannot sort by {self.sort!r}; use one of {', '.join(SORT_COLUMNS)}.")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE or self.page < 0:
            raise InputError(
                f"Page {self.page} of size {self.page_size} is invalid; pages start at 0 and hold "
                f"1 to {MAX_PAGE_SIZE} rows."
            )
        if self.decision is not None and self.decision not in DECISION_FILTERS:
            raise InputError(
                f"Decision filter {self.decision!r} is unknown; use {', '.join(DECISION_FILTERS)}."
            )
        for column, (low, high) in self.ranges.items():
            if column not in RANGE_COLUMNS:
                raise InputError(f"No score range on {column!r}; use {', '.join(RANGE_COLUMNS)}.")
            if not 0 <= low <= high <= 100:
                raise InputError(
                    f"The {column} range {low}-{high} must lie within 0-100, low first.")

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return self.page * self.page_size


@dataclass(frozen=True)
class RuleScope:
    """The scored items a filter rule is weighed on, and which of them it picks: those that
    pass (approve, curation) or those that fail (reject). Unscored items are never candidates.
    Empty and False mean "any"."""

    where: ItemWhere = field(default_factory=ItemWhere)  # stages, topics, ..., one verifier
    undecided_only: bool = False   # no decision in force
    approved_only: bool = False    # the decision in force is approve
    rejected_out: bool = False     # the decision in force is not reject
    kept_only: bool = False        # near-duplicates out
    exclude: frozenset[str] = frozenset()  # these ids out
    heldout_out: bool = False      # items of any held-out evaluation set out
    failing: bool = False          # pick the items that fail the rule
