"""Zero-shot on everything, or the benchmark's low-resource split, seeded and reproducible."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sklearn.model_selection import train_test_split

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp import SplitSpec, load, pick, split_questions

DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"


@pytest.fixture(scope="module")
def questions():
    return load(DATA).questions


def test_all_scores_everything(questions) -> None:
    train, test = split_questions(questions, SplitSpec("all"))
    assert train == [] and test == questions
    with pytest.raises(InputError, match="--split all has no train part"):
        pick(questions, SplitSpec("all"), "train")


def test_low_resource_split_is_reproducible_and_per_task(questions) -> None:
    spec = SplitSpec("low-resource", train_size=0.25, seed=7)
    train, test = split_questions(questions, spec)
    again = split_questions(questions, spec)
    assert (train, test) == again  # same seed, same split
    assert split_questions(questions, SplitSpec("low-resource", 0.25, 8))[0] != train
    assert {q.id for q in train}.isdisjoint(q.id for q in test)
    assert len(train) + len(test) == len(questions)
    order = {q.id: i for i, q in enumerate(questions)}
    assert [order[q.id] for q in test] == sorted(order[q.id] for q in test)  # file order
    for task in {q.task for q in questions}:
        members = [q for q in questions if q.task == task]
        in_train = [q for q in train if q.task == task]
        assert len(in_train) == math.floor(0.25 * len(members)), task
        # the release's method: train_test_split on the task's questions, seed as random_state
        expected, _ = train_test_split(members, train_size=0.25, random_state=7)
        assert {q.id for q in in_train} == {q.id for q in expected}
    assert pick(questions, spec, "train") == train and pick(questions, spec) == test


@pytest.mark.parametrize(("spec", "message"), [
    (SplitSpec("low-resource", 0.01, 0), r"leaves task ner \(47 questions\) with an empty"),
    (SplitSpec("low-resource", 1.5, 0), "--train-size must be between 0 and 1"),
    (SplitSpec("few-shot"), "Unknown split 'few-shot'"),
])
def test_bad_splits(questions, spec: SplitSpec, message: str) -> None:
    with pytest.raises(InputError, match=message):
        split_questions(questions, spec)
