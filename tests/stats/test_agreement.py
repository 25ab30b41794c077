"""Agreement statistics checked against scipy, krippendorff, brute force and hand counts."""

from __future__ import annotations

import json
import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from honeybee_core import stats as ag
from honeybee_core.errors import InputError
from honeybee_core.rules import parse_rule

TOL = 1e-9
SCIPY = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}


def datasets() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(42)
    out = []
    x = rng.normal(size=40)
    out.append(("continuous", x, 0.6 * x + rng.normal(size=40)))
    x = rng.integers(0, 101, 300).astype(float)
    out.append(("ints 0-100", x, np.clip(x + rng.integers(-30, 31, 300), 0, 100)))
    x = rng.integers(0, 6, 80).astype(float)  # many ties
    out.append(("ints 0-5", x, (x + rng.integers(0, 3, 80)) % 6))
    x = rng.integers(0, 101, 60).astype(float)
    out.append(("negative", x, 100 - x + rng.integers(0, 20, 60)))
    x = (rng.integers(0, 201, 90) / 2.0) + 1e6  # half-integers far from 0: the np.unique path
    out.append(("halves offset", x, rng.integers(0, 101, 90) / 3.0))
    out.append(("n=3", np.array([1.0, 2.0, 4.0]), np.array([3.0, 1.0, 2.0])))
    out.append(("n=4 ties", np.array([1.0, 1.0, 2.0, 3.0]), np.array([5.0, 4.0, 4.0, 9.0])))
    return out


def no_nan(value: object) -> bool:
    json.dumps(value, allow_nan=False)  # raises on NaN/inf
    return True


# ----------------------------------------------------------------------------- correlations


@pytest.mark.parametrize("method", ag.METHODS)
@pytest.mark.parametrize(("name", "x", "y"), datasets(), ids=[d[0] for d in datasets()])
def test_estimate_and_p_value_equal_scipy(method: str, name: str, x, y) -> None:
    ours = ag.correlate(x, y, method)
    ref = SCIPY[method](x, y)
    assert ours.status == "ok"
    assert ours.n == len(x)
    assert ours.estimate == pytest.approx(float(ref.statistic), abs=TOL)
    assert ours.p_value == pytest.approx(float(ref.pvalue), abs=TOL, rel=TOL)


@pytest.mark.parametrize("method", ag.METHODS)
def test_columns_with_different_missing_pairs_equal_scipy(method: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 101, (120, 4)).astype(float)
    y = np.clip(x + rng.integers(-25, 26, x.shape), 0, 100)
    x[rng.random(x.shape) < 0.2] = np.nan
    y[:, 0][rng.random(120) < 0.5] = np.nan
    y[:, 3] = np.where(np.isnan(x[:, 3]), np.nan, y[:, 3])
    x[:, 2] = np.where(rng.random(120) < 0.1, np.nan, x[:, 2])
    results = ag.correlate_columns(x, y, method)
    for j, ours in enumerate(results):
        keep = ~(np.isnan(x[:, j]) | np.isnan(y[:, j]))
        ref = SCIPY[method](x[keep, j], y[keep, j])
        assert ours.n == keep.sum()
        assert ours.estimate == pytest.approx(float(ref.statistic), abs=TOL)
        assert ours.p_value == pytest.approx(float(ref.pvalue), abs=TOL)


def test_complete_columns_equal_scipy_too() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(0, 101, (200, 4)).astype(float)
    y = np.clip(x + rng.integers(-40, 41, x.shape), 0, 100)
    for j, ours in enumerate(ag.correlate_columns(x, y, "spearman")):
        assert ours.estimate == pytest.approx(stats.spearmanr(x[:, j], y[:, j]).statistic, abs=TOL)


