"""A MatSci-NLP table like the paper's, from saved metrics.json files: one row per evaluated
model, the seven tasks' micro and macro F1 (with their 95 % intervals) as columns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core.matsci_nlp.files import METRICS_FILE, read_metrics
from honeybee_core.matsci_nlp.tasks import TASKS

MISSING = "–"


def saved_metrics(folder: str | Path) -> list[dict[str, Any]]:
    """Every metrics.json one level below folder (one folder per evaluation), oldest first."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = []
    for path in root.glob(f"*/{METRICS_FILE}"):
        record = read_metrics(path)
        if record is not None:
            found.append({**record, "folder": str(path.parent)})
    return sorted(found, key=lambda r: str(r.get("created_at", "")))


def _split(record: dict[str, Any]) -> str:
    split = record.get("split") or {}
    if split.get("mode") == "low-resource":
        return f"low-resource {split.get('train_size')} (seed {split.get('seed')})"
    return "all (zero-shot)"


def cell(value: float | None, ci: list[float] | None) -> str:
    """0.812 [0.790, 0.834]; the interval is left out when there is none."""
    if value is None:
        return MISSING
    text = f"{value:.3f}"
    if ci and not any(math.isnan(x) for x in ci):
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def paper_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows: models / runs; columns: each task's micro and macro F1, in the paper's order."""
    rows = []
    for record in records:
        row = {"model": record.get("model", "?"), "split": _split(record),
               "rule": record.get("rule", "released"),
               "created": str(record.get("created_at", ""))[:16].replace("T", " ")}
        tasks = record.get("tasks") or {}
        for key in TASKS:
            found = tasks.get(key) or {}
            for kind in ("micro", "macro"):
                row[f"{key.upper()} {kind}"] = cell(found.get(f"{kind}_f1"),
                                                    found.get(f"{kind}_f1_ci"))
        rows.append(row)
    columns = ["model", "split", "rule", "created"] + [
        f"{key.upper()} {kind}" for key in TASKS for kind in ("micro", "macro")]
    return pd.DataFrame(rows, columns=columns)


def matsci_table(folder: str | Path) -> pd.DataFrame:
    return paper_table(saved_metrics(folder))
