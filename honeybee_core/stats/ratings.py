"""Rating tables: verifier scores and expert ratings aligned on one item axis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from honeybee_core.errors import InputError
from honeybee_core.rules import DIMENSIONS


@dataclass(frozen=True, eq=False)
class Ratings:
    """Scores aligned on one item axis; NaN marks a missing score.

    expert[r, i, d] is reviewer r's score for item i on dimension d; verifier[v, i, d] the same for
    LLM verifier v. blind[r, i] is 1.0 (rated blind), 0.0 (saw the verifier) or NaN (unknown).
    Dense matrices suit a handful of reviewers/verifiers (the MatSci-Instruct setting).
    """

    items: np.ndarray
    reviewers: np.ndarray
    verifiers: np.ndarray
    expert: np.ndarray
    verifier: np.ndarray
    blind: np.ndarray | None

    @classmethod
    def from_frames(cls, verifier_scores: pd.DataFrame, expert_ratings: pd.DataFrame) -> Ratings:
        """Build from DataFrames.

        verifier_scores: item_id, [verifier], accuracy, relevance, completeness, reasonableness
        (one row per item and verifier; a missing `verifier` column means a single verifier).
        expert_ratings: item_id, reviewer, the four dimensions, [blind]; one row per item/reviewer.
        """
        _require(verifier_scores, ("item_id", *DIMENSIONS), "verifier scores")
        _require(expert_ratings, ("item_id", "reviewer", *DIMENSIONS), "expert ratings")
        if "verifier" not in verifier_scores.columns:
            verifier_scores = verifier_scores.assign(verifier="verifier")
        item_codes, items = pd.factorize(
            pd.concat([verifier_scores["item_id"], expert_ratings["item_id"]], ignore_index=True)
        )
        if (item_codes < 0).any():
            raise InputError("Some rows have no item_id; every score must name its item.")
        split = len(verifier_scores)
        ver_codes, verifiers = _factorize(verifier_scores["verifier"], "verifier")
        rev_codes, reviewers = _factorize(expert_ratings["reviewer"], "reviewer")
        ver_items, exp_items = item_codes[:split], item_codes[split:]
        verifier = _grid(
            ver_codes,
            ver_items,
            _scores(verifier_scores, "verifier"),
            (len(verifiers), items),
            "verifier",
        )
        expert = _grid(
            rev_codes,
            exp_items,
            _scores(expert_ratings, "expert"),
            (len(reviewers), items),
            "reviewer",
        )
        blind = None
        if "blind" in expert_ratings.columns:
            flags = _flags(expert_ratings["blind"])[:, None]
            blind = _grid(rev_codes, exp_items, flags, (len(reviewers), items), "reviewer")[:, :, 0]
        return cls(
            np.asarray(items), np.asarray(reviewers), np.asarray(verifiers), expert, verifier, blind
        )

    @property
    def verifier_mean(self) -> np.ndarray:
        """(items, 4) mean over verifiers who scored the item."""
        return _mean_over_raters(self.verifier)

    @property
    def expert_mean(self) -> np.ndarray:
        """(items, 4) mean over reviewers who rated the item."""
        return _mean_over_raters(self.expert)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"The {what} table lacks column(s) {', '.join(missing)}; add them.")


def _factorize(column: pd.Series, what: str) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(column)
    if (codes < 0).any():
        raise InputError(f"Some rows have no {what} name; fill in the {what} column.")
    return codes, np.asarray(uniques)


def _scores(frame: pd.DataFrame, what: str) -> np.ndarray:
    try:
        values = frame[list(DIMENSIONS)].to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputError(f"The {what} scores must be numbers from 0 to 100.") from exc
    with np.errstate(invalid="ignore"):
        bad = (values < 0) | (values > 100)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        item = frame["item_id"].iloc[row]
        raise InputError(
            f"The {what} {DIMENSIONS[col]} score {values[row, col]:g} for item {item} is not 0-100."
        )
    return values


def _flags(column: pd.Series) -> np.ndarray:
    try:
        flags = column.astype("float64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise InputError("The blind column must hold true/false (or empty) values.") from exc
    if not np.isin(flags[~np.isnan(flags)], (0.0, 1.0)).all():
        raise InputError("The blind column must hold true/false (or empty) values.")
    return flags


def _grid(
    rater: np.ndarray, item: np.ndarray, values: np.ndarray, shape: tuple[int, Any], what: str
) -> np.ndarray:
    """(raters, items, k) array from long-format codes; shape is (n_raters, item ids)."""
    n_raters, item_ids = shape
    n_items = len(item_ids)
    flat = rater.astype(np.int64) * n_items + item
    if flat.size and (counts := np.bincount(flat)).max() > 1:
        twice = item_ids[int(np.argmax(counts)) % n_items]
        raise InputError(
            f"Item {twice} has two rows from the same {what}; keep one row per item and {what}."
        )
    out = np.full((n_raters * n_items, values.shape[1]), np.nan)
    out[flat] = values
    return out.reshape(n_raters, n_items, values.shape[1])


def _mean_over_raters(scores: np.ndarray) -> np.ndarray:
    present = ~np.isnan(scores)
    count = present.sum(axis=0)
    total = np.where(present, scores, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)
