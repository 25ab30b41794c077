"""Verifier/expert agreement statistics: pure numpy functions, no database, no Streamlit.

Inputs are two DataFrames (see `Ratings.from_frames`): LLM-verifier scores and expert ratings,
both 0-100 on the four MatSci-Instruct dimensions. Every result is plain Python (dicts, lists,
frozen dataclasses) so the CLI (`honeybee agreement --json`) and the page show the same thing.
Undefined statistics are None with a status and a one-sentence message, never NaN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special, stats

from honeybee_core.errors import InputError

DIMENSIONS: tuple[str, ...] = ("accuracy", "relevance", "completeness", "reasonableness")
PAPER_RANGE: tuple[float, float] = (0.6, 0.8)
METHODS: tuple[str, ...] = ("spearman", "pearson")

_MIN_PAIRS = 3
# Bootstrap work is split into blocks of about this many resampled values (~16 MB per array).
_BLOCK_VALUES = 1 << 21
_SYMBOL = {"spearman": "Spearman rho", "pearson": "Pearson r"}


# --------------------------------------------------------------------------- correlation + CIs


@dataclass(frozen=True)
class Correlation:
    """One correlation with its CI; estimate/p_value/CI are None unless status is "ok"."""

    method: str
    n: int
    estimate: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str
    status: str  # "ok" | "not_enough_data" | "constant_input"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError(f'Correlation method "{method}" is unknown; use "spearman" or "pearson".')


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"Confidence level {confidence} must be between 0 and 1, e.g. 0.95.")


def fisher_se(r: ArrayLike, n: ArrayLike, method: str = "spearman") -> np.ndarray:
    """Standard error of atanh(r): Bonett-Wright for Spearman, 1/sqrt(n-3) for Pearson."""
    _check_method(method)
    r, n = np.asarray(r, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (1.0 + r**2 / 2.0) if method == "spearman" else np.ones_like(r)
        return np.where(n > 3, np.sqrt(var / (n - 3)), np.nan)


def fisher_ci(
    r: ArrayLike, n: ArrayLike, method: str = "spearman", confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-z confidence interval, vectorised over r and n; NaN where n <= 3 or r is NaN."""
    _check_confidence(confidence)
    r = np.asarray(r, dtype=float)
    half = stats.norm.ppf(0.5 + confidence / 2.0) * fisher_se(r, n, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(r)  # +-inf for r = +-1, which tanh maps back to +-1
        return np.tanh(z - half), np.tanh(z + half)


def _p_values(r: np.ndarray, n: np.ndarray | int, method: str) -> np.ndarray:
    """Two-sided p-values with exactly the formulas scipy's spearmanr / pearsonr use."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "pearson":
            ab = np.asarray(n, dtype=float) / 2.0 - 1.0
            return 2.0 * special.betaincc(ab, ab, (np.abs(r) + 1.0) / 2.0)
        dof = np.asarray(n, dtype=float) - 2.0
        t = r * np.sqrt((dof / ((r + 1.0) * (1.0 - r))).clip(0))
        return 2.0 * special.stdtr(dof, -np.abs(t))


def _columnwise_r(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    """Pearson r between matching slices along `axis`; NaN where a slice is constant."""
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a * b).sum(axis=axis) / np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    return np.clip(r, -1.0, 1.0)


def _value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes ordered like the values (equal values share one), and the number of codes.

    Integer scores (the usual 0-100) are their own codes, which skips the sort inside np.unique;
    gaps between codes are harmless to the counting in `_ranks_from_codes`.
    """
    low, high = values.min(), values.max()
    if high - low <= 4 * values.size + 100 and np.array_equal(values, np.round(values)):
        return (values - low).astype(np.int64), int(high - low) + 1
    codes = np.unique(values, return_inverse=True)[1].ravel()
    return codes, int(codes.max()) + 1


def _ranks_from_codes(codes: np.ndarray, n_codes: int, idx: np.ndarray) -> np.ndarray:
    """Average ranks inside each row of idx (B, n), a set of positions into the coded values.

    A value's rank only depends on how many values in its row are smaller or equal, so a bincount
    per row plus a cumulative sum gives exactly scipy's average ranks, in O(n) per row, no sort.
    """
    rows = idx.shape[0]
    code = codes[idx]
    offset = (np.arange(rows) * n_codes)[:, None]
    counts = np.bincount((code + offset).ravel(), minlength=rows * n_codes)
    counts = counts.reshape(rows, n_codes)
    mean_rank = np.cumsum(counts, axis=1) - (counts - 1) / 2.0  # ties share their mean rank
    return np.take_along_axis(mean_rank, code, axis=1)


def average_ranks(values: ArrayLike) -> np.ndarray:
    """Ranks of each column, ties given their average rank: equal to scipy.stats.rankdata."""
    values = _as_float_2d(values)
    ranks = np.empty(values.shape)
    if values.shape[0] == 0:
        return ranks
    identity = np.arange(values.shape[0])[None, :]
    for j in range(values.shape[1]):
        ranks[:, j] = _ranks_from_codes(*_value_codes(values[:, j]), identity)[0]
    return ranks


def _estimates(x: np.ndarray, y: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(r, p) for each column of complete, non-constant (n, k) arrays."""
    if method == "spearman":
        x, y = average_ranks(x), average_ranks(y)
    r = _columnwise_r(x, y, axis=0)
    return r, _p_values(r, x.shape[0], method)


def _as_float_2d(values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def correlate_columns(
    x: ArrayLike,
    y: ArrayLike,
    method: str = "spearman",
    *,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[Correlation]:
    """Correlation of each column of x (n, k) with the same column of y; NaN pairs dropped.

    Columns without missing values are computed together in one vectorised pass.
    """
    _check_method(method)
    _check_confidence(confidence)
    if ci not in ("fisher", "bootstrap"):
        raise InputError(f'Confidence interval method "{ci}" is unknown; use fisher or bootstrap.')
    x, y = _as_float_2d(x), _as_float_2d(y)
    if x.shape != y.shape:
        raise InputError(f"x has shape {x.shape} but y has {y.shape}; they must match.")
    complete = ~(np.isnan(x) | np.isnan(y))
    ns = complete.sum(axis=0)
    status = [_status(x[complete[:, j], j], y[complete[:, j], j]) for j in range(x.shape[1])]
    r = np.full(x.shape[1], np.nan)
    p = np.full(x.shape[1], np.nan)
    good = np.array([s == "ok" for s in status], dtype=bool)
    dense = good & complete.all(axis=0)
    if dense.any():
        r[dense], p[dense] = _estimates(x[:, dense], y[:, dense], method)
    for j in np.flatnonzero(good & ~dense):
        keep = complete[:, j]
        rj, pj = _estimates(x[keep, j : j + 1], y[keep, j : j + 1], method)
        r[j], p[j] = rj[0], pj[0]
    if ci == "fisher":
        low, high = fisher_ci(r, ns, method, confidence)
    else:
        low, high = np.full_like(r, np.nan), np.full_like(r, np.nan)
        for j in np.flatnonzero(good):
            keep = complete[:, j]
            low[j], high[j] = _bootstrap_interval(
                x[keep, j], y[keep, j], method, n_boot, seed, confidence
            )
    return [
        _make_correlation(
            method, int(ns[j]), r[j], p[j], (low[j], high[j], ci, confidence), status[j]
        )
        for j in range(x.shape[1])
    ]


def correlate(
    x: ArrayLike,
    y: ArrayLike,
    method: str = "spearman",
    *,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Correlation:
    """Spearman or Pearson correlation of two 1-D arrays, with a Fisher or bootstrap CI."""
    x_arr, y_arr = np.ravel(np.asarray(x, dtype=float)), np.ravel(np.asarray(y, dtype=float))
    return correlate_columns(
        x_arr, y_arr, method, ci=ci, n_boot=n_boot, seed=seed, confidence=confidence
    )[0]


def _status(x: np.ndarray, y: np.ndarray) -> str:
    if x.size < _MIN_PAIRS:
        return "not_enough_data"
    if np.all(x == x[0]) or np.all(y == y[0]):
        return "constant_input"
    return "ok"


def _num(value: Any) -> float | None:
    """A finite Python float, or None (never NaN/inf in results)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _make_correlation(
    method: str, n: int, r: float, p: float, interval: tuple[float, float, str, float], status: str
) -> Correlation:
    low, high, ci, confidence = interval
    if status != "ok":
        return Correlation(
            method, n, None, None, None, None, ci, status, _status_message(status, n)
        )
    estimate, ci_low, ci_high = _num(r), _num(low), _num(high)
    text = f"{_SYMBOL[method]} = {estimate:.2f}"
    if ci_low is None or ci_high is None:
        ci_low = ci_high = None
        text += f", n = {n}; a {ci} CI needs more varied pairs (Fisher: at least 4)."
    else:
        text += f" ({confidence:.0%} {ci} CI {ci_low:.2f} to {ci_high:.2f}), n = {n}."
    return Correlation(method, n, estimate, _num(p), ci_low, ci_high, ci, "ok", text)


def _status_message(status: str, n: int) -> str:
    if status == "not_enough_data":
        return f"Only {n} complete pairs; a correlation needs at least {_MIN_PAIRS}."
    return "One side gives every item the same score, so the correlation is undefined."


# --------------------------------------------------------------------------- bootstrap


def resampled_correlations(
    x: np.ndarray, y: np.ndarray, idx: np.ndarray, method: str = "spearman"
) -> np.ndarray:
    """Correlation for each row of resample indices idx (B, n); NaN for constant resamples."""
    _check_method(method)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if method == "pearson":
        return _columnwise_r(x[idx], y[idx], axis=1)
    rank_x = _ranks_from_codes(*_value_codes(x), idx)
    return _columnwise_r(rank_x, _ranks_from_codes(*_value_codes(y), idx), axis=1)


def bootstrap_distribution(
    x: np.ndarray, y: np.ndarray, method: str = "spearman", n_boot: int = 1000, seed: int = 0
) -> np.ndarray:
    """n_boot bootstrap correlations of complete pairs (x, y), reproducible from `seed`."""
    if n_boot < 1:
        raise InputError(f"n_boot is {n_boot}; ask for at least 1 bootstrap resample.")
    rng = np.random.default_rng(seed)
    n = x.size
    rows = max(1, _BLOCK_VALUES // max(n, 1))  # bounded memory; each block is still vectorised
    out = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        stop = min(start + rows, n_boot)
        out[start:stop] = resampled_correlations(
            x, y, rng.integers(0, n, (stop - start, n)), method
        )
    return out


def _bootstrap_interval(
    x: np.ndarray, y: np.ndarray, method: str, n_boot: int, seed: int, confidence: float
) -> tuple[float, float]:
    reps = bootstrap_distribution(x, y, method, n_boot, seed)
    reps = reps[~np.isnan(reps)]  # resamples that drew a single distinct value
    if reps.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(reps, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    return float(low), float(high)


# --------------------------------------------------------------------------- Krippendorff alpha


def krippendorff_alpha_interval(reliability_data: ArrayLike) -> float | None:
    """Krippendorff's alpha (interval) of a raters x units matrix with NaN for missing ratings.

    Closed form of the coincidence-matrix definition the `krippendorff` package uses (equal to it
    to 1e-12, see tests), in O(raters x units): the package builds a units x values x values array,
    about 4 GB for 50,000 items scored 0-100. None when undefined (no unit rated twice, or no
    variation among pairable ratings).
    """
    data = np.asarray(reliability_data, dtype=float)
    if data.ndim != 2:
        raise InputError(f"Reliability data must be raters x units (2-D), not {data.ndim}-D.")
    return _num(_alpha_interval(data[:, :, None])[0])


def _alpha_interval(data: np.ndarray) -> np.ndarray:
    """Alpha for each slice data[:, :, k] of a raters x units x k array; NaN where undefined."""
    present = ~np.isnan(data)
    present &= present.sum(axis=0) >= 2  # a unit rated once has nothing to agree with
    m_u = present.sum(axis=0)
    n_values = m_u.sum(axis=0)
    values = np.where(present, data, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_mean = values.sum(axis=0) / np.maximum(m_u, 1)
        within = (np.where(present, values - unit_mean, 0.0) ** 2).sum(axis=0)
        grand = values.sum(axis=(0, 1)) / n_values
        total = (np.where(present, values - grand, 0.0) ** 2).sum(axis=(0, 1))
        # sum over ordered pairs i != j of (v_i - v_j)^2 is 2 m sum (v_i - mean)^2
        observed = (2.0 * m_u * within / np.maximum(m_u - 1, 1)).sum(axis=0)
        expected = 2.0 * n_values * total / (n_values - 1)
        return np.where(expected > 0, 1.0 - observed / expected, np.nan)


# --------------------------------------------------------------------------- ratings input


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


# --------------------------------------------------------------------------- agreement tables


def _records(correlations: list[Correlation], **labels: Any) -> list[dict[str, Any]]:
    plain = {k: _plain(v) for k, v in labels.items()}
    return [
        {**plain, "dimension": d, **c.to_dict()}
        for d, c in zip(DIMENSIONS, correlations, strict=True)
    ]


def verifier_vs_experts(
    ratings: Ratings, *, ci: str = "fisher", n_boot: int = 1000, seed: int = 0
) -> list[dict[str, Any]]:
    """Per dimension and method: verifier item score vs the mean of the experts who rated it."""
    x, y = ratings.verifier_mean, ratings.expert_mean
    return [
        row
        for method in METHODS
        for row in _records(correlate_columns(x, y, method, ci=ci, n_boot=n_boot, seed=seed))
    ]


def per_reviewer(ratings: Ratings) -> list[dict[str, Any]]:
    """Per reviewer, dimension and method: the reviewer's scores vs the verifier's."""
    x = ratings.verifier_mean
    return [
        row
        for r, name in enumerate(ratings.reviewers)
        for method in METHODS
        for row in _records(correlate_columns(x, ratings.expert[r], method), reviewer=name)
    ]


def verifier_vs_verifier(ratings: Ratings) -> list[dict[str, Any]]:
    """Per pair of verifiers, dimension and method, on the items both scored."""
    names, scores = ratings.verifiers, ratings.verifier
    return [
        row
        for a in range(len(names))
        for b in range(a + 1, len(names))
        for method in METHODS
        for row in _records(
            correlate_columns(scores[a], scores[b], method),
            verifier_a=names[a],
            verifier_b=names[b],
        )
    ]


def inter_expert_alpha(ratings: Ratings) -> list[dict[str, Any]]:
    """Krippendorff's alpha (interval) among reviewers, per dimension."""
    alphas = _alpha_interval(ratings.expert)
    rated = (~np.isnan(ratings.expert)).sum(axis=0)  # (items, dims)
    rows = []
    for d, dim in enumerate(DIMENSIONS):
        value, pairable = _num(alphas[d]), rated[:, d] >= 2
        if value is not None:
            status, message = "ok", f"Krippendorff's alpha (interval) = {value:.2f}."
        elif not pairable.any():
            status, message = "not_enough_data", "No item was rated by two reviewers yet."
        else:
            status, message = "constant_input", "All rated items got the same score; alpha is 0/0."
        rows.append(
            {
                "dimension": dim,
                "alpha": value,
                "n_items": int(pairable.sum()),
                "n_ratings": int(rated[pairable, d].sum()),
                "status": status,
                "message": message,
            }
        )
    return rows


def reviewer_matrix(ratings: Ratings) -> dict[str, dict[str, Any]]:
    """Per dimension, reviewer x reviewer Spearman on co-rated items, with n and status."""
    names = [_plain(r) for r in ratings.reviewers]
    size = len(names)
    out = {
        dim: {
            "reviewers": names,
            "estimate": [[None] * size for _ in range(size)],
            "n": [[0] * size for _ in range(size)],
            "status": [["not_enough_data"] * size for _ in range(size)],
        }
        for dim in DIMENSIONS
    }
    for a in range(size):
        for b in range(a, size):
            pair = correlate_columns(ratings.expert[a], ratings.expert[b], "spearman")
            for dim, c in zip(DIMENSIONS, pair, strict=True):
                for i, j in ((a, b), (b, a)):
                    out[dim]["estimate"][i][j] = c.estimate
                    out[dim]["n"][i][j] = c.n
                    out[dim]["status"][i][j] = c.status
    return out


def anchoring_check(ratings: Ratings) -> list[dict[str, Any]]:
    """Blind vs non-blind ratings: distance to and correlation with the verifier, per dimension.

    Anchoring shows as non-blind ratings sitting closer to the verifier (smaller mean absolute
    difference, higher correlation). The Mann-Whitney U p-value compares the two distributions
    of absolute differences.
    """
    verifier = ratings.verifier_mean
    rows = []
    for d, dim in enumerate(DIMENSIONS):
        expert = ratings.expert[:, :, d]
        ver = np.broadcast_to(verifier[:, d], expert.shape)
        usable = ~np.isnan(expert) & ~np.isnan(ver)
        blind = ratings.blind if ratings.blind is not None else np.full(expert.shape, np.nan)
        groups = {
            label: (expert[usable & (blind == flag)], ver[usable & (blind == flag)])
            for label, flag in (("blind", 1.0), ("non_blind", 0.0))
        }
        row = _anchoring_row(groups)
        if ratings.blind is None:
            row["message"] = "The expert ratings have no blind column, so anchoring is unknown."
        rows.append({"dimension": dim, **row})
    return rows


def _anchoring_row(groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    diffs = {}
    for label, (exp, ver) in groups.items():
        diffs[label] = np.abs(exp - ver)
        row[f"n_{label}"] = int(exp.size)
        row[f"mean_abs_diff_{label}"] = _num(diffs[label].mean()) if exp.size else None
        row[f"correlation_{label}"] = correlate(ver, exp, "spearman").to_dict()
    enough = min(row["n_blind"], row["n_non_blind"]) >= _MIN_PAIRS
    row["mann_whitney_p"] = None
    if enough:
        test = stats.mannwhitneyu(diffs["blind"], diffs["non_blind"], alternative="two-sided")
        row["mann_whitney_p"] = _num(test.pvalue)
        row["difference"] = _num(row["mean_abs_diff_non_blind"] - row["mean_abs_diff_blind"])
        p_text = "n/a" if row["mann_whitney_p"] is None else f"{row['mann_whitney_p']:.3g}"
        row["status"] = "ok"
        row["message"] = (
            f"Non-blind ratings sit {row['difference']:+.1f} points further from the verifier"
            f" than blind ones (negative = closer; Mann-Whitney p = {p_text})."
        )
    else:
        row["difference"] = None
        row["status"] = "not_enough_data"
        row["message"] = f"Needs at least {_MIN_PAIRS} blind and {_MIN_PAIRS} non-blind ratings."
    return row


# --------------------------------------------------------------------------- filter rules

_CLAUSE = re.compile(r"^\s*([a-z_]+)\s*(>=|>)\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*$", re.IGNORECASE)
_FIELDS = ("mean", "min", *DIMENSIONS)
_RULE_HELP = 'write clauses like "mean>=95,min>=90" or "accuracy>=90", separated by commas'


@dataclass(frozen=True)
class FilterRule:
    """AND of clauses (field, op, threshold); field is mean, min or a dimension."""

    clauses: tuple[tuple[str, str, float], ...]

    def passes(self, scores: ArrayLike) -> np.ndarray:
        """Boolean per row of an (n, 4) score matrix; a missing score fails the rule."""
        scores = _score_matrix(scores)
        keep = np.ones(scores.shape[0], dtype=bool)
        for field, op, threshold in self.clauses:
            value = _field_values(scores, field)
            keep &= value >= threshold if op == ">=" else value > threshold
        return keep

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{t:g}" for f, op, t in self.clauses)


def _score_matrix(scores: ArrayLike) -> np.ndarray:
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


def _prf(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> tuple[np.ndarray, ...]:
    tp, fp, fn = (np.asarray(v, dtype=float) for v in (tp, fp, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return precision, recall, f1


def _metric_row(tp: int, fp: int, fn: int, tn: int) -> dict[str, Any]:
    precision, recall, f1 = _prf(tp, fp, fn)
    return {
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "tn": int(tn),
        "precision": _num(precision),
        "recall": _num(recall),
        "f1": _num(f1),
    }


def _approval_array(approved: ArrayLike, n: int) -> np.ndarray:
    flags = np.asarray(approved)
    if flags.shape != (n,):
        raise InputError(f"Got {flags.size} approvals for {n} scored items; give one per item.")
    return flags.astype(bool)


def rule_metrics(rule: FilterRule | str, scores: ArrayLike, approved: ArrayLike) -> dict[str, Any]:
    """Confusion counts, precision, recall and F1 of a rule against expert approvals."""
    rule = parse_rule(rule) if isinstance(rule, str) else rule
    keep = rule.passes(scores)
    ok = _approval_array(approved, keep.size)
    counts = [
        int(np.sum(keep & ok)),
        int(np.sum(keep & ~ok)),
        int(np.sum(~keep & ok)),
        int(np.sum(~keep & ~ok)),
    ]
    return {"rule": str(rule), "n": int(keep.size), **_metric_row(*counts)}


def threshold_sweep(
    scores: ArrayLike,
    approved: ArrayLike,
    mean_grid: ArrayLike | None = None,
    min_grid: ArrayLike | None = None,
    *,
    min_recall: float = 0.8,
) -> dict[str, Any]:
    """Precision/recall/F1 of "mean>=a,min>=b" for every (a, b) on the grids.

    Vectorised by counting: each item lands in one (a-index, b-index) cell of a 2-D histogram, and
    the items passing (a, b) are a suffix sum of it, so the cost is O(items + grid), not a product.
    Returns every point, the best-F1 rule and the most precise rule with recall >= min_recall.
    """
    scores = _score_matrix(scores)
    ok = _approval_array(approved, scores.shape[0])
    means = np.unique(np.arange(0, 101, 5.0) if mean_grid is None else np.asarray(mean_grid, float))
    mins = np.unique(np.arange(0, 101, 5.0) if min_grid is None else np.asarray(min_grid, float))
    tp, fp = (_passing_counts(scores[sel], means, mins) for sel in (ok, ~ok))
    fn, tn = ok.sum() - tp, (~ok).sum() - fp
    precision, recall, f1 = _prf(tp, fp, fn)
    a_idx, b_idx = np.meshgrid(np.arange(means.size), np.arange(mins.size), indexing="ij")
    points = [
        {
            "mean_min": float(means[a]),
            "min_min": float(mins[b]),
            **_metric_row(tp[a, b], fp[a, b], fn[a, b], tn[a, b]),
        }
        for a, b in zip(a_idx.ravel(), b_idx.ravel(), strict=True)
    ]
    eligible = np.where(recall >= min_recall, precision, np.nan)
    return {
        "n": int(ok.size),
        "n_approved": int(ok.sum()),
        "min_recall": min_recall,
        "points": points,
        "best_f1": _best(points, f1),
        "best_precision_at_recall": _best(points, eligible),
    }


def _passing_counts(scores: np.ndarray, means: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """counts[a, b] = rows with mean >= means[a] and min >= mins[b] (grids sorted ascending)."""
    mean, low = scores.mean(axis=1), scores.min(axis=1)
    missing = np.isnan(mean)  # searchsorted would put NaN above every threshold
    a = np.where(missing, 0, np.searchsorted(means, mean, side="right"))
    b = np.where(missing, 0, np.searchsorted(mins, low, side="right"))
    shape = (means.size + 1, mins.size + 1)
    hist = np.bincount(a * shape[1] + b, minlength=shape[0] * shape[1]).reshape(shape)
    suffix = hist[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
    return suffix[1:, 1:]  # cell (a, b) passes every threshold index below it


def _best(points: list[dict[str, Any]], score: np.ndarray) -> dict[str, Any] | None:
    flat = score.ravel()
    if np.all(np.isnan(flat)):
        return None
    point = points[int(np.nanargmax(flat))]
    return {"rule": f"mean>={point['mean_min']:g},min>={point['min_min']:g}", **point}


# --------------------------------------------------------------------------- sample size


def ci_width(rho: float, n: int, method: str = "spearman", confidence: float = 0.95) -> float:
    """Width of the Fisher CI at n pairs (2.0, the whole range, when n <= 3)."""
    low, high = fisher_ci(rho, n, method, confidence)
    width = float(high - low)
    return width if math.isfinite(width) else 2.0


def plan_sample_size(
    rho: float,
    target_width: float,
    n_current: int = 0,
    *,
    method: str = "spearman",
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Smallest n whose Fisher CI on rho is narrower than target_width, and how many more items.

    With c = cosh(2 atanh(rho)), the width tanh(z+h) - tanh(z-h) = 2 sinh(2h) / (c + cosh(2h)),
    so W = width solves to cosh(2h) = (W^2 c + 2 sqrt(W^2 (c^2 - 1) + 4)) / (4 - W^2) and then
    n = 3 + (z_crit^2 var) / h^2.
    """
    if not -1.0 < rho < 1.0:
        raise InputError(f"rho is {rho}; plan with an estimate strictly between -1 and 1.")
    if not target_width > 0.0:
        raise InputError(f"Target CI width {target_width} must be above 0, e.g. 0.2.")
    z_crit = stats.norm.ppf(0.5 + confidence / 2.0)
    _check_method(method)
    var = 1.0 + rho**2 / 2.0 if method == "spearman" else 1.0
    if target_width >= 2.0:
        n_required = 4
    else:
        c, w2 = math.cosh(2.0 * math.atanh(rho)), target_width**2
        cosh_2h = (w2 * c + 2.0 * math.sqrt(w2 * (c * c - 1.0) + 4.0)) / (4.0 - w2)
        h = math.acosh(cosh_2h) / 2.0
        n_required = max(4, math.floor(3.0 + z_crit**2 * var / h**2) + 1)
        # guard the closed form against rounding at the boundary
        while ci_width(rho, n_required, method, confidence) >= target_width:
            n_required += 1
        while n_required > 4 and ci_width(rho, n_required - 1, method, confidence) < target_width:
            n_required -= 1
    return {
        "rho": float(rho),
        "target_width": float(target_width),
        "method": method,
        "confidence": confidence,
        "n_current": int(n_current),
        "n_required": n_required,
        "n_more": max(0, n_required - int(n_current)),
        "width_now": ci_width(rho, n_current, method, confidence) if n_current else None,
        "width_at_required": ci_width(rho, n_required, method, confidence),
    }


# --------------------------------------------------------------------------- full report


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def json_safe(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays into Python values and NaN/inf into None."""
    if isinstance(value, Mapping):
        return {str(_plain(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _approvals_for(ratings: Ratings, approvals: Mapping[Any, bool] | pd.Series) -> np.ndarray:
    """Per item: 1.0 approved, 0.0 rejected, NaN unknown."""
    lookup = {}
    for key, value in pd.Series(approvals, dtype="object").items():
        if value is None or pd.isna(value):
            continue
        if value not in (True, False):  # also accepts 1/0, but never "reject" -> True
            raise InputError(f"Approval {value!r} for item {key} must be true or false.")
        lookup[key] = float(bool(value))
    return np.array([lookup.get(item, np.nan) for item in ratings.items.tolist()])


def _filter_section(
    ratings: Ratings,
    approvals: Mapping[Any, bool] | pd.Series | None,
    rule: str | None,
    min_recall: float,
) -> dict[str, Any] | None:
    if approvals is None:
        return None
    flags = _approvals_for(ratings, approvals)
    scores = ratings.verifier_mean
    keep = ~np.isnan(flags) & ~np.isnan(scores).all(axis=1)
    scores, ok = scores[keep], flags[keep].astype(bool)
    return {
        "rule": rule_metrics(rule, scores, ok) if rule else None,
        "sweep": threshold_sweep(scores, ok, min_recall=min_recall),
    }


def full_report(
    verifier_scores: pd.DataFrame,
    expert_ratings: pd.DataFrame,
    *,
    approvals: Mapping[Any, bool] | pd.Series | None = None,
    rule: str | None = None,
    target_width: float = 0.2,
    min_recall: float = 0.8,
    ci: str = "fisher",
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything above as one JSON-serialisable dict (no NaN) for the CLI and the page.

    approvals maps item_id -> expert approval (True/False); without it the filter section is None.
    """
    if rule:
        parse_rule(rule)  # report a bad rule even when there are no approvals to score it on
    ratings = Ratings.from_frames(verifier_scores, expert_ratings)
    main = verifier_vs_experts(ratings, ci=ci, n_boot=n_boot, seed=seed)
    planner = [
        {"dimension": row["dimension"], **plan_sample_size(row["estimate"], target_width, row["n"])}
        for row in main
        if row["method"] == "spearman" and row["status"] == "ok" and abs(row["estimate"]) < 1
    ]
    report = {
        "dimensions": list(DIMENSIONS),
        "paper_range": list(PAPER_RANGE),
        "counts": {
            "items": int(ratings.items.size),
            "reviewers": int(ratings.reviewers.size),
            "verifiers": int(ratings.verifiers.size),
            "expert_ratings": int((~np.isnan(ratings.expert).all(axis=2)).sum()),
            "verifier_scores": int((~np.isnan(ratings.verifier).all(axis=2)).sum()),
        },
        "verifier_vs_experts": main,
        "per_reviewer": per_reviewer(ratings),
        "inter_expert_alpha": inter_expert_alpha(ratings),
        "reviewer_matrix": reviewer_matrix(ratings),
        "anchoring": anchoring_check(ratings),
        "verifier_vs_verifier": verifier_vs_verifier(ratings),
        "filter": _filter_section(ratings, approvals, rule, min_recall),
        "sample_size": planner,
    }
    return json_safe(report)
