"""Scores as HoneyBee's evaluate_matsci.py computes them: gold and mapped answers per task,
scikit-learn micro and macro F1 over the labels that occur, plus a 95 % bootstrap interval.

Every task but event extraction gives one (gold, predicted) label pair per question. Event
argument extraction compares the gold "arg:role,arg:role" list with the answer's, position by
position, after lower-casing and removing spaces: a longer answer is cut to the gold length, a
shorter one padded with empty pairs; a pair that is not "arg:role" (or an empty answer) counts
as the role nearest to the empty string. Roles are scored; whether the argument text matched
is reported apart (args_matched), as the release collects it but leaves it out of its F1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp.labels import NO_MATCH, Rule, get_rule, squash
from honeybee_core.matsci_nlp.reading import Question
from honeybee_core.matsci_nlp.tasks import TASKS

CI_LEVEL = 0.95


def label_pairs(q: Question, prediction: str, rule: Rule
                ) -> tuple[list[str], list[str], list[bool]]:
    """(gold labels, predicted labels, argument hits) of one question."""
    labels = TASKS[q.task].labels
    if q.task != "ee":
        return [squash(q.answer)], [rule(prediction, labels)], []
    gold, pred = squash(q.answer), squash(prediction)
    if not gold:
        return [], [], [not pred]
    gold_pairs = gold.split(",")
    if not pred:
        return ([p.split(":")[1] for p in gold_pairs],
                [rule(" ", labels)] * len(gold_pairs), [False] * len(gold_pairs))
    answered = pred.split(",")[: len(gold_pairs)]
    answered += [":"] * (len(gold_pairs) - len(answered))
    truth, mapped, hits = [], [], []
    for want, got in zip(gold_pairs, answered, strict=True):
        arg, role = want.split(":")
        parts = got.split(":")
        truth.append(role)
        if len(parts) == 2:
            hits.append(parts[0] == arg)
            mapped.append(rule(parts[1], labels))
        else:
            hits.append(False)
            mapped.append(rule(" ", labels))
    return truth, mapped, hits


def f1_pair(y_true: Sequence[Any], y_pred: Sequence[Any], no_match: Any = NO_MATCH
            ) -> tuple[float, float]:
    """(micro, macro) F1 from sklearn over every label in gold or predictions, as released
    (f1_score's own default label set); the "exact" rule's no-match is a miss, never a class."""
    from sklearn.metrics import f1_score  # ~1 s to import: only when something is scored

    if len(y_true) == 0:
        return 0.0, 0.0
    labels = sorted((set(y_true) | set(y_pred)) - {no_match})
    return (float(f1_score(y_true, y_pred, labels=labels, average="micro", zero_division=0)),
            float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)))


def f1_from_counts(tp: np.ndarray, gold: np.ndarray, predicted: np.ndarray,
                   no_match: int) -> tuple[float, float]:
    """(micro, macro) F1 from per-label weighted counts, over the labels that occur: what
    f1_pair() gives for the rows the weights stand for (tests hold the two equal)."""
    present = (gold > 0) | (predicted > 0)
    present[no_match] = False
    tp = tp[present].astype(float)
    fp, fn = predicted[present] - tp, gold[present] - tp
    if not present.any():
        return 0.0, 0.0
    denominator = 2 * tp + fp + fn
    micro = 2 * tp.sum() / denominator.sum() if denominator.sum() > 0 else 0.0
    per_label = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return float(micro), float(per_label.mean())


def bootstrap(groups: list[tuple[list[str], list[str]]], n_boot: int, seed: int
              ) -> tuple[list[float], list[float]]:
    """Percentile intervals for micro and macro F1, resampling questions (an event's argument
    pairs stay together). Each resample is a weight per question, so F1 comes from weighted
    counts: calling sklearn 2,000 times a task would take minutes."""
    if n_boot < 1 or not groups:
        return [float("nan")] * 2, [float("nan")] * 2
    classes = sorted({lab for t, p in groups for lab in (*t, *p)} | {NO_MATCH})
    code = {c: i for i, c in enumerate(classes)}
    true = np.array([code[x] for t, _ in groups for x in t], dtype=np.int64)
    pred = np.array([code[x] for _, p in groups for x in p], dtype=np.int64)
    owner = np.repeat(np.arange(len(groups)), [len(t) for t, _ in groups])
    same = true == pred
    rng = np.random.default_rng(seed)
    stats = np.empty((n_boot, 2))
    for b in range(n_boot):
        drawn = np.bincount(rng.integers(0, len(groups), len(groups)), minlength=len(groups))
        weight = drawn[owner].astype(float)
        stats[b] = f1_from_counts(
            np.bincount(true[same], weight[same], minlength=len(classes)),
            np.bincount(true, weight, minlength=len(classes)),
            np.bincount(pred, weight, minlength=len(classes)), code[NO_MATCH])
    tail = (1 - CI_LEVEL) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail], axis=0)
    return [float(low[0]), float(high[0])], [float(low[1]), float(high[1])]


def check_predictions(questions: Sequence[Question], predictions: Mapping[str, str]) -> None:
    """Every prediction's id must be a question of the data (and of the chosen split)."""
    known = {q.id for q in questions}
    unknown = [i for i in predictions if i not in known]
    if unknown:
        raise InputError(
            f"{len(unknown)} prediction id(s) are not questions of this data and split (first: "
            f"'{unknown[0]}'); export the questions with the same --data, --task and --split "
            "options and answer those.")


def score(questions: Sequence[Question], predictions: Mapping[str, str],
          rule: str = "released", n_boot: int = 1000, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per task with at least one prediction: n (questions scored), pairs (label pairs; more
    than n for event extraction), micro_f1, macro_f1 and their 95 % bootstrap intervals."""
    mapper = get_rule(rule)
    check_predictions(questions, predictions)
    groups: dict[str, list[tuple[list[str], list[str]]]] = {}
    hits: dict[str, list[bool]] = {}
    for q in questions:
        if q.id in predictions:
            truth, mapped, args = label_pairs(q, predictions[q.id], mapper)
            groups.setdefault(q.task, []).append((truth, mapped))
            hits.setdefault(q.task, []).extend(args)
    out: dict[str, dict[str, Any]] = {}
    for key in TASKS:  # the paper's order
        if key not in groups:
            continue
        y_true = [x for t, _ in groups[key] for x in t]
        y_pred = [x for _, p in groups[key] for x in p]
        micro, macro = f1_pair(y_true, y_pred)
        micro_ci, macro_ci = bootstrap(groups[key], n_boot, seed)
        out[key] = {"n": len(groups[key]), "pairs": len(y_true), "micro_f1": micro,
                    "macro_f1": macro, "micro_f1_ci": micro_ci, "macro_f1_ci": macro_ci}
        if key == "ee":
            out[key]["args_matched"] = float(np.mean(hits[key])) if hits[key] else 0.0
    return out
