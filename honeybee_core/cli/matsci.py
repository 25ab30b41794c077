"""`honeybee matsci-nlp tasks | export | score | run`: MatSci-NLP on the released protocol.

Notes about the data (a task skipped because its file is absent) go to stderr, one line each;
with --json stdout holds one JSON object and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

matsci_app = typer.Typer(
    help="MatSci-NLP on the released protocol: seven tasks, the paper's answers and scoring.",
    no_args_is_help=True)

DataOption = Annotated[Path, typer.Option(help="Folder of the released MatSci-NLP task files.")]
TaskOption = Annotated[list[str] | None, typer.Option(
    "--task", help="ner, rc, ee, pc, sar, sc or sf (repeatable; default all).")]
SplitOption = Annotated[str, typer.Option(
    help="all (zero-shot, every question) or low-resource (a small train part per task).")]
TrainSizeOption = Annotated[float, typer.Option(help="Train share for --split low-resource "
                                                "(the paper: 0.01).")]
SeedOption = Annotated[int, typer.Option(help="Seed of the split (same seed, same split).")]
RepairOption = Annotated[bool, typer.Option(
    "--repair-text", help="Fix encoding damage with ftfy (counted in the report).")]
PromptOption = Annotated[str, typer.Option(help="choice (the question and its label list) or "
                                           "plain (the released question only).")]
RuleOption = Annotated[str, typer.Option(help="Answer mapping: released (the paper's), or "
                                         "phrase / exact (not comparable with the paper).")]
BootOption = Annotated[int, typer.Option("--bootstrap", help="Resamples for the 95 % intervals "
                                         "(0: none).")]
DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB file (default: $HONEYBEE_DB, else data/honeybee.duckdb).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _note(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)


def _emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    from honeybee_core.cli.common import emit

    emit(payload, as_json, human)


def score_lines(tasks: dict[str, dict[str, Any]]) -> str:
    """One line per task: n, micro and macro F1 with their intervals."""
    from honeybee_core.matsci_nlp.table import cell

    return "\n".join(
        f"{key.upper():<4} n={r['n']:<6} micro-F1 {cell(r['micro_f1'], r['micro_f1_ci']):<24} "
        f"macro-F1 {cell(r['macro_f1'], r['macro_f1_ci'])}" for key, r in tasks.items()
    ) or "No question of the data has a prediction."


@matsci_app.command("tasks")
def tasks_(data: DataOption, task: TaskOption = None, as_json: JsonOption = False) -> None:
    """List each task found in DATA: name, files, rows (questions) and labels."""
    from honeybee_core.matsci_nlp import load

    bench = load(data, task)
    _note(bench.notes)
    report = bench.report()
    _emit(report, as_json, "\n".join(
        f"{t['task']:<4} {t['name']:<28} {t['rows']:>7} rows  {len(t['labels']):>3} labels  "
        f"{', '.join(t['files'])}" for t in report["tasks"]))


@matsci_app.command()
def export(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="JSONL file: id, task, prompt, answer per line.")],
    task: TaskOption = None,
    split: SplitOption = "all",
    train_size: TrainSizeOption = 0.01,
    seed: SeedOption = 0,
    part: Annotated[str, typer.Option(help="test (scored) or train.")] = "test",
    prompt: PromptOption = "choice",
    repair_text: RepairOption = False,
    as_json: JsonOption = False,
) -> None:
    """Write the questions (and gold answers) of a split as JSONL for any model to answer."""
    from honeybee_core.matsci_nlp import SplitSpec, load, pick
    from honeybee_core.matsci_nlp.files import question_records, write_jsonl

    spec = SplitSpec(split, train_size, seed)
    bench = load(data, task, repair=repair_text)
    _note(bench.notes)
    chosen = pick(bench.questions, spec, part)
    n = write_jsonl(out, question_records(chosen, prompt))
    counts = {t.key: sum(q.task == t.key for q in chosen) for t in bench.tasks}
    _emit({"out": str(out), "questions": n, "per_task": counts, "split": spec.describe(),
           "part": part, "repaired_text": bench.repaired, "notes": bench.notes}, as_json,
          f"Wrote {n} questions to {out} ({', '.join(f'{k} {v}' for k, v in counts.items())}).")


@matsci_app.command()
def score(
    predictions: Annotated[Path, typer.Argument(help="JSONL of id and prediction (free text).")],
    data: DataOption,
    task: TaskOption = None,
    split: SplitOption = "all",
    train_size: TrainSizeOption = 0.01,
    seed: SeedOption = 0,
    rule: RuleOption = "released",
    bootstrap: BootOption = 1000,
    repair_text: RepairOption = False,
    name: Annotated[str | None, typer.Option(help="Model name in metrics.json (default: the "
                                             "file's name).")] = None,
    out: Annotated[Path | None, typer.Option(help="Save metrics.json in this folder (under "
                                             "$HONEYBEE_MATSCI_DIR it joins the Evaluate "
                                             "page's table).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Score a model's answers: per task n, micro and macro F1 with 95 % bootstrap intervals."""
    from honeybee_core.matsci_nlp import SplitSpec, load, pick
    from honeybee_core.matsci_nlp import score as score_questions
    from honeybee_core.matsci_nlp.files import read_predictions, write_metrics
    from honeybee_core.matsci_nlp.run import metrics_record

    spec = SplitSpec(split, train_size, seed)
    answers = read_predictions(predictions)
    bench = load(data, task, repair=repair_text)
    _note(bench.notes)
    scored = pick(bench.questions, spec, "test")
    scores = score_questions(scored, answers, rule, bootstrap, seed)
    metrics = metrics_record(name or predictions.stem, bench, spec, rule, None, scores,
                             predictions_file=str(predictions.resolve()),
                             questions=len(scored), answered=len(answers))
    if out is not None:
        metrics["folder"] = str(write_metrics(out, metrics).parent)
    _emit(metrics, as_json, score_lines(scores))