@pytest.mark.parametrize(
    "values",
    [
        [3.0, 1.0, 2.0, 2.0, 5.0, 1.0],
        [0.5, 0.25, 0.5, 100.0, -3.0],
        list(np.random.default_rng(1).integers(0, 4, 500).astype(float)),
        list(np.random.default_rng(2).normal(size=300)),
        [1e12, 1.0, 1e12, 7.0],  # integers too spread for counting: np.unique path
    ],
)
def test_average_ranks_equal_rankdata(values: list[float]) -> None:
    np.testing.assert_array_equal(ag.average_ranks(values)[:, 0], stats.rankdata(values))


def item_means(seed: int, raters: int, n: int = 3000) -> np.ndarray:
    """Means of whole-number scores over 1..raters raters: halves, thirds, ... (k/60 at most)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, raters + 1, n)
    return rng.integers(0, 101 * counts) / counts


@pytest.mark.parametrize(
    "values",
    [
        item_means(3, 2),
        item_means(4, 3),
        item_means(5, 5),
        item_means(6, 5)[:40],  # too few values to count 0-100 in 1/60 steps: np.unique path
        np.append(item_means(7, 3), 1 / 3 + 1e-12),  # one value just off the grid
        np.append(item_means(8, 2), 0.1),  # 0.1 on no 1/60 grid: np.unique path
    ],
)
def test_ranks_of_means_over_raters_equal_rankdata(values: np.ndarray) -> None:
    np.testing.assert_array_equal(ag.average_ranks(values)[:, 0], stats.rankdata(values))
    idx = np.random.default_rng(0).integers(0, values.size, (5, values.size))
    resampled = ag.resampled_correlations(values, values[::-1].copy(), idx, "spearman")
    expected = [stats.spearmanr(values[i], values[::-1][i]).statistic for i in idx]
    np.testing.assert_allclose(resampled, expected, atol=TOL)


def test_fisher_ci_uses_bonett_wright_for_spearman_and_1_over_sqrt_n_minus_3_for_pearson() -> None:
    z = stats.norm.ppf(0.975)
    for method, se in (
        ("spearman", math.sqrt((1 + 0.5**2 / 2) / 47)),
        ("pearson", 1 / math.sqrt(47)),
    ):
        low, high = ag.fisher_ci(0.5, 50, method)
        assert float(low) == pytest.approx(math.tanh(math.atanh(0.5) - z * se), abs=1e-12)
        assert float(high) == pytest.approx(math.tanh(math.atanh(0.5) + z * se), abs=1e-12)
    c = ag.correlate(np.arange(50.0), np.arange(50.0) ** 0.5 + np.sin(np.arange(50.0)))
    low, high = ag.fisher_ci(c.estimate, 50)
    assert (c.ci_low, c.ci_high) == (pytest.approx(float(low)), pytest.approx(float(high)))


def simulate_coverage(method: str, rho: float, seed: int) -> float:
    """Share of 1,000 replications (n=50, bivariate normal) whose 95% CI covers the truth."""
    rng = np.random.default_rng(seed)
    z1, z2 = rng.standard_normal((2, 50, 1000))
    x, y = z1, rho * z1 + math.sqrt(1 - rho**2) * z2
    truth = rho if method == "pearson" else 6 / math.pi * math.asin(rho / 2)
    results = ag.correlate_columns(x, y, method)
    assert all(r.status == "ok" for r in results)
    low = np.array([r.ci_low for r in results])
    high = np.array([r.ci_high for r in results])
    return float(np.mean((low <= truth) & (truth <= high)))


@pytest.mark.parametrize("method", ag.METHODS)
@pytest.mark.parametrize("rho", [0.3, 0.7])
def test_fisher_ci_covers_true_value_about_95_percent(method: str, rho: float) -> None:
    coverage = simulate_coverage(method, rho, seed=int(rho * 10))
    assert 0.93 <= coverage <= 0.97, coverage


@pytest.mark.parametrize("method", ag.METHODS)
def test_resampled_correlations_equal_scipy_loop(method: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 8, 30).astype(float)
    y = (x + rng.integers(0, 4, 30)) % 8
    idx = rng.integers(0, 30, (200, 30))
    idx[0] = 4  # a resample of one item: constant, NaN like scipy
    ours = ag.resampled_correlations(x, y, idx, method)
    with np.errstate(invalid="ignore"), pytest.warns(stats.ConstantInputWarning):
        ref = np.array([SCIPY[method](x[i], y[i]).statistic for i in idx])
    np.testing.assert_allclose(ours, ref, atol=TOL, rtol=0, equal_nan=True)
    assert np.isnan(ours[0])


@pytest.mark.parametrize("method", ag.METHODS)
def test_bootstrap_ci_is_the_percentile_interval_of_the_resamples(method: str) -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(0, 101, 200).astype(float)
    y = np.clip(x + rng.normal(0, 20, 200), 0, 100).round()
    ours = ag.correlate(x, y, method, ci="bootstrap", n_boot=300, seed=7)
    idx = np.random.default_rng(7).integers(0, 200, (300, 200))  # one block at this size
    reps = [SCIPY[method](x[i], y[i]).statistic for i in idx]
    low, high = np.quantile(reps, [0.025, 0.975])
    assert ours.ci_method == "bootstrap"
    assert (ours.ci_low, ours.ci_high) == (
        pytest.approx(low, abs=TOL),
        pytest.approx(high, abs=TOL),
    )
    fisher = ag.correlate(x, y, method)
    assert abs(ours.ci_low - fisher.ci_low) < 0.05 and abs(ours.ci_high - fisher.ci_high) < 0.05
    again = ag.correlate(x, y, method, ci="bootstrap", n_boot=300, seed=7)
    assert again == ours


def test_bootstrap_in_blocks_is_reproducible_and_sane() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=5000)
    y = x + rng.normal(size=5000)
    reps = ag.bootstrap_distribution(x, y, "spearman", n_boot=500, seed=1)  # several blocks
    assert reps.shape == (500,) and not np.isnan(reps).any()
    np.testing.assert_array_equal(reps, ag.bootstrap_distribution(x, y, "spearman", 500, 1))
    assert reps.std() == pytest.approx(0.0074, abs=0.003)  # approx SE of rho at n=5000


@pytest.mark.parametrize(
    ("x", "y", "status", "n"),
    [
        ([], [], "not_enough_data", 0),
        ([1.0, 2.0], [2.0, 1.0], "not_enough_data", 2),
        ([1.0, 2.0, np.nan, 4.0], [2.0, 1.0, 3.0, np.nan], "not_enough_data", 2),
        ([np.nan] * 5, [np.nan] * 5, "not_enough_data", 0),
        ([5.0] * 6, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "constant_input", 6),
        ([7.0] * 6, [7.0] * 6, "constant_input", 6),
        ([1.0, 1.0, 1.0, np.nan], [1.0, 2.0, 3.0, 4.0], "constant_input", 3),
    ],
)
@pytest.mark.parametrize("ci", ["fisher", "bootstrap"])
@pytest.mark.parametrize("method", ag.METHODS)
def test_degenerate_input_has_status_and_no_nan(x, y, status, n, ci, method) -> None:
    c = ag.correlate(x, y, method, ci=ci, n_boot=50)
    assert (c.status, c.n) == (status, n)
    assert c.estimate is None and c.p_value is None and c.ci_low is None and c.ci_high is None
    assert c.message.endswith(".") and no_nan(c.to_dict())


def test_three_pairs_are_ok_but_have_no_fisher_ci() -> None:
    c = ag.correlate([1, 2, 3], [1, 3, 2], "pearson")
    assert c.status == "ok" and c.estimate == pytest.approx(0.5)
    assert c.ci_low is None and c.ci_high is None and no_nan(c.to_dict())


def test_perfect_agreement_gives_finite_results() -> None:
    c = ag.correlate([10, 20, 30, 40, 50], [1, 2, 3, 4, 5])
    assert (c.estimate, c.p_value, c.ci_low, c.ci_high) == (1.0, 0.0, 1.0, 1.0)


def test_bad_method_or_confidence_is_an_input_error() -> None:
    with pytest.raises(InputError, match="kendall"):
        ag.correlate([1, 2, 3], [1, 2, 3], "kendall")
    with pytest.raises(InputError, match="between 0 and 1"):
        ag.correlate([1, 2, 3], [1, 2, 3], confidence=95)
    with pytest.raises(InputError, match="shape"):
        ag.correlate_columns(np.ones((3, 2)), np.ones((3, 3)))


# ----------------------------------------------------------------------------- Krippendorff


def random_reliability(rng: np.random.Generator, domain: int, missing: float) -> np.ndarray:
    raters, units = int(rng.integers(2, 6)), int(rng.integers(5, 60))
    truth = rng.integers(0, domain, units)
    data = np.clip(truth + rng.integers(-2, 3, (raters, units)), 0, domain - 1).astype(float)
    data[rng.random(data.shape) < missing] = np.nan
    return data


@pytest.mark.parametrize(("domain", "missing"), [(101, 0.0), (101, 0.3), (5, 0.2), (3, 0.5)])
def test_alpha_equals_krippendorff_package(domain: int, missing: float) -> None:
    rng = np.random.default_rng(domain + int(missing * 10))
    for _ in range(15):
        data = random_reliability(rng, domain, missing)
        with np.errstate(invalid="ignore"):
            expected = krippendorff.alpha(data, level_of_measurement="interval")
        ours = ag.krippendorff_alpha_interval(data)
        if np.isnan(expected):  # 0/0 in the package: no variation among pairable ratings
            assert ours is None
        else:
            assert ours == pytest.approx(expected, abs=TOL)


def test_alpha_on_the_package_documented_example() -> None:
    nan = np.nan
    data = [
        [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
        [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
        [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
    ]
    assert ag.krippendorff_alpha_interval(data) == pytest.approx(0.810845, abs=1e-6)


def test_alpha_is_none_when_undefined() -> None:
    assert ag.krippendorff_alpha_interval([[1.0, np.nan], [np.nan, 2.0]]) is None  # no pairs
    assert ag.krippendorff_alpha_interval([[50.0, 50.0], [50.0, 50.0]]) is None  # no variation
    assert ag.krippendorff_alpha_interval(np.empty((0, 0))) is None
    with pytest.raises(InputError, match="2-D"):
        ag.krippendorff_alpha_interval([1.0, 2.0])


# ----------------------------------------------------------------------------- frames


def frames(seed: int = 0, items: int = 40, blind: bool = True):
    """Verifier scores (two verifiers) and three reviewers who each rate part of the items."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(30, 101, (items, 4)).astype(float)
    ids = [f"q{i}" for i in range(items)]

    def noisy(sd: float, rows: np.ndarray) -> dict[str, np.ndarray]:
        scores = np.clip(truth[rows] + rng.normal(0, sd, (rows.size, 4)), 0, 100).round()
        return dict(zip(ag.DIMENSIONS, scores.T, strict=True))

    everything = np.arange(items)
    verifier = pd.concat(
        [
            pd.DataFrame({"item_id": ids, "verifier": "gpt", **noisy(10, everything)}),
            pd.DataFrame({"item_id": ids[:25], "verifier": "claude", **noisy(10, everything[:25])}),
        ],
        ignore_index=True,
    )
    parts = []
    for name, rows in (("ann", everything[:30]), ("bob", everything[10:]), ("cy", everything[::2])):
        part = pd.DataFrame({"item_id": [ids[i] for i in rows], "reviewer": name, **noisy(8, rows)})
        if blind:
            part["blind"] = rng.random(rows.size) < 0.5
        parts.append(part)
    return verifier, pd.concat(parts, ignore_index=True)


