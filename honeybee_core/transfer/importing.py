"""Importing instruction triples (and the paper's verifier results) into the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from honeybee_core import limits
from honeybee_core.auth import Actor, require, writes
from honeybee_core.errors import InputError
from honeybee_core.store import Repository
from honeybee_core.transfer.checks import validate_items
from honeybee_core.transfer.readers import detect_format, read_records


@dataclass(frozen=True)
class ImportResult:
    path: str
    format: str
    records: int
    new_items: int
    existing_items: int
    new_scores: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def _looks_like_verifier(records: list[Any]) -> bool:
    first = records[0] if records else None
    return isinstance(first, dict) and "Accuracy" in first


@writes("import_data")
def import_file(
    repo: Repository, path: str | Path, fmt: str = "auto", stage: int | None = None,
    verifier: str = "imported", *, actor: Actor,
) -> ImportResult:
    """Validate the whole file, then write its items (and verifier scores) in one transaction."""
    require(actor, "import_data", repo)
    path = Path(path)
    if stage is not None:
        limits.check_stage(stage, "--stage")
    verifier = limits.check_verifier_name(verifier)
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path.")
    # "verifier" names what the records mean; the container (JSON, CSV, ...) is detected apart
    container = detect_format(path, "auto" if fmt == "verifier" else fmt)
    records = read_records(path, container)
    if fmt == "verifier" or _looks_like_verifier(records):
        fmt = "verifier"
    items, scores = validate_items(
        records, path.name, textual=container == "csv",
        verifier=verifier if fmt == "verifier" else None, stage=stage,
    )
    with repo.db.transaction() as cur:
        new_items = repo.insert_items(cur, items)
        new_scores = repo.insert_verifier_scores(cur, scores) if scores.num_rows else 0
    return ImportResult(
        str(path), fmt if fmt == "verifier" else container, len(records), new_items,
        items.num_rows - new_items, new_scores,
    )
