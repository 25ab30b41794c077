"""Ratings belong to their authors: an import adds, never silently replaces, and keeps history.

The old import upserted whatever annotator a file named over that person's rating, with no
history, and made accounts for unknown names; a curator could rewrite any expert's ratings.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core import auth, review
from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import get_settings
from honeybee_core.errors import InputError, PermissionDeniedError
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, run_cli, sign_in_as, triples, write_jsonl

ANA = auth.Actor("ana", "reviewer")
CORA = auth.Actor("cora", "curator")
ADMIN = auth.Actor("root", "admin")


def signed_in(repo: Repository, actor: auth.Actor) -> auth.Actor:
    """The person as the core sees them: looked up, so require() reads the role stored."""
    return auth.get_user(repo, actor.name)

def _seed(repo: Repository, tmp_path: Path) -> list[str]:
    """Three items, accounts for ana (reviewer), bo (reviewer), cora (curator), root (admin);
    ana rates the first item through the review core, as she would in the app."""
    hio.import_file(repo, write_jsonl(tmp_path / "items.jsonl", triples(3)), actor=CLI_ACTOR)
    for actor in (ANA, CORA, ADMIN, auth.Actor("bo", "reviewer")):
        auth.add_user(repo, auth.CLI_ACTOR, actor.name, actor.role)
    ids = sorted(repo.select_items()["id"])
    review.save_rating(repo, signed_in(repo, ANA), ids[0],
                       review.Rating(90, 85, 80, 75, "approve", "solid"))
    return ids


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row(item_id: str, who: str, score: float, comment: str = "rewritten") -> dict:
    return {"instruction_id": item_id, "annotator": who, "accuracy": score, "relevance": score,
            "completeness": score, "reasonableness": score, "verdict": "reject",
            "comment": comment}


def _ana_rating(repo: Repository, item_id: str) -> dict:
    return repo.rating_of(item_id, "ana")


def test_a_curator_cannot_rewrite_an_experts_rating(repo, tmp_path):
    ids = _seed(repo, tmp_path)
    before = _ana_rating(repo, ids[0])
    file = _csv(tmp_path / "r.csv", [_row(ids[1], "bo", 50), _row(ids[0], "ana", 10)])
    with pytest.raises(InputError, match="would replace ratings other people made") as err:
        hio.import_ratings(repo, file, actor=signed_in(repo, CORA))
    assert "record 2, ana on item" in str(err.value) and "\n" not in str(err.value)
    after = _ana_rating(repo, ids[0])
    assert (after["accuracy"], after["verdict"], after["comment"]) == (90.0, "approve", "solid")
    assert after["updated_at"] == before["updated_at"]
    assert repo.rating_of(ids[1], "bo") is None  # the whole file was refused
    assert len(repo.ratings_history()) == 0


def test_an_import_adds_ratings_for_people_who_have_none(repo, tmp_path):
    ids = _seed(repo, tmp_path)
    rows = [_row(ids[1], "ana", 40), _row(ids[0], "bo", 60), _row(ids[2], "bo", 70)]
    result = hio.import_ratings(repo, _csv(tmp_path / "r.csv", rows), actor=signed_in(repo, CORA))
    assert (result.inserted, result.replaced, result.updated, result.unchanged) == (3, 0, 0, 0)
    assert _ana_rating(repo, ids[0])["accuracy"] == 90.0  # her own rating of item 0 untouched
    assert _ana_rating(repo, ids[1])["accuracy"] == 40.0
    again = hio.import_ratings(repo, tmp_path / "r.csv", actor=signed_in(repo, CORA))
    assert (again.inserted, again.unchanged) == (0, 3)  # re-importing the same file is a no-op


def test_unknown_names_are_refused_unless_asked_to_create_them(repo, tmp_path):
    ids = _seed(repo, tmp_path)
    file = _csv(tmp_path / "r.csv", [_row(ids[1], "mallory", 5), _row(ids[2], "eve", 5)])
    with pytest.raises(InputError, match=r"annotator 'mallory' \(and 1 more names\) has no "
                       "account"):
        hio.import_ratings(repo, file, actor=signed_in(repo, CORA))
    assert auth.lookup(repo, "mallory") is None and auth.lookup(repo, "eve") is None
    result = hio.import_ratings(repo, file, actor=signed_in(repo, CORA), create_annotators=True)
    assert result.new_annotators == ("eve", "mallory") and result.inserted == 2
    assert auth.lookup(repo, "mallory").role == "reviewer"  # never more than a reviewer


def test_replace_is_for_admins_and_keeps_the_old_rating(repo, tmp_path):
    ids = _seed(repo, tmp_path)
    file = _csv(tmp_path / "r.csv", [_row(ids[0], "ana", 10)])
    with pytest.raises(PermissionDeniedError, match="needs the admin role"):
        hio.import_ratings(repo, file, actor=signed_in(repo, CORA), replace=True)
    assert _ana_rating(repo, ids[0])["accuracy"] == 90.0
    result = hio.import_ratings(repo, file, actor=signed_in(repo, ADMIN), replace=True)
    assert (result.replaced, result.replace) == (1, True)
    assert _ana_rating(repo, ids[0])["accuracy"] == 10.0
    history = repo.ratings_history(ids[0])
    assert len(history) == 1
    old = history.iloc[0]
    assert (old["annotator"], old["accuracy"], old["verdict"], old["comment"]) == (
        "ana", 90.0, "approve", "solid")
    assert old["replaced_by"] == "root" and old["reason"] == "import r.csv --replace"
    assert old["replaced_at"] is not None and old["rated_at"] is not None


def test_the_cli_shows_a_replace_as_such_and_refuses_without_it(db_path, tmp_path):
    database = open_database(db_path)
    ids = _seed(Repository(database), tmp_path)
    database.close()
    file = _csv(tmp_path / "r.csv", [_row(ids[0], "ana", 10)])
    refused = run_cli("import-ratings", str(file), db=db_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "would replace ratings other people made" in refused.stderr
    replaced = run_cli("import-ratings", str(file), "--replace", db=db_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "--replace: 1 rating(s) by other people REPLACED" in replaced.stdout
    as_json = run_cli("import-ratings", str(file), "--replace", "--json", db=db_path)
    assert json.loads(as_json.stdout)["unchanged"] == 1  # the same values again: no new history


def _data_page(curator: str, app_db: Path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, curator, "curator", db=app_db)
    at.run()
    at.switch_page("views/data.py")
    at.run()
    return at


def test_the_data_page_follows_the_same_rules(tmp_path, monkeypatch):
    app_db = tmp_path / "app.duckdb"
    monkeypatch.setenv("HONEYBEE_DB", str(app_db))
    get_settings.cache_clear()
    try:
        database = open_database(app_db)
        ids = _seed(Repository(database), tmp_path)
        database.close()
        at = _data_page("cora", app_db)
        assert not any("Replace" in c.label for c in at.checkbox)  # not offered to a curator
        at.radio(key="import_kind").set_value("Expert ratings").run()
        body = _csv(tmp_path / "r.csv", [_row(ids[0], "ana", 10)]).read_bytes()
        at.file_uploader(key="import_file").set_value(("r.csv", body, "text/csv")).run()
        at.button(key="import_go").click().run()
        assert not at.exception
        assert any("would replace ratings other people made" in e.value for e in at.error)
    finally:
        get_settings.cache_clear()
    database = open_database(app_db)
    assert Repository(database).rating_of(ids[0], "ana")["accuracy"] == 90.0
    database.close()
