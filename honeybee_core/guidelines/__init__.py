"""The review guideline: Markdown that tells reviewers how to score and decide, versioned.

Curators edit it; every save is a new version with who and when, and older versions stay
readable. A rating stores the version in force when it was saved, so an auditor can tell which
rubric a score was given under. Until a curator saves one, the default shipped with HoneyBee
(default.md, beside this file) is in force; it is stored as version 1 by "system" the first time
anything writes (a rating or an edit), so a version number always names one text.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd

from honeybee_core.auth import Actor, require, utcnow, writes
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.store import Repository

DEFAULT_PATH = Path(__file__).with_name("default.md")
MAX_GUIDELINE = 100_000  # characters: a long guideline is a few thousand
MAX_NOTE = 500
SYSTEM = "system"  # who saved the shipped default (a reserved name, never a person)
_WRITE_LOCK = threading.Lock()  # versions are numbered max + 1: one save at a time


@dataclass(frozen=True)
class Guideline:
    """One version of the guideline. saved_at is None for the shipped default not yet stored."""

    version: int
    body: str
    saved_by: str
    saved_at: datetime | None
    note: str | None = None

    @property
    def title(self) -> str:
        """The label with a capital first letter ('Version 3, saved by ...')."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def label(self) -> str:
        """'version 3, saved by cora on 2025-05-01 14:02 UTC' (or the shipped default)."""
        if self.saved_at is None:
            return f"version {self.version}, the default shipped with HoneyBee"
        by = "the default shipped with HoneyBee" if self.saved_by == SYSTEM else \
            f"saved by {self.saved_by}"
        return f"version {self.version}, {by} on {self.saved_at:%Y-%m-%d %H:%M} UTC"


@cache
def default_text() -> str:
    """The guideline shipped with HoneyBee (honeybee_core/guidelines/default.md)."""
    return DEFAULT_PATH.read_text(encoding="utf-8").strip() + "\n"


def _from_row(row: dict) -> Guideline:
    return Guideline(int(row["version"]), row["body"], row["saved_by"], row["saved_at"],
                     row["note"])


def current(repo: Repository) -> Guideline:
    """The guideline in force: the latest saved version, else the shipped default (version 1)."""
    row = repo.latest_guideline()
    if row is None:
        return Guideline(1, default_text(), SYSTEM, None, "The default shipped with HoneyBee.")
    return _from_row(row)


def ensure_stored(repo: Repository) -> int:
    """The version in force; the shipped default is stored as version 1 first when nothing is
    stored yet (so the number names a text). One writer at a time in this process (the one
    DuckDB writer), so reviewers rating at once store the default once."""
    with _WRITE_LOCK:
        row = repo.latest_guideline()
        if row is not None:
            return int(row["version"])
        with repo.db.transaction() as cur:
            return repo.add_guideline(cur, default_text(), "The default shipped with HoneyBee.",
                                      SYSTEM, utcnow())


def version(repo: Repository, number: int) -> Guideline:
    """One saved version; NotFoundError names the versions there are."""
    row = repo.guideline_version(int(number))
    if row is not None:
        return _from_row(row)
    latest = current(repo)
    if latest.saved_at is None and number == latest.version:
        return latest  # the default, not yet stored
    raise NotFoundError(f"There is no guideline version {number}; versions run from 1 to "
                        f"{latest.version}.")


def history(repo: Repository) -> pd.DataFrame:
    """Every version, newest first: version, saved_by, saved_at, note, characters, ratings."""
    frame = repo.guideline_history()
    if frame.empty:
        latest = current(repo)
        return pd.DataFrame([{"version": latest.version, "saved_by": SYSTEM, "saved_at": None,
                              "note": latest.note, "characters": len(latest.body),
                              "ratings": 0}])
    return frame


@writes("edit_guideline")
def save(repo: Repository, actor: Actor, body: str, note: str | None = None) -> Guideline:
    """Save body as the next version (curators and admins); the new version is in force at
    once. An empty, over-long or unchanged text is refused and nothing is stored."""
    who = require(actor, "edit_guideline", repo)
    body = (body or "").strip()
    note = (note or "").strip() or None
    if not body:
        raise InputError("The guideline is empty; write the rubric before saving.")
    if len(body) > MAX_GUIDELINE:
        raise InputError(f"The guideline is {len(body):,} characters, more than "
                         f"{MAX_GUIDELINE:,}; shorten it.")
    if note is not None and len(note) > MAX_NOTE:
        raise InputError(f"The note is longer than {MAX_NOTE} characters; shorten it.")
    body += "\n"
    if current(repo).body == body:  # checked before the default is stored: nothing changes
        raise InputError("The guideline is unchanged; edit it before saving a new version.")
    ensure_stored(repo)  # the default becomes version 1 before the first edit
    with _WRITE_LOCK, repo.db.transaction() as cur:
        number = repo.add_guideline(cur, body, note, who.name, utcnow())
    return version(repo, number)


_HEADING = re.compile(r"^(#{1,6})(?=\s)", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)


def side_panel(body: str, shift: int = 2) -> str:
    """The Markdown with every heading `shift` levels smaller (at most ######), code fences
    left alone: a guideline's title fits under a page's title or in a narrow column."""
    def smaller(match: re.Match) -> str:
        return "#" * min(6, len(match.group(1)) + shift)

    out, end = [], 0
    for fence in _FENCE.finditer(body):
        out += [_HEADING.sub(smaller, body[end:fence.start()]), fence.group(0)]
        end = fence.end()
    return "".join([*out, _HEADING.sub(smaller, body[end:])])


def diff(older: Guideline, newer: Guideline) -> str:
    """A unified diff of two versions' Markdown ('' when they are equal)."""
    return "".join(difflib.unified_diff(
        older.body.splitlines(keepends=True), newer.body.splitlines(keepends=True),
        fromfile=f"version {older.version}", tofile=f"version {newer.version}"))