def pivot(frame: pd.DataFrame, column: str, dim: str) -> pd.DataFrame:
    return frame.pivot(index="item_id", columns=column, values=dim)


def test_ratings_align_items_and_means() -> None:
    verifier, experts = frames()
    ratings = ag.Ratings.from_frames(verifier, experts)
    assert list(ratings.reviewers) == ["ann", "bob", "cy"]
    assert list(ratings.verifiers) == ["gpt", "claude"]
    position = {item: i for i, item in enumerate(ratings.items)}
    for d, dim in enumerate(ag.DIMENSIONS):
        for item, value in experts.groupby("item_id")[dim].mean().items():
            assert ratings.expert_mean[position[item], d] == pytest.approx(value)
        for item, value in verifier.groupby("item_id")[dim].mean().items():
            assert ratings.verifier_mean[position[item], d] == pytest.approx(value)


def test_verifier_vs_experts_equals_scipy_on_item_means() -> None:
    verifier, experts = frames()
    rows = ag.verifier_vs_experts(ag.Ratings.from_frames(verifier, experts))
    assert len(rows) == 8
    for row in rows:
        dim = row["dimension"]
        both = pd.concat(
            [verifier.groupby("item_id")[dim].mean(), experts.groupby("item_id")[dim].mean()],
            axis=1,
        ).dropna()
        ref = SCIPY[row["method"]](both.iloc[:, 0], both.iloc[:, 1])
        assert row["n"] == len(both)
        assert row["estimate"] == pytest.approx(ref.statistic, abs=TOL)
        assert row["p_value"] == pytest.approx(ref.pvalue, abs=TOL)


