"""Plotly figures for the agreement page: pure functions of arrays or `agreement` results.

Every function returns a go.Figure, also for empty or too-small input (then the figure carries a
"not enough data" annotation), so the page never needs its own special cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from honeybee_core.stats import PAPER_RANGE

NOT_ENOUGH_DATA = "not enough data"
_SCORE_RANGE = (-3.0, 103.0)  # 0-100 plus room for jitter


def empty_figure(title: str = "") -> go.Figure:
    """A blank figure that says there is not enough data."""
    fig = go.Figure()
    fig.add_annotation(
        text=NOT_ENOUGH_DATA,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 16},
    )
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def _complete_pairs(x: ArrayLike | None,
                    y: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    if x is None or y is None:  # no ratings to pair yet
        return np.empty(0), np.empty(0)
    xs, ys = np.ravel(np.asarray(x, dtype=float)), np.ravel(np.asarray(y, dtype=float))
    keep = ~(np.isnan(xs) | np.isnan(ys))
    return xs[keep], ys[keep]


def scatter_dimension(
    verifier: ArrayLike | None,
    expert_mean: ArrayLike | None,
    dimension: str = "",
    *,
    jitter: float = 0.8,
    seed: int = 0,
) -> go.Figure:
    """Verifier score vs expert mean, with identity line and least-squares fit.

    Scores are mostly integers, so points are jittered (deterministically from `seed`) to show
    how many sit on each spot; the fit uses the unjittered values.
    """
    title = f"Verifier vs experts: {dimension}" if dimension else "Verifier vs experts"
    x, y = _complete_pairs(verifier, expert_mean)
    if x.size < 2:
        return empty_figure(title)
    rng = np.random.default_rng(seed)
    fig = go.Figure()
    fig.add_trace(
        go.Scattergl(
            x=x + rng.uniform(-jitter, jitter, x.size),
            y=y + rng.uniform(-jitter, jitter, y.size),
            mode="markers",
            name="items",
            marker={"size": 5, "opacity": 0.5},
        )
    )
    line = np.array([0.0, 100.0])
    fig.add_trace(
        go.Scatter(
            x=line, y=line, mode="lines", name="identity", line={"dash": "dash", "color": "grey"}
        )
    )
    if np.ptp(x) > 0:  # a fit needs some spread in the verifier scores
        slope, intercept = np.polyfit(x, y, 1)
        fig.add_trace(
            go.Scatter(
                x=line,
                y=intercept + slope * line,
                mode="lines",
                name=f"fit: y = {intercept:.1f} + {slope:.2f} x",
            )
        )
    fig.update_layout(
        title=title,
        xaxis={"title": "Verifier score", "range": _SCORE_RANGE},
        yaxis={"title": "Expert mean", "range": _SCORE_RANGE},
    )
    return fig


def bland_altman(verifier: ArrayLike | None, expert_mean: ArrayLike | None,
                 dimension: str = "") -> go.Figure:
    """Mean vs difference (verifier - experts) with the bias and 95 % limits of agreement."""
    title = f"Bland-Altman: {dimension}" if dimension else "Bland-Altman"
    x, y = _complete_pairs(verifier, expert_mean)
    if x.size < 2:
        return empty_figure(title)
    mean, diff = (x + y) / 2.0, x - y
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    fig = go.Figure(
        go.Scattergl(
            x=mean, y=diff, mode="markers", name="items", marker={"size": 5, "opacity": 0.5}
        )
    )
    for value, label, dash in (
        (bias, "bias", "solid"),
        (bias + 1.96 * sd, "+1.96 SD", "dash"),
        (bias - 1.96 * sd, "-1.96 SD", "dash"),
    ):
        fig.add_hline(y=value, line_dash=dash, annotation_text=f"{label} {value:+.1f}")
    fig.update_layout(
        title=title,
        xaxis={"title": "Mean of verifier and experts"},
        yaxis={"title": "Verifier - experts"},
    )
    return fig


def sweep_chart(sweep: dict[str, Any] | None, min_threshold: float | None = None) -> go.Figure:
    """Precision, recall and F1 across mean thresholds at one min threshold of a sweep.

    `sweep` is `agreement.threshold_sweep(...)`; the min threshold defaults to the best-F1 rule's.
    """
    title = "Filter rule vs expert approvals"
    points = (sweep or {}).get("points") or []
    if min_threshold is None and points:
        best = sweep.get("best_f1") if sweep else None
        min_threshold = best["min_min"] if best else min(p["min_min"] for p in points)
    row = sorted((p for p in points if p["min_min"] == min_threshold), key=lambda p: p["mean_min"])
    if not any(p["f1"] is not None for p in row):
        return empty_figure(title)
    fig = go.Figure()
    for metric in ("precision", "recall", "f1"):
        fig.add_trace(
            go.Scatter(
                x=[p["mean_min"] for p in row],
                y=[p[metric] for p in row],
                mode="lines+markers",
                name={"f1": "F1"}.get(metric, metric.capitalize()),
            )
        )
    fig.update_layout(
        title=f"{title} (lowest dimension ≥ {min_threshold:g})",
        xaxis={"title": "Keep items with mean score ≥"},
        yaxis={"range": [0, 1.05]},
    )
    return fig


def correlation_chart(rows: list[dict[str, Any]] | None, title: str = "") -> go.Figure:
    """Estimates with CI error bars per dimension and method, over the paper's 0.6-0.8 band.

    `rows` are records like `agreement.verifier_vs_experts(...)`; rows without an estimate are
    left out.
    """
    title = title or "Verifier vs experts: correlation with 95 % CI"
    rows = [r for r in rows or [] if r.get("estimate") is not None]
    if not rows:
        return empty_figure(title)
    fig = go.Figure()
    for method in dict.fromkeys(r["method"] for r in rows):
        group = [r for r in rows if r["method"] == method]
        est = np.array([r["estimate"] for r in group])
        low = np.array([r["ci_low"] if r["ci_low"] is not None else r["estimate"] for r in group])
        high = np.array(
            [r["ci_high"] if r["ci_high"] is not None else r["estimate"] for r in group]
        )
        fig.add_trace(
            go.Scatter(
                x=[r["dimension"] for r in group],
                y=est,
                mode="markers",
                name=method,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": high - est,
                    "arrayminus": est - low,
                },
            )
        )
    fig.add_hrect(
        y0=PAPER_RANGE[0],
        y1=PAPER_RANGE[1],
        fillcolor="green",
        opacity=0.15,
        line_width=0,
        annotation_text="paper 0.6-0.8",
        annotation_position="top left",
    )
    lowest = min(min(r["ci_low"] or r["estimate"] for r in rows), 0.0)
    fig.update_layout(
        title=title,
        scattermode="group",
        yaxis={"title": "correlation", "range": [lowest - 0.05, 1.02]},
    )
    return fig


def training_curves(metrics: Any) -> go.Figure:
    """Train loss and validation loss against the optimizer step (metrics: a DataFrame)."""
    if metrics is None or len(metrics) == 0:
        return empty_figure("Loss")
    fig = go.Figure()
    for column, name in (("loss", "train loss"), ("eval_loss", "validation loss")):
        part = metrics.dropna(subset=[column])
        if len(part):
            fig.add_trace(go.Scatter(x=part["step"], y=part[column], mode="lines+markers",
                                     name=name))
    fig.update_layout(title="Loss", xaxis_title="step", yaxis_title="loss", height=340,
                      margin={"t": 40, "b": 40})
    return fig


def stage_chart(table: Any) -> go.Figure:
    """The evaluator's grades across stages: one line per dimension (and the mean) over the
    stage table's rows in order (base model, stage 1, stage 2, ...)."""
    title = "Evaluator grades across stages"
    if table is None or len(table) == 0:
        return empty_figure(title)
    fig = go.Figure()
    for column in ("accuracy", "completeness", "reasonableness", "mean"):
        bars = None
        if f"{column}_ci_high" in table:  # the bootstrap CI as asymmetric error bars
            value = table[column].astype(float)
            bars = {"type": "data", "symmetric": False, "visible": column == "mean",
                    "array": list((table[f"{column}_ci_high"].astype(float) - value).fillna(0)),
                    "arrayminus": list((value - table[f"{column}_ci_low"].astype(float))
                                       .fillna(0))}
        fig.add_trace(go.Scatter(
            x=list(table["model"]), y=list(table[column]), mode="lines+markers", name=column,
            error_y=bars, line={"width": 3 if column == "mean" else 1.5,
                                "dash": "solid" if column == "mean" else "dot"}))
    fig.update_layout(title=title, yaxis={"title": "grade (0-100)", "range": [0, 102]},
                      xaxis={"type": "category"}, height=360, margin={"t": 40, "b": 40})
    return fig
