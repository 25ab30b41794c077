"""Exporting items (all, the approved ones or a snapshot) as Alpaca JSON, JSONL, Parquet or a
Hugging Face dataset folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core import safefile
from honeybee_core.auth import Actor, require, writes
from honeybee_core.errors import InputError
from honeybee_core.store import Repository, rows

EXPORT_FORMATS = ("alpaca", "jsonl", "parquet", "hf")


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    items: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@writes("export_data")
def export_items(
    repo: Repository, out: str | Path, fmt: str = "jsonl", approved: bool = False,
    snapshot: str | None = None, *, force: bool = False, actor: Actor,
) -> ExportResult:
    """Write everything, the approved items or a snapshot's items to out, which must not exist
    unless force (see safefile: written beside it, then renamed; a symlink is never followed)."""
    require(actor, "export_data", repo)
    out = Path(out)
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Unknown export format '{fmt}'; use one of {', '.join(EXPORT_FORMATS)}.")
    if approved and snapshot:
        raise InputError("Choose either --approved or --snapshot, not both.")
    if snapshot and not repo.snapshot_exists(snapshot):
        raise InputError(f"Snapshot '{snapshot}' does not exist; `honeybee curate` makes one.")
    safefile.check_target(out, force=force, folder=fmt == "hf")  # before the query
    selection = "snapshot" if snapshot else "approved" if approved else "all"
    frame = repo.select_items(selection, snapshot)
    frame["stage"] = frame["stage"].astype("int64")
    with safefile.replacing(out, force=force, folder=fmt == "hf") as tmp:
        _write_items(frame, tmp, fmt)
    return ExportResult(str(out), fmt, len(frame))


def _write_items(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "alpaca":
        triples = [{k: r[k] for k in ("instruction", "input", "output")} for r in rows(frame)]
        path.write_text(json.dumps(triples, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for rec in rows(frame):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        import datasets

        datasets.Dataset.from_pandas(frame, preserve_index=False).save_to_disk(str(path))
