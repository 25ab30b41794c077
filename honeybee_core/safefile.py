"""Writing a file (or folder) a person named, without losing or exposing anything.

New content goes to a fresh temporary name in the target's own folder and is renamed over the
target only once complete, so a crash or a full disk leaves the old file whole and no reader sees
half a file. An existing target is replaced only when asked (force). A symlink at the target is
replaced itself, never followed, so a write cannot land outside the folder the path names. Every
OS error becomes one sentence (InputError) and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from honeybee_core.errors import InputError

# what datasets.save_to_disk leaves in a folder: only such a folder is replaced under force
_DATASET_MARKERS = ("dataset_info.json", "state.json")


def check_target(out: Path, *, force: bool, folder: bool = False) -> Path:
    """The path to write, or InputError saying why it may not be written."""
    if not out.name or out.name in (".", ".."):
        raise InputError(
            f"'{out}' names a folder, not a file; give a file name such as export.jsonl."
        )
    if out.is_symlink():
        if not force:
            raise InputError(
                f"{out} is a symlink (to {os.readlink(out)}); nothing was written. Use --force "
                "to replace the link itself with the file (what it points to is left alone)."
            )
        return out
    if out.is_dir() and not folder:
        raise InputError(f"{out} is a folder; give a file path such as {out / 'export.jsonl'}.")
    if out.exists() and folder and not out.is_dir():
        raise InputError(f"{out} is a file; give a new folder name for --format hf.")
    if out.exists() and not force:
        raise InputError(f"{out} already exists; nothing was written. Add --force to replace it.")
    if out.is_dir() and not any((out / m).is_file() for m in _DATASET_MARKERS):
        raise InputError(
            f"{out} is a folder that holds other files, not an earlier export; choose a new "
            "folder name."
        )
    return out


@contextlib.contextmanager
def replacing(out: str | Path, *, force: bool = False, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside out to write into; on success it becomes out."""
    target = check_target(Path(out), force=force, folder=folder)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the folder {parent} ({_why(exc)}).") from None
    tmp = parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        if folder:
            tmp.mkdir()
        else:  # O_EXCL: never opens something that is already there, a symlink included
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise InputError(
            f"Cannot write in {parent} ({_why(exc)}); choose a folder you can write to."
        ) from None
    try:
        yield tmp
        _commit(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise InputError(f"Writing {target} failed ({_why(exc)}); it was left as it was.") from None
    except BaseException:
        _remove(tmp)
        raise


def _commit(tmp: Path, target: Path) -> None:
    if tmp.is_dir() and target.is_dir() and not target.is_symlink():
        old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
        os.rename(target, old)  # a folder cannot be renamed over a non-empty one
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    elif tmp.is_dir() and target.is_symlink():
        target.unlink()
        os.rename(tmp, target)
    else:
        os.replace(tmp, target)  # replaces a symlink itself, never what it points to


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp)
        else:
            tmp.unlink()


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or str(exc)


def plain_name(name: str, default: str = "upload") -> str:
    """A file name a browser sent, reduced to a plain name that stays in the folder it is joined
    to: no folders ("../x", "/etc/x"), no "." or "..", no NUL, at most 200 characters."""
    base = (name or "").replace("\\", "/").replace("\0", "").rsplit("/", 1)[-1].strip()
    if base in ("", ".", ".."):
        return default
    if len(base) > 200:  # keep a short extension: it picks the import format
        stem, dot, suffix = base.rpartition(".")
        base = stem[:180] + dot + suffix if dot and len(suffix) < 10 else base[:200]
    return base