def test_per_reviewer_equals_scipy() -> None:
    verifier, experts = frames(1)
    rows = ag.per_reviewer(ag.Ratings.from_frames(verifier, experts))
    assert len(rows) == 3 * 2 * 4
    ver_mean = verifier.groupby("item_id")[list(ag.DIMENSIONS)].mean()
    for row in rows:
        mine = experts[experts.reviewer == row["reviewer"]].set_index("item_id")[row["dimension"]]
        ref = SCIPY[row["method"]](ver_mean.loc[mine.index, row["dimension"]], mine)
        assert row["estimate"] == pytest.approx(ref.statistic, abs=TOL)


def test_inter_expert_alpha_equals_package_on_the_pivot() -> None:
    verifier, experts = frames(2)
    ratings = ag.Ratings.from_frames(verifier, experts)
    for row in ag.inter_expert_alpha(ratings):
        matrix = pivot(experts, "reviewer", row["dimension"]).T.to_numpy(dtype=float)
        expected = krippendorff.alpha(matrix, level_of_measurement="interval")
        assert row["status"] == "ok"
        assert row["alpha"] == pytest.approx(expected, abs=TOL)
        assert row["n_items"] == int(((~np.isnan(matrix)).sum(axis=0) >= 2).sum())


def test_reviewer_matrix_is_pairwise_spearman_on_co_rated_items() -> None:
    verifier, experts = frames(3)
    experts = experts[~((experts.reviewer == "cy") & (experts.item_id.isin(["q10", "q12"])))]
    experts = experts[
        (experts.reviewer != "cy") | experts.item_id.isin([f"q{i}" for i in range(0, 14, 2)])
    ]  # cy and bob now co-rate only q14.. -> none
    matrix = ag.reviewer_matrix(ag.Ratings.from_frames(verifier, experts))
    table = pivot(experts, "reviewer", "accuracy")
    acc = matrix["accuracy"]
    names = acc["reviewers"]
    assert names == ["ann", "bob", "cy"]
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            both = table[[a, b]].dropna() if a != b else table[[a]].dropna()
            assert acc["n"][i][j] == len(both)
            if len(both) < 3:
                assert acc["status"][i][j] == "not_enough_data" and acc["estimate"][i][j] is None
            else:
                ref = stats.spearmanr(both.iloc[:, 0], both.iloc[:, -1]).statistic
                assert acc["estimate"][i][j] == pytest.approx(ref, abs=TOL)
    assert acc["status"][1][2] == "not_enough_data"  # bob x cy: 0 co-rated items


