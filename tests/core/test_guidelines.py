"""The review guideline: the shipped default, versions with who and when, the curator role, and
the version stored with every rating."""

from __future__ import annotations

import json

import pytest

from honeybee_core import guidelines, review
from honeybee_core.errors import InputError, NotFoundError, PermissionDeniedError
from honeybee_core.review import Rating
from tests.review_seed import add_user, seed


def rating(score: float = 80, verdict: str = "approve", **kw) -> Rating:
    return Rating(score, score, score, score, verdict=verdict, **kw)


def stored_version(repo, item: str, who: str) -> int | None:
    return repo.db.cursor().execute(
        "SELECT guideline_version FROM expert_ratings WHERE instruction_id = ? AND annotator = ?",
        [item, who]).fetchall()[0][0]


@pytest.fixture
def seeded(repo):
    items, _ = seed(repo, 10)
    return repo, items["id"].tolist()


def test_the_shipped_default_has_a_rubric_anchors_and_verdicts(repo):
    rule = guidelines.current(repo)
    assert (rule.version, rule.saved_by, rule.saved_at) == (1, "system", None)
    body = rule.body
    for heading in ("### Accuracy", "### Relevance", "### Completeness", "### Reasonableness"):
        section = body.split(heading, 1)[1].split("###", 1)[0]
        assert all(f"| {score} |" in section for score in (90, 60, 30)), heading
    for verdict in ("**Approve**", "**Reject**", "**Flag**", "**Skip**"):
        assert verdict in body
    assert "band gap" in body and "Hall–Petch" in body  # written for materials scientists
    assert repo.table_counts()["guidelines"] == 0  # reading stores nothing


def test_a_rating_stores_the_version_in_force(seeded):
    repo, ids = seeded
    rita, cora = add_user(repo, "rita"), add_user(repo, "cora", "curator")
    review.save_rating(repo, rita, ids[0], rating(70))
    assert stored_version(repo, ids[0], "rita") == 1
    first = guidelines.version(repo, 1)  # the default was stored as version 1 by then
    assert first.saved_by == "system" and first.saved_at is not None
    assert first.body == guidelines.default_text()

    second = guidelines.save(repo, cora, first.body + "\nA 50 means: half right.",
                             note="anchor for 50")
    assert (second.version, second.saved_by, second.note) == (2, "cora", "anchor for 50")
    assert guidelines.current(repo).version == 2
    review.save_rating(repo, rita, ids[1], rating(60))
    assert stored_version(repo, ids[1], "rita") == 2
    review.save_rating(repo, rita, ids[0], rating(70, comment="units fine"))  # same scores
    assert stored_version(repo, ids[0], "rita") == 1  # given under version 1, still
    review.save_rating(repo, rita, ids[0], rating(40, "reject"))  # rescored: under version 2
    assert stored_version(repo, ids[0], "rita") == 2
    history = guidelines.history(repo)
    assert history[["version", "saved_by", "ratings"]].values.tolist() == [
        [2, "cora", 2], [1, "system", 0]]


def test_older_versions_stay_readable_with_a_diff(seeded):
    repo, _ = seeded
    cora = add_user(repo, "cora", "curator")
    guidelines.save(repo, cora, "# Ours\nScore 0-100.", note="first draft")
    guidelines.save(repo, cora, "# Ours\nScore 0-100, use the whole range.")
    assert [v for v in guidelines.history(repo)["version"]] == [3, 2, 1]
    assert guidelines.version(repo, 2).body == "# Ours\nScore 0-100.\n"
    assert guidelines.version(repo, 1).body == guidelines.default_text()
    change = guidelines.diff(guidelines.version(repo, 2), guidelines.version(repo, 3))
    assert "-Score 0-100.\n" in change and "+Score 0-100, use the whole range.\n" in change
    with pytest.raises(NotFoundError, match="versions run from 1 to 3"):
        guidelines.version(repo, 9)


def test_only_curators_edit_and_bad_text_changes_nothing(seeded):
    repo, _ = seeded
    rita, cora = add_user(repo, "rita"), add_user(repo, "cora", "curator")
    before = repo.table_counts()
    with pytest.raises(PermissionDeniedError, match="rita is a reviewer and cannot edit the "
                       "review guideline"):
        guidelines.save(repo, rita, "# Mine")
    for body, message in (("  ", "is empty"), (guidelines.default_text(), "unchanged"),
                          ("x" * (guidelines.MAX_GUIDELINE + 1), "shorten it")):
        with pytest.raises(InputError, match=message):
            guidelines.save(repo, cora, body)
    with pytest.raises(InputError, match="note is longer"):
        guidelines.save(repo, cora, "# New", note="n" * 501)
    assert repo.table_counts() == before  # not even the default was stored
    assert guidelines.save(repo, add_user(repo, "ada", "admin"), "# Admin's").version == 2


def test_the_side_panel_shrinks_headings_but_not_code():
    body = "# Title\nText #1\n## Part\n```python\n# a comment\n```\n###### Small\n"
    assert guidelines.side_panel(body) == (
        "### Title\nText #1\n#### Part\n```python\n# a comment\n```\n###### Small\n")


def test_the_cli_shows_lists_and_saves_versions(tmp_path, db_path):
    from tests.conftest import run_cli

    shown = run_cli("guideline", "show", db=db_path)
    assert shown.returncode == 0 and shown.stdout == guidelines.default_text()
    ours = tmp_path / "ours.md"
    ours.write_text("# Our rubric\nA 90 is textbook-ready.\n", encoding="utf-8")
    saved = run_cli("guideline", "set", str(ours), "--note", "lab rubric", "--json", db=db_path)
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout) == {"version": 2, "saved_by": "cli", "note": "lab rubric"}
    again = run_cli("guideline", "set", str(ours), db=db_path)
    assert again.returncode == 1 and "unchanged" in again.stderr and not again.stdout
    listed = json.loads(run_cli("guideline", "history", "--json", db=db_path).stdout)
    assert [(v["version"], v["saved_by"]) for v in listed["versions"]] == [
        (2, "cli"), (1, "system")]
    old = run_cli("guideline", "show", "--version", "1", "--json", db=db_path)
    assert json.loads(old.stdout)["body"] == guidelines.default_text()
