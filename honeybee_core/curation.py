"""Snapshots: a frozen, hashed selection of items that a training run reads.

The selection is the verifier rule (on each item's mean over verifiers), optionally expert
approval, rejected items always out, near-duplicates out, and a stage filter. The Parquet file's
sha256 names the content; asking again for the same content returns the existing snapshot, so a
snapshot id always means the same bytes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings, get_settings
from honeybee_core.domain import ItemWhere, RuleScope
from honeybee_core.errors import InputError
from honeybee_core.rules import parse_rule
from honeybee_core.store import Repository


@dataclass(frozen=True)
class SnapshotSpec:
    rule: str = "mean>=95,min>=90"
    require_approval: bool = False
    stages: tuple[int, ...] = ()
    name: str | None = None
    exclude: frozenset[str] = frozenset()  # ids held out, e.g. an evaluation set


def scope(spec: SnapshotSpec) -> RuleScope:
    """Where the spec's rule picks from: kept items of its stages, rejected items, spec.exclude
    and every held-out evaluation item out (they never train), and with require_approval only
    approved items."""
    return RuleScope(ItemWhere(stages=tuple(spec.stages)), approved_only=spec.require_approval,
                     rejected_out=True, kept_only=True, exclude=frozenset(spec.exclude),
                     heldout_out=True)


def select(repo: Repository, spec: SnapshotSpec) -> list[str]:
    """Ids of the items the spec selects, sorted (the rule applied in the database, by the
    same query a bulk decision runs)."""
    return repo.rule_ids(parse_rule(spec.rule), scope(spec))


def preview(repo: Repository, spec: SnapshotSpec) -> int:
    """How many items the spec selects: one count(*)."""
    return repo.rule_counts(parse_rule(spec.rule), scope(spec))[0]


@writes("snapshot")
def create_snapshot(repo: Repository, spec: SnapshotSpec, actor: Actor,
                    settings: Settings | None = None) -> dict[str, Any]:
    """Freeze the selection into data/runs/snapshots/<id>.parquet and the snapshots tables."""
    require(actor, "snapshot", repo)
    settings = settings or get_settings()
    ids = select(repo, spec)
    if not ids:
        raise InputError(
            f"No item passes '{spec.rule}'"
            + (" with expert approval" if spec.require_approval else "")
            + "; loosen the rule or approve items first."
        )
    table = pa.Table.from_pandas(repo.items_by_ids(ids), preserve_index=False)
    folder = Path(settings.runs_dir) / "snapshots"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{time.time_ns()}.parquet"
    pq.write_table(table, tmp)
    sha = hashlib.sha256(tmp.read_bytes()).hexdigest()
    existing = repo.snapshot_by_sha(sha)
    if existing:
        tmp.unlink()
        return existing
    snapshot_id = f"snap-{time.strftime('%Y%m%d-%H%M%S')}-{sha[:8]}"
    path = folder / f"{snapshot_id}.parquet"
    tmp.rename(path)
    path.chmod(0o444)  # a snapshot never changes
    row = {"id": snapshot_id, "name": spec.name or snapshot_id, "rule": spec.rule,
           "require_approval": spec.require_approval,
           "stages": ",".join(map(str, spec.stages)) or None, "n_items": len(ids),
           "sha256": sha, "path": str(path.resolve()), "created_by": actor.name}
    with repo.db.transaction() as cur:
        repo.insert_snapshot(cur, row, ids)
    created = repo.snapshot(snapshot_id)
    assert created is not None  # written just above
    return created
