"""Ratings belong to their authors: what a ratings import may write, and the history it keeps.

An import adds ratings for people who have none on an item. It never replaces someone else's
rating unless an admin asks for it (`replace`), and every rating it replaces (someone else's under
`replace`, or the importer's own) is copied into ratings_history first, with who replaced it, when
and why. Names without an account are refused unless `create_annotators`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from honeybee_core.auth import Actor, require, role_at_least, writes
from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.errors import InputError, PermissionDeniedError
from honeybee_core.limits import short
from honeybee_core.store import Repository

KEYS = ["instruction_id", "annotator"]
COMPARED = [*SCORE_COLUMNS, "verdict", "comment", "blind"]


@dataclass(frozen=True)
class RatingsWritten:
    inserted: int
    unchanged: int
    updated: int  # the importer's own ratings, changed
    replaced: int  # other people's ratings, replaced under --replace
    new_annotators: tuple[str, ...]


@writes("import_data")
def write_ratings(
    repo: Repository, frame: pd.DataFrame, actor: Actor, *, file_name: str,
    replace: bool = False, create_annotators: bool = False,
) -> RatingsWritten:
    """Write frame's ratings (one row per item and annotator, `_number` naming the record) by the
    rules above, in one transaction; a refusal changes nothing."""
    actor = require(actor, "import_data", repo)  # replace= is judged on the stored role
    if replace and not role_at_least(actor.role, "admin"):
        raise PermissionDeniedError(
            f"--replace overwrites other people's ratings and needs the admin role; "
            f"{actor.name} is a {actor.role}. Import without it to add new ratings only."
        )
    missing = repo.annotators_missing(sorted(frame["annotator"].unique().tolist()))
    if missing and not create_annotators:
        first = frame[frame["annotator"].isin(missing)].iloc[0]
        more = f" (and {len(missing) - 1} more names)" if len(missing) > 1 else ""
        raise InputError(
            f"{file_name}: record {first['_number']}: annotator {short(first['annotator'])!r}"
            f"{more} has no account; nothing was imported. Add them with `honeybee users add "
            "NAME`, or import with --create-annotators."
        )
    with repo.db.transaction() as cur:
        stored = repo.ratings_for_pairs(cur, frame)
        merged = frame.merge(stored, on=KEYS, how="left", suffixes=("", "_old"), indicator=True)
        exists = (merged["_merge"] == "both").to_numpy()
        same = [bool(e) and _same(row) for e, row in zip(
            exists, merged.to_dict("records"), strict=True)]
        changed = exists & ~pd.Series(same, dtype=bool).to_numpy()
        own = (merged["annotator"] == actor.name).to_numpy()
        foreign = changed & ~own
        if foreign.any() and not replace:
            first = merged[foreign].iloc[0]
            raise InputError(
                f"{file_name}: {int(foreign.sum())} record(s) would replace ratings other people "
                f"made (first: record {first['_number']}, {short(first['annotator'])} on item "
                f"{short(first['instruction_id'])}); nothing was imported. Drop those records, "
                "or an admin imports with --replace (old ratings are kept in ratings_history)."
            )
        if missing:
            repo.ensure_annotators(cur, missing)
        reason = f"import {file_name}" + (" --replace" if replace else "")
        if changed.any():
            repo.archive_ratings(cur, merged[changed], actor.name, reason)
        if (~exists | changed).any():
            repo.upsert_ratings(cur, merged[~exists | changed])
    return RatingsWritten(
        inserted=int((~exists).sum()), unchanged=int(sum(same)),
        updated=int((changed & own).sum()), replaced=int(foreign.sum()),
        new_annotators=tuple(missing),
    )


def _same(row: dict[str, Any]) -> bool:
    """Whether the incoming rating equals the stored one (NULL equals NULL)."""
    def blank(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA

    for col in COMPARED:
        new, old = row[col], row[f"{col}_old"]
        if blank(new) or blank(old):
            if not (blank(new) and blank(old)):
                return False
        elif new != old:
            return False
    return True
