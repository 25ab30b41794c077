"""Near-duplicate index: exact ROUGE-L, and the pruning never misses a duplicate."""

from __future__ import annotations

import random

from honeybee_core.pipeline.dedup import NearDuplicateIndex, rouge_l, tokenize


def _lcs_reference(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = (table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1]
                           else max(table[i - 1][j], table[i][j - 1]))
    return table[-1][-1]


def test_rouge_l_hand_example():
    a = tokenize("The band gap of silicon is 1.12 eV.")  # 9 tokens ("1.12" -> "1", "12")
    b = tokenize("What is the band gap of silicon?")
    # LCS = "the band gap of silicon" = 5; P = 5/7, R = 5/9
    expected = 2 * (5 / 7) * (5 / 9) / (5 / 7 + 5 / 9)
    assert abs(rouge_l(a, b) - expected) < 1e-12
    assert rouge_l(a, a) == 1.0 and rouge_l(a, []) == 0.0


def test_index_matches_brute_force():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)] + ["the", "of", "a", "material"] * 5
    base = [" ".join(rng.choice(vocab) for _ in range(rng.randint(4, 20))) for _ in range(300)]
    # make many near-copies so duplicates exist
    docs = base + [" ".join(s.split()[:-1] + ["extra"]) for s in base[:150]]
    rng.shuffle(docs)
    index = NearDuplicateIndex()
    kept: list[tuple[str, list[str]]] = []
    for n, doc in enumerate(docs):
        tokens = tokenize(doc)
        brute = max((rouge_l(tokens, other) for _, other in kept), default=0.0)
        found = index.find(doc)
        if brute >= 0.7:
            assert found is not None and abs(found.score - brute) < 1e-12
        else:
            assert found is None
            index.add(str(n), doc)
            kept.append((str(n), tokens))
    assert 0 < len(index) < len(docs)


def test_lcs_equals_reference():
    rng = random.Random(3)
    from honeybee_core.pipeline.dedup import lcs_length

    for _ in range(200):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        assert lcs_length(a, b) == _lcs_reference(a, b)


def test_same_instruction_on_another_input_is_not_a_duplicate():
    index = NearDuplicateIndex()
    index.add("a", "Summarize the passage in two sentences.", "Glass is amorphous.")
    assert index.find("Summarize the passage in two sentences.", "Steel is an alloy.") is None
    found = index.find("Summarize this passage in two sentences.", "  glass is   AMORPHOUS. ")
    assert found is not None and found.item_id == "a"
