"""The offline demo a scientist can read: coherent triples, a verifier that catches copies and
fragments, simulated experts at the paper's agreement, and a badge while the demo data is there."""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core import audit, demo
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import get_settings, load_settings
from honeybee_core.providers.base import InMemoryCallLog, LLMRequest
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.offline_templates import TEMPLATES, Ctx
from honeybee_core.providers.offline_text import FUNCTION_WORDS, sentences
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, sign_in_as
from tests.review_seed import seed

DIMS = ("accuracy", "relevance", "completeness", "reasonableness")
LIST_TASKS = {"Topic modeling", "Part-of-speech tagging", "Information Extraction",
              "Clustering", "Relation extraction"}  # answers that are lists, not sentences


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    settings = load_settings(db=folder / "demo.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    demo.seed_demo(Repository(database), settings, actor=CLI_ACTOR)
    database.close()
    return settings.db


@pytest.fixture
def repo_on(demo_db):
    database = open_database(demo_db)
    yield Repository(database)
    database.close()


def verdict(item: dict) -> dict:
    req = LLMRequest(purpose="verify", system="", prompt="Score it.", schema_name="verdict",
                     payload={k: item[k] for k in ("instruction", "input", "output")})
    return asyncio.run(LLMClient(OfflineProvider(), InMemoryCallLog()).complete(req)).parsed


def mean_score(item: dict) -> float:
    return statistics.mean(verdict(item)[d] for d in DIMS)


def test_demo_outputs_neither_copy_the_input_nor_stop_mid_sentence(repo_on):
    items = repo_on.db.cursor().execute(
        "SELECT task_type, input, output FROM instructions").fetchall()
    assert len(items) > 150
    for task, given, output in items:
        text = output.strip()
        assert text.lower() != given.strip().lower(), (task, output)
        assert not (len(given.split()) >= 12 and given.strip() in text), (task, output)
        assert text.split()[-1].lower() not in FUNCTION_WORDS, (task, output)
        if task not in LIST_TASKS:
            assert text.endswith((".", ")")), (task, output)


def test_every_task_type_writes_finished_sentences_from_the_corpus():
    passage = ("Annealing the cold-rolled copper at 400 °C restored its ductility. Grain "
               "refinement increased the yield strength of the steel, following Hall-Petch. "
               "Silicon has an indirect band gap of about 1.12 eV at 300 K. The conductivity of a "
               "semiconductor can be controlled over many orders of magnitude by doping.")
    ctx = Ctx("Metals", sentences(passage), random.Random(3))
    for task, template in TEMPLATES.items():
        instruction, given, output = template(ctx)
        assert instruction.endswith((".", "?")) and output.strip(), task
        assert output.strip() != given.strip(), task


def test_the_verifier_scores_copies_and_fragments_low(repo_on):
    good = repo_on.db.cursor().execute(
        "SELECT i.instruction, i.input, i.output FROM instructions i JOIN verifier_scores v"
        " ON v.instruction_id = i.id WHERE i.input <> '' AND length(i.output) > 60"
        " AND (v.accuracy + v.relevance + v.completeness + v.reasonableness) / 4 >= 80"
        " ORDER BY i.id LIMIT 12").fetchall()
    assert len(good) >= 8
    for instruction, given, output in good:
        item = {"instruction": instruction, "input": given, "output": output}
        whole = mean_score(item)
        copied = mean_score({**item, "output": given})
        words = output.split()
        cut = mean_score({**item, "output": " ".join(words[: max(3, len(words) // 2)])
                          .rstrip(".,;") + (" the" if len(words) < 8 else "")})
        assert copied < 55 and copied < whole - 25, (output, copied)
        assert cut < 60 and cut < whole - 20, (output, cut)


def test_simulated_experts_agree_with_the_verifier_about_as_in_the_paper(repo_on):
    result = audit.report(repo_on)
    spearman = {r["dimension"]: r["estimate"] for r in result["verifier_vs_experts"]
                if r["method"] == "spearman"}
    assert set(spearman) == set(DIMS)
    assert all(0.55 <= rho <= 0.85 for rho in spearman.values()), spearman
    per_reviewer = [r["estimate"] for r in result["per_reviewer"] if r["method"] == "spearman"]
    assert len(per_reviewer) == 8 and all(0.5 <= rho <= 0.85 for rho in per_reviewer)
    alphas = [r["alpha"] for r in result["inter_expert_alpha"]]
    assert all(a > max(spearman.values()) - 0.1 for a in alphas)  # experts agree among themselves


def test_demo_items_are_counted_only_in_a_demo_database(repo_on, repo):
    assert demo.demo_items(repo_on) > 150
    seed(repo, 5)
    assert demo.demo_items(repo) == 0


@pytest.mark.parametrize("with_demo", [True, False])
def test_every_page_shows_the_demo_badge_while_demo_items_are_there(
        demo_db, tmp_path, monkeypatch, with_demo):
    path = tmp_path / "app.duckdb"
    if with_demo:
        shutil.copy(demo_db, path)
    else:
        database = open_database(path)
        seed(Repository(database), 5)
        database.close()
    monkeypatch.setenv("HONEYBEE_DB", str(path))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        sign_in_as(at, role="admin")
        at.run()
        for page in ("views/home.py", "views/review.py", "views/explore.py",
                     "views/agreement.py", "views/data.py"):
            at.switch_page(page)
            at.run()
            assert not at.exception, page
            badge = [c for c in at.caption if "Demo data" in c.value]
            assert len(badge) == (1 if with_demo else 0), page
    finally:
        get_settings.cache_clear()
