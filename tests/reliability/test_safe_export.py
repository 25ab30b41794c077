"""Export never overwrites without --force, writes beside and renames, never follows a symlink,
and turns every OS error into one line.

The old export overwrote files, wrote through symlinks, and ended in a traceback for a folder,
"" or an unwritable path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.errors import InputError
from honeybee_core.store import Repository, open_database
from tests.conftest import run_cli, triples, write_jsonl


@pytest.fixture
def filled(db_path: Path, tmp_path: Path) -> Path:
    database = open_database(db_path)
    hio.import_file(Repository(database), write_jsonl(tmp_path / "in.jsonl", triples(5)),
                    actor=CLI_ACTOR)
    database.close()
    return db_path


def _one_error_line(result) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


def test_an_existing_file_is_kept_unless_force(filled, tmp_path):
    out = tmp_path / "out" / "export.jsonl"
    out.parent.mkdir()
    out.write_text("precious\n")
    line = _one_error_line(run_cli("export", str(out), db=filled))
    assert "already exists" in line and "--force" in line
    assert out.read_text() == "precious\n"
    forced = run_cli("export", str(out), "--force", db=filled)
    assert forced.returncode == 0, forced.stderr
    assert len(out.read_text().splitlines()) == 5
    assert _leftovers(out.parent) == []


def test_a_symlink_is_never_followed_out_of_the_folder(filled, tmp_path):
    victim = tmp_path / "elsewhere" / "bashrc"
    victim.parent.mkdir()
    victim.write_text("export PATH=/usr/bin\n")
    folder = tmp_path / "exports"
    folder.mkdir()
    link = folder / "latest.jsonl"
    link.symlink_to(victim)
    line = _one_error_line(run_cli("export", str(link), db=filled))
    assert "symlink" in line
    assert run_cli("export", str(link), "--force", db=filled).returncode == 0
    assert victim.read_text() == "export PATH=/usr/bin\n"  # what the link pointed to: untouched
    assert not link.is_symlink() and len(link.read_text().splitlines()) == 5
    dangling = folder / "dangling.parquet"
    dangling.symlink_to(tmp_path / "elsewhere" / "new-file")
    _one_error_line(run_cli("export", str(dangling), "--format", "parquet", db=filled))
    assert not (tmp_path / "elsewhere" / "new-file").exists()


@pytest.mark.parametrize("target, expected", [
    ("", "names a folder, not a file"),
    (".", "names a folder, not a file"),
    ("{tmp}", "is a folder; give a file path"),
    ("{tmp}/in.jsonl/x.jsonl", "Cannot create the folder"),  # the parent is a file
])
def test_bad_targets_get_one_line(filled, tmp_path, target, expected):
    line = _one_error_line(run_cli("export", target.format(tmp=tmp_path), db=filled))
    assert expected in line


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs sysfs (a folder no one "
                    "may create files in, even root)")
def test_an_unwritable_folder_gets_one_line(filled):
    line = _one_error_line(run_cli("export", "/sys/honeybee-export.jsonl", db=filled))
    assert "Cannot write in /sys" in line


def test_hf_force_replaces_only_an_earlier_export(filled, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    line = _one_error_line(run_cli("export", str(home), "--format", "hf", "--force", db=filled))
    assert "holds other files" in line and (home / "thesis.tex").read_text() == "years of work"
    out = tmp_path / "ds"
    assert run_cli("export", str(out), "--format", "hf", db=filled).returncode == 0
    assert run_cli("export", str(out), "--format", "hf", "--force", db=filled).returncode == 0
    assert (out / "dataset_info.json").is_file() and _leftovers(tmp_path) == []


def test_a_write_that_fails_midway_leaves_the_old_file_whole(tmp_path):
    from honeybee_core import safefile

    out = tmp_path / "export.json"
    out.write_text(json.dumps(["old"]))
    with pytest.raises(RuntimeError), safefile.replacing(out, force=True) as tmp:
        tmp.write_text('["half a fi')
        raise RuntimeError("killed mid-write")
    assert json.loads(out.read_text()) == ["old"] and _leftovers(tmp_path) == []
    with pytest.raises(InputError, match=r"Writing .* failed \(the disk is full\)"), \
            safefile.replacing(out, force=True) as tmp:
        tmp.write_text("new")
        raise OSError(28, "No space left on device")
    assert json.loads(out.read_text()) == ["old"] and _leftovers(tmp_path) == []


def test_an_upload_name_cannot_place_a_file_outside_the_temporary_folder(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from honeybee_core.config import get_settings
    from tests.conftest import ROOT, sign_in_as

    monkeypatch.setenv("HONEYBEE_DB", str(tmp_path / "app.duckdb"))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        sign_in_as(at, "cora", "curator")
        at.run()
        at.switch_page("views/data.py").run()
        body = "".join(json.dumps(t) + "\n" for t in triples(2)).encode()
        planted = tmp_path / "planted.jsonl"  # the browser, not the user, names the upload
        at.file_uploader(key="import_file").set_value((str(planted), body, "text/plain")).run()
        at.button(key="import_go").click().run()
        assert not at.exception and not planted.exists()
        assert any("New items: 2" in s.value for s in at.success)
    finally:
        get_settings.cache_clear()


def test_a_grounding_upload_name_cannot_leave_the_uploads_folder(tmp_path, monkeypatch):
    import time

    from streamlit.testing.v1 import AppTest

    from honeybee_core.config import get_settings
    from tests.conftest import ROOT, sign_in_as

    runs_dir = tmp_path / "data" / "runs"
    monkeypatch.setenv("HONEYBEE_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("HONEYBEE_RUNS_DIR", str(runs_dir))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        sign_in_as(at, "cora", "curator")
        at.run()
        at.switch_page("views/generate.py").run()
        passages = b'{"text": "Silicon has an indirect band gap of 1.12 eV at 300 K."}\n'
        name = "../../../../planted.jsonl"  # joined to "<digest>-", it climbed out of runs/
        at.file_uploader(key="gen_grounded").set_value((name, passages, "text/plain")).run()
        at.number_input(key="gen_n").set_value(2)
        at.button(key="gen_launch").click().run()
        assert not at.exception and not at.error
        from views.common import _repository

        store = _repository(str(tmp_path / "app.duckdb"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
                not len(store.jobs()) or store.jobs().iloc[0]["status"] == "running"):
            time.sleep(0.2)
    finally:
        get_settings.cache_clear()
    assert not (tmp_path / "data" / "planted.jsonl").exists()
    assert [p.name.split("-", 1)[1] for p in (runs_dir / "uploads").iterdir()] == [
        "planted.jsonl"]
