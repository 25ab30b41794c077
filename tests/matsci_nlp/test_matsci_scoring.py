"""Answer mapping and scores as HoneyBee's evaluate_matsci.py computes them."""

from __future__ import annotations

import random
from pathlib import Path

import Levenshtein
import numpy as np
import pytest
from sklearn.metrics import f1_score

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp import NO_MATCH, TASKS, get_rule, load, released, score
from honeybee_core.matsci_nlp.labels import exact, phrase
from honeybee_core.matsci_nlp.reading import Question
from honeybee_core.matsci_nlp.scoring import f1_from_counts, f1_pair, label_pairs

DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"
ROLES = TASKS["ee"].labels


@pytest.fixture(scope="module")
def questions():
    return load(DATA).questions


def test_perfect_predictions_score_one_on_every_task(questions) -> None:
    result = score(questions, {q.id: q.answer for q in questions}, n_boot=50)
    assert list(result) == ["ner", "rc", "ee", "pc", "sar", "sc", "sf"]
    for key, row in result.items():
        assert row["micro_f1"] == row["macro_f1"] == 1.0, key
        assert row["micro_f1_ci"] == row["macro_f1_ci"] == [1.0, 1.0]
    assert result["ee"]["n"] == 7 and result["ee"]["pairs"] == 8
    assert result["ee"]["args_matched"] == 1.0


def test_yes_no_answers_to_paragraph_classification(questions) -> None:
    pc = [q for q in questions if q.task == "pc"]
    styled = {q.id: {"yes": " Yes", "no": "NO."}[q.answer] for q in pc}
    assert score(pc, styled, n_boot=0)["pc"]["micro_f1"] == 1.0
    # the old label words land where the released rule puts them: glass -> yes (4 edits vs 5)
    assert released("glass", ("yes", "no")) == "yes"
    assert released("not glass", ("yes", "no")) == "no"  # 7 vs 6 edits
    every_yes = score(pc, {q.id: "yes" for q in pc}, n_boot=0)["pc"]
    share = sum(q.answer == "yes" for q in pc) / len(pc)
    assert every_yes["micro_f1"] == pytest.approx(share)
    assert every_yes["macro_f1"] == pytest.approx(f1_score(
        [q.answer for q in pc], ["yes"] * len(pc), average="macro", zero_division=0))


@pytest.mark.parametrize(("answer", "labels", "label"), [
    ("xyz", ("yes", "no"), "yes"),  # 3 edits from both: the first label
    ("xyz", ("no", "yes"), "no"),
    ("", ROLES, "site"),  # site and none are 4 edits from "": site comes first
    ("", TASKS["sar"].labels, "mixing"),
    ("Coulombic Efficiency", TASKS["rc"].labels, "coulombicefficiency"),  # spaces removed
    ("  YES\n", ("yes", "no"), "yes"),
    ("Non altering", TASKS["sar"].labels, "non-altering"),  # 1 edit
    ("yes.", ("yes", "no"), "yes"),
    ("the answer is no", ("yes", "no"), "yes"),  # no phrase rule: nearest is yes (12 vs 13)
])
def test_released_mapping(answer: str, labels: tuple[str, ...], label: str) -> None:
    assert released(answer, labels) == label


def test_ties_go_to_the_first_label_in_the_task_list() -> None:
    for task in TASKS.values():
        labels = task.labels
        best = min(Levenshtein.distance("q", lab) for lab in labels)
        tied = [lab for lab in labels if Levenshtein.distance("q", lab) == best]
        assert released("q", labels) == tied[0]
        assert released("q", tuple(reversed(labels))) == tied[-1]


def test_other_rules_only_by_name(questions) -> None:
    assert get_rule("released") is released
    assert phrase("the answer is no", ("yes", "no")) == "no"
    assert exact("the answer is no", ("yes", "no")) == NO_MATCH
    assert exact(" Yes! ", ("yes", "no")) == "yes"
    with pytest.raises(InputError, match="Unknown answer-mapping rule 'closest'"):
        get_rule("closest")
    sc = [q for q in questions if q.task == "sc"]
    junk = {q.id: f"This sentence, {q.answer}." for q in sc}
    assert score(sc, junk, n_boot=0)["sc"] != score(sc, junk, rule="phrase", n_boot=0)["sc"]
    assert score(sc, junk, rule="phrase", n_boot=0)["sc"]["micro_f1"] == 1.0


def _ee(answer: str) -> Question:
    return Question("x/0", "ee", "x.json", "text", "event extraction\tmixing", answer)


@pytest.mark.parametrize(("gold", "answer", "truth", "mapped", "hits"), [
    ("li2co3:recipe_precursor", "Li2CO3 : recipe precursor", ["recipe_precursor"],
     ["recipe_precursor"], [True]),  # spaces removed before splitting
    ("a:dopant,b:site", "b:dopnt,a:site", ["dopant", "site"], ["dopant", "site"],
     [False, False]),  # position by position; roles mapped by edit distance
    ("a:dopant", "a:dopant,b:site,c:none", ["dopant"], ["dopant"], [True]),  # cut to gold
    ("a:dopant,b:site", "a:dopant", ["dopant", "site"], ["dopant", "site"],
     [True, False]),  # padded with an empty pair, whose role maps from "" (site)
    ("a:dopant,b:none", "a:dopant,b", ["dopant", "none"], ["dopant", "site"],
     [True, False]),  # a pair without ":" counts as the empty answer
    ("a:dopant,b:none", "a:dopant:x,b:none", ["dopant", "none"], ["site", "none"],
     [False, True]),
    ("a:none,b:dopant", "", ["none", "dopant"], ["site", "site"], [False, False]),
    ("none:none", "none:none", ["none"], ["none"], [True]),
])
def test_event_extraction_rules(gold, answer, truth, mapped, hits) -> None:
    assert label_pairs(_ee(gold), answer, released) == (truth, mapped, hits)


