"""The filter-rule grammar: "mean>=95,min>=90" on the four verifier score dimensions.

A rule is an AND of clauses; each clause compares the mean, the minimum or one dimension of an
item's four scores to a threshold. The same rule runs on numpy arrays (`passes`), compiles to a
parameterised DuckDB WHERE fragment (`where_sql`) and reads as an English sentence (`describe`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from honeybee_core.domain import DIMENSIONS  # the column order of every score matrix
from honeybee_core.errors import InputError

_CLAUSE = re.compile(r"^\s*([a-z_]+)\s*(>=|>)\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*$", re.IGNORECASE)
_FIELDS = ("mean", "min", *DIMENSIONS)
_RULE_HELP = 'write clauses like "mean>=95,min>=90" or "accuracy>=90", separated by commas'
# Column expressions where_sql accepts: a column name, optionally qualified by a table alias.
# They are pasted into SQL, so nothing else (no functions, quotes or spaces) is let through.
_COLUMN = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$")
_OPS_SQL = {">=": ">=", ">": ">"}
_OPS_WORDS = {">=": "at least", ">": "above"}


@dataclass(frozen=True)
class FilterRule:
    """AND of clauses (field, op, threshold); field is mean, min or a dimension."""

    clauses: tuple[tuple[str, str, float], ...]

    def passes(self, scores: ArrayLike) -> np.ndarray:
        """Boolean per row of an (n, 4) score matrix; a missing score fails the rule."""
        scores = score_matrix(scores)
        keep = np.ones(scores.shape[0], dtype=bool)
        for field, op, threshold in self.clauses:
            value = _field_values(scores, field)
            keep &= value >= threshold if op == ">=" else value > threshold
        return keep

    def where_sql(
        self, columns: Mapping[str, str] | Sequence[str] = DIMENSIONS
    ) -> tuple[str, list[float]]:
        """A DuckDB boolean expression for WHERE, and its parameters (the thresholds).

        columns names the SQL expression of each dimension: a mapping by dimension or a
        sequence in DIMENSIONS order, each a column or alias.column. The expression is never
        NULL: a clause on a missing (NULL) score is false, as in `passes`, so NOT (...) selects
        exactly the items that fail. The store keeps a missing score as NULL, never NaN (which
        DuckDB would rank above every number).
        """
        cols = _sql_columns(columns)
        parts: list[str] = []
        params: list[float] = []
        for field, op, threshold in self.clauses:
            if field == "min":  # not least(): it skips NULLs, and a missing score must fail
                parts += [f"{c} {_OPS_SQL[op]} ?" for c in cols.values()]
                params += [threshold] * len(cols)
            else:
                # ((a + b) + c) + d, then / 4: the order numpy's mean adds in, so equal results
                value = f"({' + '.join(cols.values())}) / 4" if field == "mean" else cols[field]
                parts.append(f"{value} {_OPS_SQL[op]} ?")
                params.append(threshold)
        if not parts:  # no clause: everything passes, as in `passes`
            return "true", []
        return f"coalesce({' AND '.join(parts)}, false)", params

    def describe(self) -> str:
        """The rule as a sentence, e.g. "the mean of the four scores is at least 95 and every
        score is at least 90"."""
        if not self.clauses:
            return "every item passes"
        phrases = []
        for field, op, threshold in self.clauses:
            subject = {"mean": "the mean of the four scores is", "min": "every score is"}.get(
                field, f"the {field} score is"
            )
            phrases.append(f"{subject} {_OPS_WORDS[op]} {threshold:g}")
        if len(phrases) == 1:
            return phrases[0]
        return ", ".join(phrases[:-1]) + " and " + phrases[-1]

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{t:g}" for f, op, t in self.clauses)


def _sql_columns(columns: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    """Dimension -> column expression, each checked against the identifier whitelist."""
    if isinstance(columns, Mapping):
        missing = [d for d in DIMENSIONS if d not in columns]
        if missing:
            raise ValueError(f"where_sql needs a column for {', '.join(missing)}.")
        cols = {d: columns[d] for d in DIMENSIONS}
    else:
        if isinstance(columns, str) or len(columns) != len(DIMENSIONS):
            raise ValueError(f"where_sql needs {len(DIMENSIONS)} columns, in DIMENSIONS order.")
        cols = dict(zip(DIMENSIONS, columns, strict=True))
    for expr in cols.values():
        if not isinstance(expr, str) or not _COLUMN.match(expr):
            raise ValueError(f"where_sql takes column names or alias.column, not {expr!r}.")
    return cols


def score_matrix(scores: ArrayLike) -> np.ndarray:
    """Scores as an (n, 4) float matrix in DIMENSIONS order (InputError for any other shape)."""
    matrix = np.asarray(scores, dtype=float)
    if matrix.size == 0:
        return matrix.reshape(0, len(DIMENSIONS))
    if matrix.ndim != 2 or matrix.shape[1] != len(DIMENSIONS):
        raise InputError(f"Scores have shape {matrix.shape}; give one row per item, 4 columns.")
    return matrix


def _field_values(scores: np.ndarray, field: str) -> np.ndarray:
    if field == "mean":
        return scores.mean(axis=1)  # NaN if any score is missing, so the clause fails
    if field == "min":
        return scores.min(axis=1)
    return scores[:, DIMENSIONS.index(field)]


def parse_rule(text: str) -> FilterRule:
    """Parse "mean>=95,min>=90", "accuracy>=90", ... into a FilterRule (InputError if invalid)."""
    parts = [p for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise InputError(f"The filter rule is empty; {_RULE_HELP}.")
    clauses = []
    for part in parts:
        match = _CLAUSE.match(part)
        if match is None:
            raise InputError(f'Cannot read "{part.strip()}" in the filter rule; {_RULE_HELP}.')
        field, op, number = match.group(1).lower(), match.group(2), float(match.group(3))
        if field not in _FIELDS:
            raise InputError(
                f'"{field}" is not a score in the filter rule; use mean, min or one of '
                f"{', '.join(DIMENSIONS)}."
            )
        if not 0.0 <= number <= 100.0:
            raise InputError(f'The threshold in "{part.strip()}" is outside the 0-100 score scale.')
        clauses.append((field, op, number))
    return FilterRule(tuple(clauses))
