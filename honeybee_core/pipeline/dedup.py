"""Near-duplicate instructions by ROUGE-L, as Self-Instruct filters them (F >= 0.7 is a duplicate).

Grounded generation reuses generic instructions ("Summarize the passage.") over different inputs,
so a duplicate is an instruction with F >= 0.7 *on the same input* (case and whitespace aside).
With no input this is exactly Self-Instruct's rule. The index is partitioned by input.

Comparing every new instruction with every kept one is quadratic. The index prunes with a bound
that cannot miss: ROUGE-L F <= 2*m/(la+lb), where m is the multiset token overlap, so a duplicate
needs m >= t*(la+lb)/2; by pigeonhole it must share one of the query's (la - m_min + 1) rarest
tokens. Only those postings are visited, and exact LCS runs on the few candidates left.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

THRESHOLD = 0.7
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """rouge_score's default tokenizer: lowercase, non-alphanumerics become spaces."""
    return _NON_ALNUM.sub(" ", text.lower()).split()


def lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j],
                                                                          current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(a: list[str], b: list[str]) -> float:
    """ROUGE-L F-measure of two token lists."""
    if not a or not b:
        return 0.0
    lcs = lcs_length(a, b)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(b), lcs / len(a)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Match:
    item_id: str
    score: float


def input_key(text: str) -> str:
    return " ".join(text.lower().split())


class NearDuplicateIndex:
    """Kept (instruction, input) pairs; `find` returns the closest duplicate, if any."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._parts: dict[str, _InstructionIndex] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, item_id: str, instruction: str, input_text: str = "") -> None:
        key = input_key(input_text)
        if key not in self._parts:
            self._parts[key] = _InstructionIndex(self.threshold)
        self._parts[key].add(item_id, instruction)
        self._size += 1

    def find(self, instruction: str, input_text: str = "") -> Match | None:
        part = self._parts.get(input_key(input_text))
        return part.find(instruction) if part else None


class _InstructionIndex:
    """Instructions sharing one input; `find` returns the closest at or above the threshold."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._ids: list[str] = []
        self._tokens: list[list[str]] = []
        self._counts: list[Counter[str]] = []
        self._postings: dict[str, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, item_id: str, instruction: str) -> None:
        tokens = tokenize(instruction)
        doc = len(self._ids)
        self._ids.append(item_id)
        self._tokens.append(tokens)
        counts = Counter(tokens)
        self._counts.append(counts)
        for token in counts:
            self._postings[token].append(doc)

    def find(self, instruction: str) -> Match | None:
        tokens = tokenize(instruction)
        if not tokens or not self._ids:
            return None
        la, t = len(tokens), self.threshold
        # the shortest possible partner still needs F >= t: lb >= la * t / (2 - t)
        lb_min = max(1, math.ceil(la * t / (2 - t)))
        m_min = max(1, math.ceil(t * (la + lb_min) / 2))
        if m_min > la:
            return None
        occurrences = sorted(tokens, key=lambda tok: len(self._postings.get(tok, ())))
        probe = set(occurrences[: la - m_min + 1])
        query_counts = Counter(tokens)
        best: Match | None = None
        seen: set[int] = set()
        for token in probe:
            for doc in self._postings.get(token, ()):
                if doc in seen:
                    continue
                seen.add(doc)
                other = self._tokens[doc]
                counts = self._counts[doc]
                overlap = sum(min(c, counts.get(tok, 0)) for tok, c in query_counts.items())
                if 2 * overlap / (la + len(other)) < t:
                    continue
                score = rouge_l(tokens, other)
                if score >= t and (best is None or score > best.score):
                    best = Match(self._ids[doc], score)
        return best
