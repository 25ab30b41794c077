"""Importing expert ratings from CSV or JSONL, for items already in the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core import limits
from honeybee_core.auth import Actor, check_name, require, writes
from honeybee_core.domain import content_id
from honeybee_core.errors import InputError
from honeybee_core.rating_owners import write_ratings
from honeybee_core.store import Repository
from honeybee_core.transfer.checks import VERIFIER_KEYS, FieldChecker, record_dict
from honeybee_core.transfer.readers import detect_format, read_records


@dataclass(frozen=True)
class RatingsResult:
    path: str
    records: int
    inserted: int
    updated: int  # the importer's own ratings
    unchanged: int = 0
    replaced: int = 0  # other people's, only under replace=True
    replace: bool = False
    new_annotators: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@writes("import_data")
def import_ratings(
    repo: Repository, path: str | Path, annotator: str | None = None, fmt: str = "auto", *,
    actor: Actor, replace: bool = False, create_annotators: bool = False,
) -> RatingsResult:
    """Expert ratings from CSV or JSONL, added for people who have none on an item; see
    rating_owners for when a stored rating may change and the history it keeps."""
    actor = require(actor, "import_data", repo)  # the role the database holds, not the caller's
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt not in ("csv", "jsonl", "alpaca"):
        raise InputError(f"{path.name}: ratings are read from CSV or JSONL, not {fmt}.")
    if annotator is not None:
        annotator = check_name(annotator)
    records = read_records(path, fmt)
    check = FieldChecker(path.name, textual=fmt == "csv")
    rows = []
    for number, raw in enumerate(records, start=1):
        rec = record_dict(raw, path.name, number)
        item_id = check.text(rec, number, "instruction_id", required=False)
        if not item_id:
            instruction = check.text(rec, number, "instruction", required=False)
            if instruction is None:
                raise check.fail(number, "instruction_id", "is missing; give the item's id or "
                                 "its instruction, input and output")
            output = check.text(rec, number, "output", required=True, aliases=("output_text",))
            item_id = content_id(instruction, check.text(rec, number, "input", required=False)
                                 or "", output)
        who = check.text(rec, number, "annotator", required=annotator is None, allow_empty=False)
        try:
            who = check_name(who) if who is not None else annotator
        except InputError:
            raise check.fail(number, "annotator", f"{limits.short(who)!r} is not a user name the "
                             "app allows (1-64 letters, digits, spaces or . @ + - _)") from None
        verdict = check.text(rec, number, "verdict", required=False) or None
        if verdict is not None and verdict not in ("approve", "reject", "skip", "flag"):
            raise check.fail(number, "verdict", f"'{limits.short(verdict, 20)}' is not approve, "
                             "reject, skip or flag")
        comment = (check.text(rec, number, "comment", required=False) or "").strip() or None
        if comment is not None and len(comment) > limits.MAX_COMMENT:
            raise check.fail(number, "comment", f"is {len(comment):,} characters, over the "
                             f"app's limit of {limits.MAX_COMMENT:,}; shorten it")
        rows.append({
            "instruction_id": item_id, "annotator": who,
            **{dim: check.score(rec, number, dim, aliases=(cap,))
               for cap, dim in VERIFIER_KEYS.items()},
            "verdict": verdict, "comment": comment,
            "blind": check.flag(rec, number, "blind", default=True), "_number": number,
        })
    frame = pd.DataFrame(rows)
    known = repo.existing_ids(frame["instruction_id"].unique().tolist())
    missing = frame[~frame["instruction_id"].isin(known)]
    if len(missing):
        first = missing.iloc[0]
        raise InputError(
            f"{path.name}: record {first['_number']}: item "
            f"'{limits.short(first['instruction_id'])}' is not in the database; import the "
            "items first."
        )
    frame = frame.drop_duplicates(["instruction_id", "annotator"], keep="last")
    written = write_ratings(repo, frame, actor, file_name=path.name, replace=replace,
                            create_annotators=create_annotators)
    return RatingsResult(str(path), len(records), written.inserted, written.updated,
                         written.unchanged, written.replaced, replace, written.new_annotators)
