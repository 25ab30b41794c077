"""The offline Instructor over the corpus: a generate job's items are new, not near-duplicates
of each other or of the demo's, and read as finished answers (real DuckDB, real dedup)."""

from __future__ import annotations

import pytest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.demo import seed_demo
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.dedup import THRESHOLD, input_key, rouge_l, tokenize
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.providers.offline_text import copies_input
from honeybee_core.store import Repository, open_database


@pytest.fixture
def repo(tmp_path):
    settings = load_settings(db=tmp_path / "g.duckdb", runs_dir=tmp_path / "runs",
                             demo_items=100)
    database = open_database(settings.db)
    yield Repository(database), settings
    database.close()


def test_a_30_item_job_after_the_demo_is_mostly_new_and_readable(repo):
    repo, settings = repo
    seeded = seed_demo(repo, settings, actor=CLI_ACTOR)
    assert seeded["duplicates"] <= 5  # the demo itself: 100 asked, few near-duplicates
    before = set(repo.select_items()["id"])
    out = jobs.run_generate(repo, GenerateParams(n=30, seed=11), settings=settings,
                            actor=CLI_ACTOR)
    assert out.status == "finished" and out.new_items >= 25 and out.duplicates <= 3
    new = repo.select_items()
    new = new[~new["id"].isin(before)]
    assert len(new) == out.new_items
    pairs = [(input_key(r.input or ""), r.instruction) for r in new.itertuples()]
    assert len(set(pairs)) == len(pairs)  # no instruction asked twice of one input
    for r in new.itertuples():
        assert not copies_input(r.output, r.input or "", r.instruction), r
        assert r.output.strip()[-1] in ".)?!" or ";" in r.output or r.task_type in (
            "Information Extraction", "Topic modeling", "Part-of-speech tagging",
            "Relation extraction", "Clustering"), r.output  # whole sentences, no cut-offs
    # within one input, instructions differ enough that dedup keeps them apart
    by_input: dict[str, list[str]] = {}
    for key, instruction in pairs:
        by_input.setdefault(key, []).append(instruction)
    close = [(a, b) for group in by_input.values() for i, a in enumerate(group)
             for b in group[i + 1 :] if rouge_l(tokenize(a), tokenize(b)) >= THRESHOLD]
    assert not close


def test_the_same_plan_is_the_same_items_and_another_seed_brings_new_ones(repo):
    repo, settings = repo
    first = jobs.run_generate(repo, GenerateParams(n=20, seed=1), settings=settings,
                              actor=CLI_ACTOR)
    again = jobs.run_generate(repo, GenerateParams(n=20, seed=1), settings=settings,
                              actor=CLI_ACTOR)
    assert first.new_items >= 18 and again.new_items == 0  # deterministic: nothing new
    other = jobs.run_generate(repo, GenerateParams(n=20, seed=2), settings=settings,
                              actor=CLI_ACTOR)
    assert other.new_items >= 16


def test_the_pages_next_seed_is_new_after_a_finished_job_and_kept_after_an_unfinished_one(repo):
    repo, settings = repo
    assert jobs.next_generate_seed(repo) == 0
    first = GenerateParams(n=5, seed=jobs.next_generate_seed(repo))
    assert jobs.run_generate(repo, first, settings=settings, actor=CLI_ACTOR).status == "finished"
    second = jobs.next_generate_seed(repo)
    assert second == 1  # "generate 5 more" plans anew
    repo.create_job("died", "generate", "{}", "ada")  # one that died before it finished
    repo.update_job("died", status="failed")
    assert jobs.next_generate_seed(repo) == second  # relaunching it resumes, pays nothing twice
