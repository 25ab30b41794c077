"""Agreement over the database: the CLI prints what scipy computes on the same joined rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats

from honeybee_core import audit
from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from tests.conftest import run_cli, triples, write_jsonl

DIMS = ["accuracy", "relevance", "completeness", "reasonableness"]


def _seed(repo, tmp_path, n=40):
    rng = np.random.default_rng(1)
    items = triples(n)
    verifier = rng.integers(40, 101, size=(n, 4))
    records = [{"instruction": t["instruction"], "input": t["input"], "output": t["output"],
                **{d.capitalize(): int(v) for d, v in zip(DIMS, row, strict=True)},
                "topic": "Glass" if i % 2 else "Metals"}
               for i, (t, row) in enumerate(zip(items, verifier, strict=True))]
    hio.import_file(repo, write_jsonl(tmp_path / "v.jsonl", records), verifier="gpt-4")
    ids = [hio.content_id(t["instruction"], t["input"], t["output"]) for t in items]
    rows = []
    for r, name in enumerate(["ana", "bo"]):
        noisy = np.clip(verifier + rng.normal(0, 10 + 5 * r, size=verifier.shape), 0, 100)
        for i, item_id in enumerate(ids[: n - 5 * r]):
            rows.append({"instruction_id": item_id, "annotator": name,
                         **{d: round(float(x), 1) for d, x in zip(DIMS, noisy[i], strict=True)},
                         "verdict": "approve" if noisy[i].mean() > 75 else "reject",
                         "blind": i % 3 != 0})
    write_jsonl(tmp_path / "r.jsonl", rows)
    hio.import_ratings(repo, tmp_path / "r.jsonl", actor=CLI_ACTOR, create_annotators=True)
    return ids, verifier, pd.DataFrame(rows)


def test_report_matches_scipy_on_joined_rows(repo, tmp_path):
    ids, verifier, ratings = _seed(repo, tmp_path)
    result = audit.report(repo, rule="mean>=80,min>=60")
    expert_mean = ratings.groupby("instruction_id")[DIMS].mean().reindex(ids)
    rows = {(r["dimension"], r["method"]): r for r in result["verifier_vs_experts"]}
    for d, dim in enumerate(DIMS):
        rho = stats.spearmanr(verifier[:, d], expert_mean[dim]).statistic
        r = stats.pearsonr(verifier[:, d], expert_mean[dim]).statistic
        assert abs(rows[(dim, "spearman")]["estimate"] - rho) < 1e-9
        assert abs(rows[(dim, "pearson")]["estimate"] - r) < 1e-9
        assert rows[(dim, "spearman")]["n"] == len(ids)
    assert result["filter"]["rule"] is not None and result["counts"]["reviewers"] == 2


def test_filters_narrow_the_data(repo, tmp_path):
    _seed(repo, tmp_path)
    one = audit.report(repo, audit.AuditFilters(annotator="bo", topic="Glass", blind_only=True))
    assert one["counts"]["reviewers"] == 1
    assert one["counts"]["items"] < 20


def test_empty_database_reports_not_enough_data(repo):
    result = audit.report(repo)
    assert result["counts"]["items"] == 0
    assert {r["status"] for r in result["verifier_vs_experts"]} == {"not_enough_data"}


def test_cli_json_equals_core(db_path, tmp_path):
    from honeybee_core.store import Repository, open_database

    database = open_database(db_path)
    repo = Repository(database)
    _seed(repo, tmp_path)
    expected = audit.report(repo, rule="mean>=95,min>=90")
    database.close()
    out = run_cli("agreement", "--json", db=db_path)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed["verifier_vs_experts"] == expected["verifier_vs_experts"]
    assert printed["inter_expert_alpha"] == expected["inter_expert_alpha"]


def test_reviewer_running_rho(repo, tmp_path):
    ids, verifier, ratings = _seed(repo, tmp_path)
    table = audit.reviewer_agreement(repo, "bo").set_index("dimension")
    mine = ratings[ratings["annotator"] == "bo"].set_index("instruction_id").reindex(ids)
    keep = mine["accuracy"].notna().to_numpy()
    rho = stats.spearmanr(verifier[keep, 0], mine["accuracy"].to_numpy()[keep]).statistic
    assert table.loc["accuracy", "rho"] == round(rho, 2)
    assert table.loc["accuracy", "n"] == keep.sum() == 35
    empty = audit.reviewer_agreement(repo, "nobody")
    assert len(empty) == 4 and empty["rho"].isna().all() and (empty["n"] == 0).all()
