"""From a model's free-text answer to one label of the task.

"released" (the default) is the rule of HoneyBee's and MatSci-NLP's evaluation: lower-case,
strip, remove spaces; an exact hit on a label wins, else the label at the smallest Levenshtein
distance, ties going to the first label of the task's list. "phrase" and "exact" are this
project's earlier rules, kept by name for comparison; numbers made with them are not the
paper's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import Levenshtein

from honeybee_core.errors import InputError

NO_MATCH = "(none)"  # what "exact" gives an answer naming no label; never a task label
Rule = Callable[[str, Sequence[str]], str]
_NON_WORD = re.compile(r"[\W_]+")


def squash(text: str | None) -> str:
    """The released normal form: lower case, outer whitespace stripped, spaces removed."""
    return ("" if text is None else str(text)).lower().strip().replace(" ", "")


def released(answer: str, labels: Sequence[str]) -> str:
    """Exact hit after squash(), else the nearest label by edit distance (first on ties)."""
    text = squash(answer)
    if text in labels:
        return text
    distances = [Levenshtein.distance(text, label) for label in labels]
    return labels[distances.index(min(distances))]


def normalize(text: str | None) -> str:
    """Case-, width-, punctuation- and whitespace-insensitive form ("phrase" and "exact")."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).casefold()
    return _NON_WORD.sub(" ", text).strip()


def phrase(answer: str, labels: Sequence[str]) -> str:
    """The label named earliest as a whole phrase (a phrase inside a longer label's match does
    not count), else the label at the smallest edit distance; ties go to the first label."""
    text = normalize(answer)
    spans = []
    for label in labels:
        pattern = re.compile(rf"(?<!\S){re.escape(normalize(label))}(?!\S)")
        spans += [(m.start(), m.end(), label) for m in pattern.finditer(text)]
    free = [(s, e, lab) for s, e, lab in spans
            if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in spans)]
    if free:
        return min(free, key=lambda span: span[0])[2]
    distances = [Levenshtein.distance(text, normalize(label)) for label in labels]
    return labels[distances.index(min(distances))]


def exact(answer: str, labels: Sequence[str]) -> str:
    """The label equal to the answer after normalize(), else NO_MATCH (always a miss)."""
    text = normalize(answer)
    return next((lab for lab in labels if normalize(lab) == text), NO_MATCH)


RULES: dict[str, Rule] = {"released": released, "phrase": phrase, "exact": exact}


def get_rule(name: str) -> Rule:
    if name not in RULES:
        raise InputError(f"Unknown answer-mapping rule '{name}'; use one of {', '.join(RULES)}.")
    return RULES[name]
