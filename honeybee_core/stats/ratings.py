"""Rating tables: verifier scores and expert ratings aligned on one item axis."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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
    `from_frames` stores each grid dimension-major (one contiguous run of items per dimension
    and rater) and keeps items as the pandas Index of ids, not copied into Python objects.
    """

    items: np.ndarray | pd.Index
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
        item_codes, items = pd.factorize(
            pd.concat([verifier_scores["item_id"], expert_ratings["item_id"]], ignore_index=True)
        )
        if (item_codes < 0).any():
            raise InputError("Some rows have no item_id; every score must name its item.")
        split = len(verifier_scores)
        if "verifier" in verifier_scores.columns:
            ver_codes, verifiers = _factorize(verifier_scores["verifier"], "verifier")
        else:  # a single verifier
            ver_codes, verifiers = np.zeros(split, dtype=np.int64), np.array(["verifier"])
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
            flags = [_flags(expert_ratings["blind"])]
            blind = _grid(rev_codes, exp_items, flags, (len(reviewers), items), "reviewer")[:, :, 0]
        return cls(items, np.asarray(reviewers), np.asarray(verifiers), expert, verifier, blind)

    @cached_property
    def verifier_mean(self) -> np.ndarray:
        """(items, 4) mean over verifiers who scored the item."""
        return _mean_over_raters(self.verifier)

    @cached_property
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


def _scores(frame: pd.DataFrame, what: str) -> list[np.ndarray]:
    """One float array per dimension (a view of the frame's column where pandas allows)."""
    try:
        columns = [frame[d].to_numpy(dtype="float64", na_value=np.nan) for d in DIMENSIONS]
    except (TypeError, ValueError) as exc:
        raise InputError(f"The {what} scores must be numbers from 0 to 100.") from exc
    # fmin/fmax skip NaN (missing scores), so one cheap pass per column finds any bad value
    if any(np.fmin.reduce(c, initial=0.0) < 0 or np.fmax.reduce(c, initial=0.0) > 100
           for c in columns):
        values = np.column_stack(columns)
        with np.errstate(invalid="ignore"):
            bad = (values < 0) | (values > 100)
        row, col = np.argwhere(bad)[0]
        item = frame["item_id"].iloc[row]
        raise InputError(
            f"The {what} {DIMENSIONS[col]} score {values[row, col]:g} for item {item} is not 0-100."
        )
    return columns


def _flags(column: pd.Series) -> np.ndarray:
    try:
        flags = column.astype("float64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise InputError("The blind column must hold true/false (or empty) values.") from exc
    if not np.isin(flags[~np.isnan(flags)], (0.0, 1.0)).all():
        raise InputError("The blind column must hold true/false (or empty) values.")
    return flags


def _grid(
    rater: np.ndarray,
    item: np.ndarray,
    columns: list[np.ndarray],
    shape: tuple[int, Any],
    what: str,
) -> np.ndarray:
    """(raters, items, k) array from long-format codes and k value columns; shape is
    (n_raters, item ids).

    Stored as (k, raters, items) and returned transposed: the statistics run along items, so
    each dimension's scores lie contiguous and the reductions stream through memory.
    """
    n_raters, item_ids = shape
    n_items = len(item_ids)
    flat = rater.astype(np.int64)  # in place from here: at a million rows each copy counts
    flat *= n_items
    flat += item
    if flat.size and (counts := np.bincount(flat)).max() > 1:
        twice = item_ids[int(np.argmax(counts)) % n_items]
        raise InputError(
            f"Item {twice} has two rows from the same {what}; keep one row per item and {what}."
        )
    out = np.full((len(columns), n_raters * n_items), np.nan)
    for row, values in zip(out, columns, strict=True):
        row[flat] = values
    return out.reshape(len(columns), n_raters, n_items).transpose(1, 2, 0)


def _mean_over_raters(scores: np.ndarray) -> np.ndarray:
    """Mean over axis 0, ignoring NaN; (items, k), laid out like the grid (items contiguous)."""
    cube = scores.transpose(2, 0, 1)  # (k, raters, items)
    if cube.shape[1] == 1:  # one rater: the mean is the scores, NaN where missing
        mean = cube[:, 0].T
    else:
        mean = np.empty((cube.shape[0], cube.shape[2]))
        for total, ratings in zip(mean, cube, strict=True):  # a dimension at a time: small temps
            total[:] = 0.0
            count = np.zeros(cube.shape[2])
            for rater in ratings:
                present = ~np.isnan(rater)
                np.add(total, rater, out=total, where=present)
                count += present
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(total, count, out=total)  # 0 / 0 is NaN where nobody rated
        mean = mean.T
    mean = mean.view()
    mean.flags.writeable = False  # cached on Ratings and shared by every table
    return mean