def test_event_extraction_with_empty_gold_counts_only_the_argument() -> None:
    assert label_pairs(_ee(""), " ", released) == ([], [], [True])
    assert label_pairs(_ee(""), "a:site", released) == ([], [], [False])


def _oracle(q: Question, answer: str) -> tuple[list[str], list[str]]:
    """HoneyBee's decoding written out separately: labels are compared after the same steps."""
    labels = list(TASKS[q.task].labels)

    def nearest(text: str) -> str:
        text = text.strip().replace(" ", "")
        if text in labels:
            return text
        return labels[int(np.argmin([Levenshtein.distance(text, x) for x in labels]))]

    gold, pred = q.answer.lower(), answer.lower()
    if q.task != "ee":
        return [gold.strip().replace(" ", "")], [nearest(pred)]
    x, y = gold.strip().replace(" ", ""), pred.strip().replace(" ", "")
    if not y:
        return [a.split(":")[1] for a in x.split(",")], [nearest(" ")] * len(x.split(","))
    xs, ys = x.split(","), y.split(",")
    ys = ys[: len(xs)] + [":"] * max(0, len(xs) - len(ys))
    truth, out = [], []
    for a, b in zip(xs, ys, strict=True):
        truth.append(a.split(":")[1])
        try:
            _, role = b.split(":")
            out.append(nearest(role))
        except ValueError:
            out.append(nearest(" "))
    return truth, out


@pytest.mark.parametrize("seed", range(5))
def test_score_equals_sklearn(questions, seed: int) -> None:
    rng = random.Random(seed)
    predictions = {}
    for q in questions:
        if rng.random() < 0.15:
            continue  # not every question is answered
        labels = TASKS[q.task].labels
        if q.task == "ee":
            pairs = [f"{rng.choice(['a', 'li2co3', 'al'])}:{rng.choice(labels)}"
                     for _ in range(rng.randint(0, 3))]
            predictions[q.id] = rng.choice([",".join(pairs), q.answer, "junk"])
        else:
            predictions[q.id] = rng.choice([rng.choice(labels).upper(), q.answer, "Heat",
                                            "It is " + rng.choice(labels), ""])
    result = score(questions, predictions, n_boot=0)
    for key, row in result.items():
        truth, pred = [], []
        for q in questions:
            if q.task == key and q.id in predictions:
                t, p = _oracle(q, predictions[q.id])
                truth += t
                pred += p
        assert row["pairs"] == len(truth)
        assert row["micro_f1"] == pytest.approx(
            f1_score(truth, pred, average="micro", zero_division=0), abs=1e-12)
        assert row["macro_f1"] == pytest.approx(
            f1_score(truth, pred, average="macro", zero_division=0), abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_bootstrap_counts_equal_sklearn_on_resampled_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c", NO_MATCH]
    true = rng.choice(classes[:3], size=25)
    pred = rng.choice(classes, size=25)
    weight = rng.integers(0, 3, size=25)
    rows_t, rows_p = np.repeat(true, weight), np.repeat(pred, weight)
    code = {c: i for i, c in enumerate(classes)}
    t = np.array([code[x] for x in true])
    p = np.array([code[x] for x in pred])
    counts = [np.bincount(t[t == p], weight[t == p], minlength=4),
              np.bincount(t, weight, minlength=4), np.bincount(p, weight, minlength=4)]
    got = f1_from_counts(*counts, code[NO_MATCH])
    want = f1_pair(list(rows_t), list(rows_p))
    assert got == pytest.approx(want, abs=1e-12)


def test_exact_rule_misses_are_not_a_class(questions) -> None:
    sar = [q for q in questions if q.task == "sar"]
    answers = {q.id: (q.answer if i % 2 else "stirred") for i, q in enumerate(sar)}
    truth = [q.answer for q in sar]
    pred = [exact(answers[q.id], TASKS["sar"].labels) for q in sar]
    labels = sorted(set(truth) | set(pred) - {NO_MATCH})
    got = score(sar, answers, rule="exact", n_boot=0)["sar"]
    assert got["micro_f1"] == pytest.approx(
        f1_score(truth, pred, labels=labels, average="micro"), abs=1e-12)
    assert got["micro_f1"] > sum(t == p for t, p in zip(truth, pred, strict=True)) / len(sar)


def test_intervals_unanswered_and_unknown_ids(questions) -> None:
    sc = [q for q in questions if q.task == "sc"]
    answers = {q.id: ("yes" if i % 3 else "no") for i, q in enumerate(sc)}
    first = score(sc, answers, n_boot=300, seed=1)["sc"]
    assert first == score(sc, answers, n_boot=300, seed=1)["sc"]  # seeded
    low, high = first["micro_f1_ci"]
    assert low <= first["micro_f1"] <= high and low < high
    assert np.isnan(score(sc, answers, n_boot=0)["sc"]["micro_f1_ci"]).all()
    partial = score(questions, {sc[0].id: "yes", sc[1].id: "no"}, n_boot=0)
    assert list(partial) == ["sc"] and partial["sc"]["n"] == 2  # unanswered: not scored
    with pytest.raises(InputError, match=r"1 prediction id\(s\) are not questions .* 'nope/1'"):
        score(sc, {"nope/1": "yes"})
