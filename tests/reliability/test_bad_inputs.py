"""Every file of the bad-input corpus gets one line and changes nothing; odd but valid files import.

The old importers ended in RecursionError (deep JSON), OverflowError / ArrowInvalid (a huge
stage or score), ValueError (a 5,000-digit number, a superscript stage), csv.Error (a field over
128 KiB), read /dev/zero forever, split JSON Lines at U+2028 inside a string, took "1_0" as 10
and stored names and comments of any length.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from honeybee_core import auth
from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.errors import HoneybeeError
from honeybee_core.store import Repository, open_database
from tests.conftest import run_cli, write_jsonl
from tests.reliability import corpus

CURATOR = auth.Actor("cora", "curator")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    return corpus.write(folder, corpus.CASES + corpus.GOOD)


def signed_in(repo: Repository, actor: auth.Actor) -> auth.Actor:
    """The person as the core sees them: looked up, so require() reads the role stored."""
    return auth.get_user(repo, actor.name)

def _seed(repo: Repository, folder: Path) -> None:
    hio.import_file(repo, write_jsonl(folder / "seed.jsonl", corpus.ITEMS), actor=CLI_ACTOR)
    for name, role in (("ana", "reviewer"), ("cora", "curator")):
        auth.add_user(repo, auth.CLI_ACTOR, name, role)


def _import(repo: Repository, case: corpus.Case, path: Path):
    if case.kind == "ratings":
        return hio.import_ratings(repo, path, actor=signed_in(repo, CURATOR), **case.options)
    return hio.import_file(repo, path, **case.options, actor=CLI_ACTOR)


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda c: c.name)
def test_bad_input_gets_one_line_and_changes_nothing(repo, tmp_path, files, case):
    _seed(repo, tmp_path)
    before = repo.table_counts()
    with pytest.raises(HoneybeeError) as err:
        _import(repo, case, files[case.name])
    message = str(err.value)
    assert case.expect in message
    assert "\n" not in message and len(message) < 400, message  # one line, however big the input
    assert repo.table_counts() == before


def test_a_device_is_refused_before_reading_it(repo):
    with pytest.raises(HoneybeeError, match="is not a regular file"):
        # no extension: the old sniff read it forever
        hio.import_file(repo, "/dev/zero", actor=CLI_ACTOR)
    with pytest.raises(HoneybeeError, match="is not a regular file"):
        hio.import_file(repo, "/dev/zero", "jsonl", actor=CLI_ACTOR)


@pytest.mark.parametrize("case", corpus.GOOD, ids=lambda c: c.name)
def test_odd_but_valid_input_imports(repo, files, case):
    result = hio.import_file(repo, files[case.name], actor=CLI_ACTOR)
    assert result.new_items == 1
    item = repo.select_items().iloc[0]
    if case.name == "spaced_numbers.csv":
        assert item["stage"] == 2 and repo.verifier_scores()["accuracy"].tolist() == [85.0]
    if case.name == "big_field.csv":
        assert len(item["output"]) == 300_000
    if case.name == "line_separator.jsonl":
        assert (item["instruction"], item["output"]) == ("a\u2028b", "c\u2029d")


@pytest.mark.parametrize("name", ["deep_list.json", "stage_1e30.jsonl", "score_huge_int.jsonl",
                                  "ratings_long_comment.csv", "digits_5000.json"])
def test_the_cli_answers_with_one_line_and_exit_1(db_path, tmp_path, files, name):
    database = open_database(db_path)
    _seed(Repository(database), tmp_path)
    database.close()
    command = "import-ratings" if name.startswith("ratings") else "import"
    result = run_cli(command, str(files[name]), db=db_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
