"""One evaluation: read the tasks, split, optionally finetune on the train part, answer the
scored part, save predictions.jsonl and metrics.json in an output folder, and score them."""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import InputError, TrainingError
from honeybee_core.matsci_nlp.answering import ModelSpec, answer_api, answer_local, resolve_model
from honeybee_core.matsci_nlp.files import (
    METRICS_FILE,
    PREDICTIONS_FILE,
    write_jsonl,
    write_metrics,
)
from honeybee_core.matsci_nlp.labels import get_rule
from honeybee_core.matsci_nlp.reading import Benchmark, Question, load
from honeybee_core.matsci_nlp.scoring import score
from honeybee_core.matsci_nlp.splits import SplitSpec, split_questions
from honeybee_core.matsci_nlp.tasks import TASKS, instruction

Log = Callable[[str], None]
TRAIN_TIMEOUT_S = 7 * 24 * 3600


@dataclass(frozen=True)
class RunParams:
    model: str  # RUN_ID | run folder | tiny / base folder (with finetune) | PROVIDER:MODEL
    data_dir: Path
    tasks: tuple[str, ...] = ()
    split: SplitSpec = field(default_factory=SplitSpec)
    finetune: bool = False
    train_overrides: dict[str, Any] = field(default_factory=dict)  # run.json fields
    batch_size: int = 16
    max_new_tokens: int = 16
    limit: int | None = None  # seeded sample of the scored questions, per task
    out_dir: Path | None = None
    base_url: str | None = None
    concurrency: int | None = None
    rule: str = "released"
    prompt: str = "choice"
    repair_text: bool = False
    n_boot: int = 1000

    def check(self) -> None:
        self.split.check()
        get_rule(self.rule)
        instruction(TASKS["pc"], "", self.prompt)
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise InputError("--batch-size and --max-new-tokens must be at least 1.")
        if self.limit is not None and self.limit < 1:
            raise InputError(f"--limit must be at least 1; got {self.limit}.")
        if self.n_boot < 0:
            raise InputError("--bootstrap must be 0 (no intervals) or more resamples.")
        if self.finetune and self.split.mode != "low-resource":
            raise InputError("--finetune trains on the train part; use --split low-resource.")


def sample(questions: list[Question], limit: int | None, seed: int) -> list[Question]:
    """At most limit questions per task, drawn with the seed, kept in file order."""
    if limit is None:
        return questions
    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(q.task, []).append(i)
    keep = {i for members in groups.values()
            for i in (rng.sample(members, limit) if len(members) > limit else members)}
    return [q for i, q in enumerate(questions) if i in keep]