def test_verifier_vs_verifier_equals_scipy() -> None:
    verifier, experts = frames(4)
    rows = ag.verifier_vs_verifier(ag.Ratings.from_frames(verifier, experts))
    assert {(r["verifier_a"], r["verifier_b"]) for r in rows} == {("gpt", "claude")}
    for row in rows:
        both = pivot(verifier, "verifier", row["dimension"]).dropna()
        ref = SCIPY[row["method"]](both["gpt"], both["claude"])
        assert row["n"] == 25
        assert row["estimate"] == pytest.approx(ref.statistic, abs=TOL)


def test_anchoring_compares_blind_and_non_blind_distance_to_the_verifier() -> None:
    rng = np.random.default_rng(9)
    ids = [f"i{k}" for k in range(60)]
    ver_scores = rng.integers(20, 101, (60, 4)).astype(float)
    verifier = pd.DataFrame({"item_id": ids, **dict(zip(ag.DIMENSIONS, ver_scores.T, strict=True))})
    blind = rng.random(60) < 0.5
    noise = np.where(blind[:, None], rng.integers(-20, 21, (60, 4)), rng.integers(-2, 3, (60, 4)))
    expert_scores = np.clip(ver_scores + noise, 0, 100)
    experts = pd.DataFrame(
        {
            "item_id": ids,
            "reviewer": "ann",
            "blind": blind,
            **dict(zip(ag.DIMENSIONS, expert_scores.T, strict=True)),
        }
    )
    rows = ag.anchoring_check(ag.Ratings.from_frames(verifier, experts))
    for d, row in enumerate(rows):
        diff = np.abs(expert_scores[:, d] - ver_scores[:, d])
        assert row["status"] == "ok"
        assert (row["n_blind"], row["n_non_blind"]) == (blind.sum(), (~blind).sum())
        assert row["mean_abs_diff_blind"] == pytest.approx(diff[blind].mean())
        assert row["mean_abs_diff_non_blind"] == pytest.approx(diff[~blind].mean())
        assert row["difference"] < 0  # non-blind ratings sit closer: anchoring
        p = stats.mannwhitneyu(diff[blind], diff[~blind], alternative="two-sided").pvalue
        assert row["mann_whitney_p"] == pytest.approx(p, abs=TOL) and p < 0.01
        ref = stats.spearmanr(ver_scores[~blind, d], expert_scores[~blind, d]).statistic
        assert row["correlation_non_blind"]["estimate"] == pytest.approx(ref, abs=TOL)