@matsci_app.command()
def run(
    model: Annotated[str, typer.Option(help="A run id or run folder (its adapter answers), "
                                       "PROVIDER:MODEL (openai:..., anthropic:...), or with "
                                       "--finetune tiny / a base model folder.")],
    data: DataOption,
    task: TaskOption = None,
    split: SplitOption = "all",
    train_size: TrainSizeOption = 0.01,
    seed: SeedOption = 0,
    finetune: Annotated[bool, typer.Option("--finetune", help="First train a LoRA adapter on "
                                           "the train part (--split low-resource).")] = False,
    max_steps: Annotated[int | None, typer.Option(help="Finetuning: stop after K steps.")]
    = None,
    epochs: Annotated[float | None, typer.Option(help="Finetuning epochs (default 3).")] = None,
    train_config: Annotated[Path | None, typer.Option(help="Finetuning: JSON file of further "
                                                      "run.json fields.")] = None,
    batch_size: Annotated[int, typer.Option(help="Local generation batch size.")] = 16,
    max_new_tokens: Annotated[int, typer.Option(help="Answer length cap (local model).")] = 16,
    limit: Annotated[int | None, typer.Option(help="Seeded sample of N questions per task.")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: "
                                             "$HONEYBEE_MATSCI_DIR/<model>-<split>-<time>).")]
    = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (default "
                                                 "$OPENAI_BASE_URL).")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Concurrent API calls.")] = None,
    rule: RuleOption = "released",
    prompt: PromptOption = "choice",
    repair_text: RepairOption = False,
    bootstrap: BootOption = 1000,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer with a run or an API model, save predictions.jsonl and metrics.json, score."""
    from honeybee_core.auth import CLI_ACTOR
    from honeybee_core.cli.common import json_file, open_repo
    from honeybee_core.matsci_nlp.run import RunParams, run_benchmark
    from honeybee_core.matsci_nlp.splits import SplitSpec

    overrides = json_file(train_config) if train_config else {}
    overrides |= {k: v for k, v in {"max_steps": max_steps, "epochs": epochs}.items()
                  if v is not None}
    params = RunParams(
        model=model, data_dir=data, tasks=tuple(task or ()),
        split=SplitSpec(split, train_size, seed), finetune=finetune, train_overrides=overrides,
        batch_size=batch_size, max_new_tokens=max_new_tokens, limit=limit, out_dir=out,
        base_url=base_url, concurrency=concurrency, rule=rule, prompt=prompt,
        repair_text=repair_text, n_boot=bootstrap)
    metrics = run_benchmark(open_repo(db), params, log=lambda m: typer.echo(m, err=True),
                            actor=CLI_ACTOR)
    _emit(metrics, as_json, f"{metrics['model']}: {metrics['answered']}/"
          f"{metrics['questions']} answered\n{score_lines(metrics['tasks'])}\n"
          f"Predictions and metrics in {metrics['folder']}")
