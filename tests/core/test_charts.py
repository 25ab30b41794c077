"""Charts build from real agreement results and from empty input."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from honeybee_core import charts
from honeybee_core import stats as ag


@pytest.fixture
def pairs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(20, 101, 150).astype(float)
    y = np.clip(x + rng.normal(0, 10, 150), 0, 100).round()
    x[3] = np.nan  # dropped, not plotted
    return x, y


def is_empty(fig: go.Figure) -> bool:
    return len(fig.data) == 0 and fig.layout.annotations[0].text == charts.NOT_ENOUGH_DATA


def test_scatter_has_points_identity_and_least_squares_fit(pairs) -> None:
    x, y = pairs
    fig = charts.scatter_dimension(x, y, "accuracy", seed=1)
    points, identity, fit = fig.data
    assert len(points.x) == 149
    assert list(identity.x) == list(identity.y) == [0.0, 100.0]
    keep = ~np.isnan(x)
    slope, intercept = np.polyfit(x[keep], y[keep], 1)
    assert fit.y[0] == pytest.approx(intercept) and fit.y[1] == pytest.approx(
        intercept + 100 * slope
    )
    assert np.max(np.abs(np.asarray(points.x) - x[keep])) <= 0.8  # jitter stays small
    same = charts.scatter_dimension(x, y, "accuracy", seed=1).data[0]
    other = charts.scatter_dimension(x, y, "accuracy", seed=2).data[0]
    assert np.array_equal(points.x, same.x) and not np.array_equal(points.x, other.x)


def test_scatter_skips_the_fit_when_the_verifier_is_constant() -> None:
    fig = charts.scatter_dimension([80, 80, 80], [70, 75, 90])
    assert len(fig.data) == 2


def test_bland_altman_lines_are_bias_and_limits_of_agreement(pairs) -> None:
    x, y = pairs
    fig = charts.bland_altman(x, y, "relevance")
    keep = ~np.isnan(x)
    diff = x[keep] - y[keep]
    bias, sd = diff.mean(), diff.std(ddof=1)
    lines = sorted(shape.y0 for shape in fig.layout.shapes)
    assert lines == pytest.approx([bias - 1.96 * sd, bias, bias + 1.96 * sd])
    assert np.asarray(fig.data[0].y) == pytest.approx(diff)


def test_sweep_chart_plots_the_best_f1_slice() -> None:
    rng = np.random.default_rng(1)
    scores = rng.integers(50, 101, (200, 4)).astype(float)
    approved = scores.mean(axis=1) > 78
    sweep = ag.threshold_sweep(scores, approved, np.arange(50, 101, 10.0), [50, 60, 70])
    fig = charts.sweep_chart(sweep)
    assert [t.name for t in fig.data] == ["Precision", "Recall", "F1"]
    best = sweep["best_f1"]
    row = [p for p in sweep["points"] if p["min_min"] == best["min_min"]]
    assert list(fig.data[2].x) == [p["mean_min"] for p in row]
    assert list(fig.data[2].y) == [p["f1"] for p in row]
    assert max(v for v in fig.data[2].y if v is not None) == best["f1"]


def test_correlation_chart_has_ci_error_bars_and_the_paper_band(pairs) -> None:
    x, y = pairs
    rows = [
        {"dimension": dim, **ag.correlate(x, y, method).to_dict()}
        for method in ag.METHODS
        for dim in ag.DIMENSIONS
    ]
    rows[0] = {**rows[0], "estimate": None}  # e.g. not_enough_data: left out
    fig = charts.correlation_chart(rows)
    spearman, pearson = fig.data
    assert len(spearman.x) == 3 and len(pearson.x) == 4
    first = rows[4]
    assert pearson.error_y.array[0] == pytest.approx(first["ci_high"] - first["estimate"])
    assert pearson.error_y.arrayminus[0] == pytest.approx(first["estimate"] - first["ci_low"])
    band = fig.layout.shapes[0]
    assert (band.y0, band.y1) == ag.PAPER_RANGE


@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.scatter_dimension([], []),
        lambda: charts.scatter_dimension([1.0, np.nan], [np.nan, 2.0]),
        lambda: charts.bland_altman([50.0], [60.0]),
        lambda: charts.sweep_chart(None),
        lambda: charts.sweep_chart(ag.threshold_sweep(np.empty((0, 4)), np.empty(0, bool))),
        lambda: charts.correlation_chart([]),
        lambda: charts.correlation_chart(
            ag.verifier_vs_experts(
                ag.Ratings(
                    np.array([]),
                    np.array([]),
                    np.array([]),
                    np.empty((0, 0, 4)),
                    np.empty((0, 0, 4)),
                    None,
                )
            )
        ),
    ],
)
def test_empty_input_gives_a_not_enough_data_figure(build) -> None:
    fig = build()
    assert isinstance(fig, go.Figure) and is_empty(fig)
    fig.to_json()  # serialisable for Streamlit
