"""The token index answers exactly what ILIKE '%text%' over instruction, input and output would:
whole words, parts of words, phrases, punctuation, case and non-ASCII letters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from honeybee_core.domain import ExploreQuery
from honeybee_core.store import ITEM_COLUMNS

WORDS = ["band", "gap", "bandgap", "Perovskite", "perovskites", "NiO", "Ni₂O₃", "TiO2", "1.12",
         "eV", "100%", "_of_", "a", "the", "Å", "über", "x'y", "$E_g$", "<b>", "co-doping"]
QUERIES = ["band", "BAND", "and", "gap", "band gap", "ndga", "perovskite", "ovsk", "Ni₂O",
           "₂O₃", "1.1", ".12 eV", "100%", "%", "_of_", "of", "Å", "ÜBER", "x'y", "'",
           "$E_g", "co-dop", "-", "band  gap", "gap band", "a the", "e", "zzz", "TiO2 1.12"]


@pytest.fixture
def texts(repo):
    rng = np.random.default_rng(3)
    rows = []
    for i in range(150):
        pick = lambda k: " ".join(rng.choice(WORDS, k))  # noqa: E731
        rows.append({"id": f"s{i:04d}", "stage": 1, "topic": "t", "task_type": "k",
                     "instruction": pick(4), "input": "" if i % 3 else pick(3),
                     "output": pick(5), "source": "imported", "generator": None,
                     "prompt_version": None, "parent_id": None})
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, frame.iloc[:100])
    with repo.db.transaction() as cur:  # a second batch: postings of both runs and the tail
        repo.insert_generated_rows(cur, frame.iloc[100:].to_dict("records"))
    return repo, frame


@pytest.mark.parametrize("query", QUERIES)
def test_search_equals_a_substring_match(texts, query):
    repo, frame = texts
    hit = [any(query.lower() in t.lower() for t in row) for row in
           frame[["instruction", "input", "output"]].itertuples(index=False)]
    expected = sorted(frame["id"][hit])
    page, total = repo.explore(ExploreQuery(search=query, sort="id", page_size=500))
    assert page["id"].tolist() == expected and total == len(expected)


def test_the_index_answers_words_and_leaves_symbols_to_a_scan(texts):
    repo, _ = texts
    nos = repo.search_nos("perovskite")
    assert nos is not None and len(nos) > 0
    assert repo.search_nos("%") is None  # nothing to look up: the caller scans