def test_anchoring_without_blind_flags_says_so() -> None:
    verifier, experts = frames(blind=False)
    rows = ag.anchoring_check(ag.Ratings.from_frames(verifier, experts))
    assert all(r["status"] == "not_enough_data" and "blind" in r["message"] for r in rows)
    assert no_nan(rows)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda v, e: (v.drop(columns="accuracy"), e), "lacks column"),
        (lambda v, e: (v, e.drop(columns="reviewer")), "reviewer"),
        (
            lambda v, e: (v, pd.concat([e, e.iloc[:1]])),
            "Item q0 has two rows from the same reviewer",
        ),
        (lambda v, e: (pd.concat([v, v.iloc[:1]]), e), "two rows from the same verifier"),
        (lambda v, e: (v.assign(relevance=v.relevance + 200), e), "item q0 is not 0-100"),
        (lambda v, e: (v, e.assign(accuracy="high")), "numbers"),
        (lambda v, e: (v, e.assign(blind="maybe")), "blind"),
        (lambda v, e: (v, e.assign(blind=2)), "blind"),
        (lambda v, e: (v.assign(item_id=None), e), "item_id"),
    ],
)
def test_bad_frames_are_input_errors(mutate, match: str) -> None:
    verifier, experts = mutate(*frames())
    with pytest.raises(InputError, match=match) as info:
        ag.Ratings.from_frames(verifier, experts)
    assert "\n" not in str(info.value) and str(info.value).endswith(".")


