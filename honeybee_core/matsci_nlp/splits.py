"""Which questions train and which are scored.

"all": zero-shot, every question is scored. "low-resource": the benchmark's setting, as the
release's split_data does it: within each task, sklearn's train_test_split with the given
train_size (0.01 in the paper) puts a small part aside for training and scores the rest. The
release passes no seed; here the seed is the random_state, so the same seed gives the same
split on the same files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp.reading import Question

SPLITS = ("all", "low-resource")
PARTS = ("test", "train")


@dataclass(frozen=True)
class SplitSpec:
    mode: str = "all"
    train_size: float = 0.01
    seed: int = 0

    def check(self) -> None:
        if self.mode not in SPLITS:
            raise InputError(f"Unknown split '{self.mode}'; use one of {', '.join(SPLITS)}.")
        if not 0.0 < self.train_size < 1.0:
            raise InputError(f"--train-size must be between 0 and 1 (the paper uses 0.01); got "
                             f"{self.train_size}.")

    def describe(self) -> dict[str, Any]:
        if self.mode == "all":
            return {"mode": "all"}
        return asdict(self)


def split_questions(questions: list[Question], spec: SplitSpec
                    ) -> tuple[list[Question], list[Question]]:
    """(train, test), each in file order; with "all" nothing trains and everything is test."""
    spec.check()
    if spec.mode == "all":
        return [], list(questions)
    from sklearn.model_selection import train_test_split  # slow to import; only when needed

    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(q.task, []).append(i)
    train: set[int] = set()
    for task, members in groups.items():
        try:
            part, _ = train_test_split(members, train_size=spec.train_size,
                                       random_state=spec.seed)
        except ValueError:
            raise InputError(
                f"--train-size {spec.train_size} leaves task {task} ({len(members)} questions) "
                "with an empty train or test part; use a larger data set or another "
                "--train-size.") from None
        train.update(part)
    return ([q for i, q in enumerate(questions) if i in train],
            [q for i, q in enumerate(questions) if i not in train])


def pick(questions: list[Question], spec: SplitSpec, part: str = "test") -> list[Question]:
    """One part of the split."""
    if part not in PARTS:
        raise InputError(f"Unknown part '{part}'; use test or train.")
    train, test = split_questions(questions, spec)
    if part == "train" and spec.mode == "all":
        raise InputError("--split all has no train part; use --split low-resource.")
    return train if part == "train" else test
