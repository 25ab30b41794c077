"""The files a MatSci-NLP evaluation reads and leaves behind, so every figure can be audited.

questions JSONL (export): id, task, prompt (the Alpaca prompt HoneyBee models are asked with),
instruction, input, answer (the gold answer text).
predictions JSONL (score, run): id, prediction (free text); other fields are ignored.
metrics.json (run, score --out): the scores and everything that decided them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp.reading import Question
from honeybee_core.matsci_nlp.tasks import TASKS, instruction

PREDICTIONS_FILE = "predictions.jsonl"
METRICS_FILE = "metrics.json"


def question_records(questions: Iterable[Question], style: str = "choice"
                     ) -> list[dict[str, str]]:
    """One export record per question."""
    from honeybee_core.training.data import format_prompt  # pulls in torch; only when asked

    out = []
    for q in questions:
        instr = instruction(TASKS[q.task], q.question, style)
        out.append({"id": q.id, "task": q.task, "prompt": format_prompt(instr, q.text),
                    "instruction": instr, "input": q.text, "answer": q.answer})
    return out


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (a temp file renamed into place); the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def read_predictions(path: str | Path) -> dict[str, str]:
    """id -> prediction from a JSONL file; any bad line is an error naming its line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Predictions file {path} does not exist; pass a JSONL file of id and "
                         "prediction.")
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path} line {n} is not JSON ({exc.msg}); write one JSON "
                                 "object per line.") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise InputError(f"{path} line {n} has no string 'id'; each line needs id and "
                                 "prediction.")
            prediction = record.get("prediction")
            if not isinstance(prediction, str):
                raise InputError(f"{path} line {n} (id {record['id']}) has no string "
                                 "'prediction'; write the model's answer text there.")
            if record["id"] in out:
                raise InputError(f"{path} line {n}: id {record['id']} appears twice; keep one "
                                 "prediction per question.")
            out[record["id"]] = prediction
    return out


def write_metrics(folder: str | Path, metrics: dict[str, Any]) -> Path:
    path = Path(folder) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_metrics(path: str | Path) -> dict[str, Any] | None:
    """A saved metrics.json, or None when it is missing or not one of ours."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("benchmark") != "MatSci-NLP":
        return None
    return data