# ----------------------------------------------------------------------------- filter rules

SCORES = np.array(
    [
        [96, 95, 97, 98],  # mean 96.5, min 95
        [99, 99, 99, 85],  # mean 95.5, min 85
        [90, 92, 91, 93],  # mean 91.5, min 90
        [100, 100, 100, 100],
        [50, 60, 70, 80],
        [95, 95, 95, 95],
    ],
    dtype=float,
)
APPROVED = np.array([True, True, False, True, False, False])


# parse_rule's own tests live in test_rules.py


def test_rule_metrics_match_hand_counts() -> None:
    # mean>=95,min>=90 passes rows 0, 3, 5; approved rows are 0, 1, 3
    result = ag.rule_metrics("mean>=95,min>=90", SCORES, APPROVED)
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (2, 1, 1, 2)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    # accuracy>=99 passes rows 1 and 3, both approved
    result = ag.rule_metrics("accuracy>=99", SCORES, APPROVED)
    assert (result["tp"], result["fp"], result["fn"], result["tn"]) == (2, 0, 1, 3)
    assert (result["precision"], result["recall"]) == (1.0, pytest.approx(2 / 3))
    # nothing passes: precision undefined, not NaN
    result = ag.rule_metrics("min>=100,accuracy>100", SCORES, APPROVED)
    assert (result["tp"], result["fp"], result["precision"], result["recall"]) == (0, 0, None, 0.0)
    assert result["f1"] == 0.0 and no_nan(result)


def test_missing_score_fails_the_rule_and_length_mismatch_is_an_error() -> None:
    scores = SCORES.copy()
    scores[0, 1] = np.nan
    assert not parse_rule("mean>=0").passes(scores)[0]
    assert not parse_rule("relevance>=0").passes(scores)[0]
    with pytest.raises(InputError, match="approvals"):
        ag.rule_metrics("mean>=90", SCORES, APPROVED[:3])
    with pytest.raises(InputError, match="4 columns"):
        ag.rule_metrics("mean>=90", SCORES[:, :3], APPROVED)


def test_sweep_equals_brute_force_over_the_grid() -> None:
    rng = np.random.default_rng(10)
    scores = rng.integers(40, 101, (300, 4)).astype(float)
    scores[rng.random((300, 4)) < 0.02] = np.nan
    approved = scores.mean(axis=1) + rng.normal(0, 8, 300) > 75
    grid = np.arange(40, 101, 5.0)
    sweep = ag.threshold_sweep(scores, approved, grid, grid, min_recall=0.7)
    brute = [
        ag.rule_metrics(f"mean>={a:g},min>={b:g}", scores, approved) for a in grid for b in grid
    ]
    assert len(sweep["points"]) == len(brute) == grid.size**2
    for point, ref in zip(sweep["points"], brute, strict=True):
        assert ref["rule"] == f"mean>={point['mean_min']:g},min>={point['min_min']:g}"
        for key in ("tp", "fp", "fn", "tn", "precision", "recall", "f1"):
            assert point[key] == ref[key]
    best = max(r["f1"] for r in brute if r["f1"] is not None)
    assert sweep["best_f1"]["f1"] == best
    assert ag.rule_metrics(sweep["best_f1"]["rule"], scores, approved)["f1"] == best
    eligible = [r for r in brute if r["recall"] >= 0.7 and r["precision"] is not None]
    assert sweep["best_precision_at_recall"]["precision"] == max(r["precision"] for r in eligible)
    assert sweep["best_precision_at_recall"]["recall"] >= 0.7


