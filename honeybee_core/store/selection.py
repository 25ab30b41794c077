"""Items picked in bulk by a filter rule (bulk decisions, curation, the home page's pass rate;
a bulk decision on the filtered table is ExploreQueries.decide_explored). Each selection is one
SQL query, so a preview is a count(*), a bulk decision one INSERT ... SELECT into decisions (and
one UPDATE of the items' derived rows), and no list of ids crosses into Python and back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import DIMENSIONS, RuleScope
from honeybee_core.store import derived
from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor
from honeybee_core.store.explore import scored_items

if TYPE_CHECKING:  # hints only: rules loads numpy
    from honeybee_core.rules import FilterRule

_INSERT_DECISIONS = (
    "INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
    " SELECT id, ?, ?, ?, ? FROM "
)


class SelectionQueries(Tables):
    """Count, list or decide on the items a rule picks."""

    def rule_counts(self, rule: FilterRule, scope: RuleScope,
                    cur: Cursor | None = None) -> tuple[int, int]:
        """(picked, candidates): how many scored items in scope the rule picks, out of how
        many scored items are in scope."""
        sql, params = _rule_candidates(rule, scope)
        picked = "NOT passes" if scope.failing else "passes"
        row = (cur or self.db.cursor()).execute(
            sql + " SELECT count(*) FILTER (WHERE " + picked + "), count(*) FROM candidates",
            params,
        ).fetchall()[0]
        return int(row[0]), int(row[1])

    def rule_ids(self, rule: FilterRule, scope: RuleScope) -> list[str]:
        """Ids of the items the rule picks in scope, sorted."""
        sql, params = _rule_picks(rule, scope)
        return [r[0] for r in self.db.cursor().execute(
            "SELECT id FROM (" + sql + ") ORDER BY id", params).fetchall()]

    def decide_by_rule(self, cur: Cursor, rule: FilterRule, scope: RuleScope, decision: str,
                       by: str, reason: str | None) -> int:
        """Record decision on every item the rule picks, the rule on each: one statement, in
        cur's transaction. Returns how many items it decided."""
        sql, params = _rule_picks(rule, scope)
        last = derived.last_decision(cur)
        n = _written(cur.execute(_INSERT_DECISIONS + "(" + sql + ")",
                                 [decision, by, reason, str(rule), *params]))
        derived.refresh_decisions_since(cur, last)
        return n


def _written(cur: Cursor) -> int:
    """The row count an INSERT answers with."""
    return int(cur.fetchall()[0][0])


def _rule_candidates(rule: FilterRule, scope: RuleScope) -> tuple[str, list[Any]]:
    """`WITH ..., candidates AS (id, passes)`: the scored items in scope, each with whether it
    passes the rule (never NULL). The one query behind every rule selection."""
    cte, params = scored_items(scope.where, scored_only=True, kept_only=scope.kept_only)
    passes, thresholds = rule.where_sql({d: f"p.{d}" for d in DIMENSIONS})
    # semi- and anti-joins, and only those the scope asks for: a LEFT JOIN to the decisions
    # in force costs half as much again at 100,000 items
    clauses = [text for wanted, text in (
        (scope.undecided_only, "p.id NOT IN (SELECT instruction_id FROM current_decisions)"),
        (scope.approved_only, "p.id IN (SELECT instruction_id FROM current_decisions"
                              " WHERE decision = 'approve')"),
        (scope.rejected_out, "p.id NOT IN (SELECT instruction_id FROM current_decisions"
                             " WHERE decision = 'reject')"),
        (scope.heldout_out, "p.id NOT IN (SELECT instruction_id FROM heldout_items)"),
        (bool(scope.exclude), "p.id NOT IN (SELECT unnest(?::VARCHAR[]))"),
    ) if wanted]
    sql = (cte + ", candidates AS (SELECT p.id, " + passes + " AS passes FROM pool p"
           + (" WHERE " + " AND ".join(clauses) if clauses else "") + ")")
    return sql, [*params, *thresholds, *([sorted(scope.exclude)] if scope.exclude else [])]


def _rule_picks(rule: FilterRule, scope: RuleScope) -> tuple[str, list[Any]]:
    """A SELECT of the ids the rule picks in scope."""
    sql, params = _rule_candidates(rule, scope)
    return sql + " SELECT id FROM candidates WHERE " + (
        "NOT passes" if scope.failing else "passes"), params