def metrics_record(model: str, bench: Benchmark, split: SplitSpec, rule: str, prompt: str | None,
                   scores: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What metrics.json holds: the scores and everything that decided them."""
    return {
        "benchmark": "MatSci-NLP", "model": model,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_dir": str(bench.data_dir), "files": bench.files, "notes": bench.notes,
        "split": split.describe(), "rule": rule, "prompt": prompt,
        "repaired_text": bench.repaired, **extra, "tasks": scores,
    }


def default_folder(settings: Settings, label: str, split: SplitSpec) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[:60] or "model"
    # seconds name the folder for people; the suffix keeps two runs in one second apart
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    return Path(settings.matsci_dir) / f"{slug}-{split.mode}-{stamp}"


@writes("launch_run")
def finetune(repo: Any, spec: ModelSpec, train: list[Question], out: Path, params: RunParams,
             settings: Settings, log: Log, *, actor: Actor) -> tuple[ModelSpec, dict[str, Any]]:
    """A LoRA run on the train part through the training runner; the new run answers."""
    from honeybee_core import training_runs as runs
    from honeybee_core.training.config import load_config
    from honeybee_core.training.runner import RUN_FILE

    require(actor, "launch_run", repo)

    if spec.kind == "api":
        raise InputError("--finetune trains a local model; pass a run, a run folder or tiny.")
    rows = [{"id": q.id, "instruction": instruction(TASKS[q.task], q.question, params.prompt),
             "input": q.text, "output": q.answer} for q in train]
    snapshot = out / "finetune" / "train.parquet"
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(snapshot, index=False)
    overrides = dict(params.train_overrides)
    if spec.kind == "adapter":
        assert spec.run_dir is not None
        overrides.setdefault("init_adapter", str(spec.run_dir / "adapter"))
        config = spec.run_dir / RUN_FILE
        overrides.setdefault("base_model",
                             load_config(config).base_model if config.is_file() else "tiny")
    else:
        overrides.setdefault("base_model", spec.base)
    run = runs.launch_run(repo, str(snapshot), actor, overrides=overrides,
                          out_dir=out / "run", settings=settings)
    log(f"Finetuning {spec.label} on {len(rows)} train questions: run {run['id']}.")
    done = runs.wait_for(repo, run["id"], timeout=TRAIN_TIMEOUT_S, actor=actor)
    if done["status"] != "finished":
        raise TrainingError(f"Finetuning run {run['id']} ended {done['status']}: "
                            f"{done.get('error') or 'see its train.log'}")
    info = {"from": spec.label, "run_id": run["id"], "train_questions": len(rows),
            "steps": done["step"]}
    return ModelSpec("adapter", f"{spec.label}+finetune", run_dir=Path(done["out_dir"])), info


@writes("launch_run")
def run_benchmark(repo: Any, params: RunParams, settings: Settings | None = None,
                  log: Log | None = None, *, actor: Actor) -> dict[str, Any]:
    """Answer the scored questions, save predictions and metrics; the metrics (with "folder")."""
    require(actor, "launch_run", repo)
    settings = settings or get_settings()
    say = log or (lambda _msg: None)
    params.check()
    spec = resolve_model(params.model, repo.run)
    if spec.kind == "base" and not params.finetune:
        raise InputError(f"--model {params.model} is a base model without an adapter; add "
                         "--finetune (with --split low-resource) or pass a finished run.")
    bench = load(params.data_dir, params.tasks, repair=params.repair_text)
    for note in bench.notes:
        say(note)
    train, test = split_questions(bench.questions, params.split)
    test = sample(test, params.limit, params.split.seed)
    out = Path(params.out_dir or default_folder(settings, spec.label, params.split))
    if (out / METRICS_FILE).exists():
        raise InputError(f"{out} already holds {METRICS_FILE}; choose a new --out folder.")
    out.mkdir(parents=True, exist_ok=True)
    tuned = None
    if params.finetune:
        spec, tuned = finetune(repo, spec, train, out, params, settings, say, actor=actor)
    items = [(instruction(TASKS[q.task], q.question, params.prompt), q.text) for q in test]
    say(f"Answering {len(items)} questions with {spec.label}.")
    started = time.monotonic()
    calls = None

    def progress(done: int, total: int) -> None:
        say(f"{done}/{total} answered")

    if spec.kind == "adapter":
        assert spec.run_dir is not None
        answers: list[str | None] = list(answer_local(
            spec.run_dir, items, params.batch_size, params.max_new_tokens, progress))
    else:
        answers, calls = answer_api(
            spec, items, repo, settings, base_url=params.base_url,
            concurrency=params.concurrency or settings.concurrency, actor=actor)
    seconds = time.monotonic() - started
    records = [{"id": q.id, "task": q.task, "prediction": a}
               for q, a in zip(test, answers, strict=True) if a is not None]
    write_jsonl(out / PREDICTIONS_FILE, records)
    scores = score(test, {r["id"]: r["prediction"] for r in records}, params.rule,
                   params.n_boot, params.split.seed)
    metrics = metrics_record(
        spec.label, bench, params.split, params.rule, params.prompt, scores,
        questions=len(test), answered=len(records), limit=params.limit,
        generation={"batch_size": params.batch_size, "max_new_tokens": params.max_new_tokens,
                    "seconds": round(seconds, 3),
                    "rows_per_s": round(len(items) / seconds, 3) if seconds > 0 else None},
        api_calls=calls, finetune=tuned)
    write_metrics(out, metrics)
    return {**metrics, "folder": str(out)}
