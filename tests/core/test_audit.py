"""Agreement over the database: the CLI prints what scipy computes on the same joined rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats

from honeybee_core import audit, audit_report
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
    hio.import_file(repo, write_jsonl(tmp_path / "v.jsonl", records), verifier="gpt-4",
                    actor=CLI_ACTOR)
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


def test_confusion_cells_hold_the_items_the_report_counts(repo, tmp_path):
    ids, verifier, ratings = _seed(repo, tmp_path)
    rule = "mean>=80,min>=60"
    counts = audit.report(repo, rule=rule)["filter"]["rule"]
    cells = {cell: audit.confusion_ids(repo, audit.AuditFilters(), rule, cell)
             for cell in ("tp", "fp", "fn", "tn")}
    assert {cell: len(v) for cell, v in cells.items()} == {
        cell: counts[cell] for cell in ("tp", "fp", "fn", "tn")}
    assert sum(map(len, cells.values())) == counts["n"] > 0
    # each cell is what the rule and the experts' majority say about that item
    votes = ratings.assign(up=ratings["verdict"].eq("approve") * 2 - 1)
    net = votes.groupby("instruction_id")["up"].sum()
    for item in cells["fn"]:
        row = verifier[ids.index(item)]
        assert net[item] > 0 and not (row.mean() >= 80 and row.min() >= 60)
    for item in cells["tp"]:
        row = verifier[ids.index(item)]
        assert net[item] > 0 and row.mean() >= 80 and row.min() >= 60


def test_explore_link_round_trips_filters_rule_and_cell():
    filters = audit.AuditFilters(verifier="gpt-4", stage=2, blind_only=True)
    params = audit.explore_params(filters, "mean>=95,min>=90", "fp")
    assert params == {"cell": "fp", "rule": "mean>=95,min>=90", "verifier": "gpt-4",
                      "stage": "2", "blind_only": "1"}
    assert audit.from_explore_params(params) == (filters, "mean>=95,min>=90", "fp")
    assert audit.from_explore_params({"cell": "nope", "rule": "mean>=1"}) is None
    assert audit.from_explore_params({}) is None


def test_report_reads_as_words_and_numbers(repo, tmp_path):
    _seed(repo, tmp_path)
    result = audit.report(repo, rule="mean>=80,min>=60")
    tables = audit_report.tables(result)
    for name, table in tables.items():
        assert not any("_" in str(c) for c in table.columns), name
        for column in table.columns:  # no dicts or lists left in a cell
            assert not table[column].map(lambda v: isinstance(v, dict | list)).any(), name
    main = tables["verifier_vs_experts"]
    assert list(main["Dimension"]) == DIMS and main["Spearman ρ p-value"].str.contains("×").any()
    ruled = audit_report.rule_report(result["filter"])
    metrics = result["filter"]["rule"]
    assert (ruled.precision, ruled.recall, ruled.f1) == (
        metrics["precision"], metrics["recall"], metrics["f1"])
    assert ruled.confusion.iloc[0, 1:].tolist() == [metrics["tp"], metrics["fp"]]
    best = result["filter"]["sweep"]["best_f1"]
    sentence = audit_report.best_threshold(result["filter"])
    assert f"F1 {best['f1']:.2f}" in sentence and "{" not in sentence
    assert audit_report.rule_words("mean>=95,min>=90") == (
        "mean score ≥ 95 and lowest dimension ≥ 90")
    assert audit_report.rule_words("mean>=85,min>=0") == "mean score ≥ 85"