def test_sweep_without_positives_has_no_best_rule_and_no_nan() -> None:
    sweep = ag.threshold_sweep(SCORES, np.zeros(6, dtype=bool), [90, 95], [90])
    assert sweep["best_f1"]["f1"] == 0.0  # defined wherever some item passes
    assert sweep["best_precision_at_recall"] is None and no_nan(sweep)


# ----------------------------------------------------------------------------- planner


@pytest.mark.parametrize("method", ag.METHODS)
@pytest.mark.parametrize(
    ("rho", "width"), [(0.7, 0.2), (0.65, 0.1), (0.0, 0.3), (-0.4, 0.25), (0.95, 0.05), (0.8, 1.9)]
)
def test_planner_returns_the_smallest_n_with_a_narrow_enough_ci(method, rho, width) -> None:
    plan = ag.plan_sample_size(rho, width, n_current=30, method=method)
    n = plan["n_required"]
    assert ag.ci_width(rho, n, method) < width <= ag.ci_width(rho, n - 1, method)
    assert plan["n_more"] == max(0, n - 30)
    assert plan["width_at_required"] < width and no_nan(plan)


def test_planner_rejects_impossible_targets() -> None:
    with pytest.raises(InputError, match="between -1 and 1"):
        ag.plan_sample_size(1.0, 0.2)
    with pytest.raises(InputError, match="above 0"):
        ag.plan_sample_size(0.5, 0.0)


# ----------------------------------------------------------------------------- full report


def test_json_safe_turns_numpy_and_nan_into_plain_values() -> None:
    value = {"a": np.float64("nan"), np.str_("b"): np.int64(3), "c": (np.bool_(True), np.inf)}
    assert ag.json_safe(value) == {"a": None, "b": 3, "c": [True, None]}


def test_full_report_is_json_without_nan_and_matches_the_parts() -> None:
    verifier, experts = frames(5)
    approvals = {f"q{i}": i % 3 != 0 for i in range(40)}
    report = ag.full_report(verifier, experts, approvals=approvals, rule="mean>=70,min>=50")
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    ratings = ag.Ratings.from_frames(verifier, experts)
    assert report["verifier_vs_experts"] == ag.verifier_vs_experts(ratings)
    assert report["counts"] == {
        "items": 40,
        "reviewers": 3,
        "verifiers": 2,
        "expert_ratings": len(experts),
        "verifier_scores": len(verifier),
    }
    assert report["filter"]["rule"]["n"] == 40
    assert report["filter"]["rule"]["tp"] + report["filter"]["rule"]["fn"] == sum(
        approvals.values()
    )
    assert {r["dimension"] for r in report["sample_size"]} == set(ag.DIMENSIONS)
    assert set(report["reviewer_matrix"]) == set(ag.DIMENSIONS)
    assert report["paper_range"] == [0.6, 0.8]


def test_full_report_on_empty_frames_is_all_not_enough_data() -> None:
    columns = ["item_id", *ag.DIMENSIONS]
    report = ag.full_report(
        pd.DataFrame(columns=columns), pd.DataFrame(columns=[*columns, "reviewer"]), approvals={}
    )
    assert no_nan(report)
    assert {r["status"] for r in report["verifier_vs_experts"]} == {"not_enough_data"}
    assert {r["status"] for r in report["inter_expert_alpha"]} == {"not_enough_data"}
    assert report["per_reviewer"] == [] and report["verifier_vs_verifier"] == []
    assert report["sample_size"] == [] and report["filter"]["sweep"]["best_f1"] is None


def test_full_report_checks_the_rule_and_approvals() -> None:
    verifier, experts = frames()
    with pytest.raises(InputError, match="Cannot read"):
        ag.full_report(verifier, experts, rule="mean>>90")
    with pytest.raises(InputError, match="true or false"):
        ag.full_report(verifier, experts, approvals={"q1": "reject"})
