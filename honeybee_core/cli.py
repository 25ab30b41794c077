"""`honeybee ...`: every job the app can start can also be started here.

Each command opens the database through the same core functions the app uses. `--json` prints one
JSON object on stdout and nothing else there; errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from honeybee_core.errors import HoneybeeError, InputError
from honeybee_core.store import Repository, open_database

if TYPE_CHECKING:
    from honeybee_core.config import Settings

app = typer.Typer(
    help="HoneyBee Studio: MatSci-Instruct data, review and finetuning.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file (default: $HONEYBEE_DB, else data/honeybee.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def get_settings() -> Settings:
    """The settings; config loads pydantic, so it is imported by the commands that read it."""
    from honeybee_core.config import get_settings as settings

    return settings()


def open_repo(db: Path | None) -> Repository:
    """The repository on --db, else the configured file; created and migrated on first use."""
    # HONEYBEE_DB outranks .env and the default in the settings, so it is read without them
    return Repository(open_database(db or os.environ.get("HONEYBEE_DB") or get_settings().db))


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    """One JSON object for machines, or a short human summary."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str) if as_json else human)


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Seed the offline demo if empty.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or migrate the database; --demo seeds an offline demo set into an empty one."""
    repo = open_repo(db)
    seeded = None
    if demo:
        from honeybee_core.demo import seed_demo  # pulls in the pipeline; only when asked

        seeded = seed_demo(repo)
    note = f" Seeded the offline demo: {seeded}." if seeded else ""
    emit({"db": repo.db.path, "demo": seeded, **repo.stats()}, as_json,
         f"Database ready at {repo.db.path}.{note}")


ProviderOption = Annotated[str, typer.Option(help="offline, openai or anthropic.")]
ModelOption = Annotated[str | None, typer.Option(help="Model name (default from settings).")]
ConcurrencyOption = Annotated[int | None, typer.Option(help="Concurrent calls.")]
BatchOption = Annotated[bool, typer.Option("--batch", help="Use the provider's batch API.")]


def _progress(as_json: bool):
    """A one-line progress printer on stderr (stdout stays clean for --json)."""
    def show(state: dict[str, Any]) -> None:
        if not as_json:
            typer.echo(f"\r{state['done']}/{state['total']} calls, ${state['cost_usd']:.4f}",
                       err=True, nl=False)
    return show


@app.command()
def generate(
    n: Annotated[int, typer.Option("--n", help="Number of triples to generate.")],
    provider: ProviderOption = "",
    model: ModelOption = None,
    stage: Annotated[int, typer.Option(help="Stage of the new items.")] = 1,
    topic: Annotated[list[str] | None, typer.Option(help="Topic (repeatable).")] = None,
    task_type: Annotated[list[str] | None, typer.Option(help="Task type (repeatable).")] = None,
    grounded: Annotated[Path | None, typer.Option(help="Passages file: each passage becomes "
                                                  "the input of its triples.")] = None,
    per_call: Annotated[int, typer.Option(help="Triples asked for per call.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the topic/task plan.")] = 0,
    concurrency: ConcurrencyOption = None,
    batch: BatchOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the Instructor for triples; re-running the same command resumes a killed job."""
    from honeybee_core.pipeline import jobs
    from honeybee_core.pipeline.instructor import GenerateParams

    settings = get_settings()
    name = provider or settings.instructor_provider
    params = GenerateParams(
        n=n, provider=name, model=model or _default_model(name, settings.instructor_model),
        stage=stage, topics=tuple(topic or ()), task_types=tuple(task_type or ()),
        grounded=str(grounded) if grounded else None, per_call=per_call, seed=seed,
        concurrency=concurrency or settings.concurrency, batch=batch,
    )
    params.check()
    outcome = jobs.run_generate(open_repo(db), params, on_progress=_progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.new_items} new items, "
         f"{outcome.duplicates} near-duplicates, {outcome.failed} failed calls, "
         f"${outcome.cost_usd:.4f}.")


@app.command()
def verify(
    provider: ProviderOption = "",
    model: ModelOption = None,
    limit: Annotated[int | None, typer.Option(help="Score at most this many items.")] = None,
    concurrency: ConcurrencyOption = None,
    batch: BatchOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score the items this verifier has not scored yet."""
    from honeybee_core.pipeline import jobs

    settings = get_settings()
    name = provider or settings.verifier_provider
    params = jobs.VerifyParams(
        provider=name, model=model or _default_model(name, settings.verifier_model),
        limit=limit, concurrency=concurrency or settings.concurrency, batch=batch,
    )
    outcome = jobs.run_verify(open_repo(db), params, on_progress=_progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.scored} items scored, "
         f"{outcome.failed} failed, ${outcome.cost_usd:.4f}.")


@app.command()
def agreement(
    verifier: Annotated[str | None, typer.Option(help="Only this verifier.")] = None,
    annotator: Annotated[str | None, typer.Option(help="Only this reviewer.")] = None,
    stage: Annotated[int | None, typer.Option(help="Only items of this stage.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only items of this topic.")] = None,
    blind_only: Annotated[bool, typer.Option("--blind-only", help="Only blind ratings.")]
    = False,
    rule: Annotated[str | None, typer.Option(help="Filter rule to score against expert "
                                             "approvals (default from settings).")] = None,
    bootstrap: Annotated[bool, typer.Option("--bootstrap", help="Bootstrap CIs (1,000 "
                                            "resamples) instead of Fisher z.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verifier vs experts, experts vs each other, and the filter rule against approvals."""
    from honeybee_core import audit

    result = audit.report(
        open_repo(db),
        audit.AuditFilters(verifier, annotator, stage, topic, blind_only),
        rule=rule or get_settings().filter_rule, ci="bootstrap" if bootstrap else "fisher",
    )
    lines = [f"{result['counts']['items']} items, {result['counts']['reviewers']} reviewers, "
             f"{result['counts']['verifiers']} verifiers (paper: 0.6-0.8)"]
    for row in result["verifier_vs_experts"]:
        if row["status"] == "ok":
            lines.append(f"{row['dimension']:>15} {row['method']:>8}: {row['estimate']:.3f} "
                         f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}] n={row['n']}")
        else:
            lines.append(f"{row['dimension']:>15} {row['method']:>8}: {row['message']}")
    emit(result, as_json, "\n".join(lines))


@app.command()
def curate(
    rule: Annotated[str | None, typer.Option(help="Verifier rule (default from settings).")]
    = None,
    require_approval: Annotated[bool, typer.Option(
        "--require-approval", help="Only items a curator approved.")] = False,
    stage: Annotated[list[int] | None, typer.Option(help="Only these stages (repeatable).")]
    = None,
    name: Annotated[str | None, typer.Option(help="A name for the snapshot.")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Count only; freeze nothing.")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Freeze the selected items into a hashed Parquet snapshot for training."""
    from honeybee_core import curation
    from honeybee_core.auth import CLI_ACTOR

    spec = curation.SnapshotSpec(rule or get_settings().filter_rule, require_approval,
                                 tuple(stage or ()), name)
    repo = open_repo(db)
    if preview:
        count = curation.preview(repo, spec)
        emit({"rule": spec.rule, "items": count}, as_json, f"{count} items pass {spec.rule}.")
        return
    snap = curation.create_snapshot(repo, spec, CLI_ACTOR)
    emit(snap, as_json, f"Snapshot {snap['id']}: {snap['n_items']} items, sha256 "
         f"{snap['sha256'][:12]}…, {snap['path']}")


@app.command()
def train(
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id or Parquet file.")] = None,
    base_model: Annotated[str, typer.Option(help="tiny, a local path, or a hub id (downloads "
                                            "only when you name one).")] = "tiny",
    init_adapter: Annotated[Path | None, typer.Option(help="Continue from this adapter "
                                                      "(progressive stages).")] = None,
    epochs: Annotated[float | None, typer.Option(help="Epochs (default 3).")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after K optimizer steps.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Default 1e-4.")] = None,
    lora_r: Annotated[int | None, typer.Option(help="Default 8.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Per-device batch (default 4).")]
    = None,
    config: Annotated[Path | None, typer.Option(help="JSON file of further run.json fields.")]
    = None,
    stage: Annotated[int | None, typer.Option(help="Stage this run trains.")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default data/runs/<id>).")]
    = None,
    resume: Annotated[str | None, typer.Option(help="Resume this run id from its last "
                                               "checkpoint.")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Return once started.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Launch even if a run is active.")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """LoRA-finetune on a snapshot (the paper's defaults); waits unless --detach."""
    from honeybee_core import training_runs
    from honeybee_core.auth import CLI_ACTOR

    repo = open_repo(db)
    if resume:
        run = training_runs.resume_run(repo, resume, CLI_ACTOR, extra_steps=max_steps)
    else:
        if not snapshot:
            raise InputError("Give --snapshot ID|FILE (or --resume RUN_ID).")
        overrides = _json_file(config) if config else {}
        given = {"base_model": base_model, "init_adapter": init_adapter, "epochs": epochs,
                 "max_steps": max_steps, "learning_rate": learning_rate, "lora_r": lora_r,
                 "per_device_batch_size": batch_size}
        overrides |= {k: str(v) if isinstance(v, Path) else v for k, v in given.items()
                      if v is not None}
        run = training_runs.launch_run(repo, snapshot, CLI_ACTOR, overrides=overrides,
                                       stage=stage, out_dir=out, force=force)
    if not detach:
        run = training_runs.wait_for(repo, run["id"], on_update=None if as_json else _show_run)
    emit(run, as_json, f"\nRun {run['id']}: {run['status']} at step {run['step']}; "
         f"folder {run['out_dir']}")
    if run["status"] == "failed":
        raise typer.Exit(1)


@app.command("matsci-nlp")
def matsci_nlp(
    model: Annotated[str, typer.Option(help="A training run id or a run folder.")],
    data: Annotated[Path, typer.Option(help="Folder of MatSci-NLP task files (split JSON).")],
    task: Annotated[list[str] | None, typer.Option(help="Task (repeatable; default all).")]
    = None,
    limit: Annotated[int | None, typer.Option(help="Seeded sample of N rows per task.")]
    = None,
    max_new_tokens: Annotated[int, typer.Option(help="Answer length cap.")] = 16,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score a finetuned model on MatSci-NLP (closest-label and exact-match micro/macro F1)."""
    from honeybee_core import matsci_nlp as bench
    from honeybee_core.training.generate import AdapterGenerator

    run_dir = Path(model)
    if not run_dir.is_dir():
        run = open_repo(db).run(model)
        if run is None:
            raise InputError(f"--model {model} is neither a run id nor a run folder.")
        run_dir = Path(run["out_dir"])
    generator = AdapterGenerator.from_run(run_dir)
    report = bench.evaluate(
        data, lambda items: generator.generate(
            [(i["instruction"], i["input"]) for i in items], max_new_tokens=max_new_tokens),
        tasks=task or None, limit=limit,
    )
    lines = [f"{name}: micro-F1 {r['closest']['micro_f1']:.3f}, macro-F1 "
             f"{r['closest']['macro_f1']:.3f} (exact match micro-F1 {r['exact']['micro_f1']:.3f})"
             for name, r in report["tasks"].items()]
    emit(report, as_json, "\n".join(lines))


def _show_run(run: dict[str, Any]) -> None:
    typer.echo(f"\r{run['status']} step {run['step']}/{run['max_steps'] or '?'}", err=True,
               nl=False)


def _json_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"--config {path} is not a readable JSON file ({exc}).") from None
    if not isinstance(data, dict):
        raise InputError(f"--config {path} must hold one JSON object of run.json fields.")
    return data


def _default_model(provider: str, configured: str) -> str:
    """The configured model, unless it is the offline one and a real provider was chosen."""
    if provider != "offline" and configured == "heuristic-v1":
        raise InputError(f"Name a model for --provider {provider}, e.g. --model gpt-4o-mini.")
    return configured


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Alpaca JSON, JSONL, CSV, Parquet or HF folder.")],
    fmt: Annotated[str, typer.Option("--format", help="auto|alpaca|jsonl|csv|parquet|hf|verifier")]
    = "auto",
    stage: Annotated[int | None, typer.Option(help="Stage for every imported item.")] = None,
    verifier: Annotated[str, typer.Option(help="Verifier name for --format verifier.")]
    = "imported",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import instruction triples (and verifier scores); a file with any bad record adds nothing."""
    from honeybee_core import transfer

    result = transfer.import_file(open_repo(db), file, fmt, stage=stage, verifier=verifier)
    emit(
        result.as_dict(), as_json,
        f"{result.records} records ({result.format}): {result.new_items} new items, "
        f"{result.existing_items} already present, {result.new_scores} new verifier scores.",
    )


@app.command("import-ratings")
def import_ratings(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL of expert ratings.")],
    annotator: Annotated[str | None, typer.Option(help="Annotator for rows without one.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import expert ratings; re-importing updates the same (item, annotator) row."""
    from honeybee_core import transfer

    result = transfer.import_ratings(open_repo(db), file, annotator=annotator)
    emit(
        result.as_dict(), as_json,
        f"{result.records} ratings: {result.inserted} new, {result.updated} updated.",
    )


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Output file (or folder for --format hf).")],
    fmt: Annotated[str, typer.Option("--format", help="alpaca|jsonl|parquet|hf")] = "jsonl",
    approved: Annotated[bool, typer.Option("--approved", help="Only approved items.")] = False,
    snapshot: Annotated[str | None, typer.Option(help="Only this snapshot's items.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export everything, the approved items or a snapshot."""
    from honeybee_core import transfer

    result = transfer.export_items(open_repo(db), out, fmt, approved=approved, snapshot=snapshot)
    emit(result.as_dict(), as_json, f"Wrote {result.items} items to {result.path}.")


@app.command()
def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts of items, scored, rated, approved and rejected, and items per stage."""
    numbers = open_repo(db).stats()
    human = "\n".join(
        f"{k}: {v}" for k, v in numbers.items() if k != "by_stage"
    ) + "\nby_stage: " + ", ".join(f"{s}={n}" for s, n in numbers["by_stage"].items())
    emit(numbers, as_json, human)


# -- evaluation, feedback and the loop (issue 7) ------------------------------------------------
@app.command()
def evaluate(
    run: Annotated[str, typer.Option(help="A training run id, or a run / adapter folder.")],
    evaluator: Annotated[str, typer.Option(help="offline, openai or anthropic (default from "
                                           "settings).")] = "",
    model: ModelOption = None,
    n: Annotated[int, typer.Option("--n", help="Size of the held-out evaluation set.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the evaluation set's order.")] = 0,
    min_score: Annotated[float, typer.Option(help="Verifier mean that makes a reference "
                                             "trustworthy (preferred items).")] = 80.0,
    no_base: Annotated[bool, typer.Option("--no-base", help="Skip the base-model row.")] = False,
    max_new_tokens: Annotated[int, typer.Option(help="Answer length cap.")] = 128,
    batch_size: Annotated[int, typer.Option(help="Inference batch size.")] = 8,
    concurrency: ConcurrencyOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a held-out set with the run (and its base model) and grade the answers."""
    from honeybee_core.pipeline.evaluate import EvaluateParams, run_evaluate

    settings = get_settings()
    name = evaluator or settings.evaluator_provider
    params = EvaluateParams(
        run=run, provider=name, model=model or _default_model(name, settings.evaluator_model),
        n=n, seed=seed, min_score=min_score, include_base=not no_base,
        max_new_tokens=max_new_tokens, batch_size=batch_size,
        concurrency=concurrency or settings.concurrency)
    outcome = run_evaluate(open_repo(db), params, on_progress=_progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.eval_items} held-out items, "
         f"{outcome.answered} answers generated, {outcome.scored} new grades by "
         f"{params.evaluator}, {outcome.failed} failed, ${outcome.cost_usd:.4f}.")
    if outcome.status == "failed":
        raise typer.Exit(1)


@app.command()
def feedback(
    run: Annotated[str, typer.Option(help="The evaluated run (id, folder, or 'base').")],
    n: Annotated[int | None, typer.Option("--n", help="At most N weak answers, weakest "
                                          "first.")] = None,
    threshold: Annotated[float, typer.Option(help="Weak: any grade below this (paper: "
                                             "100).")] = 100.0,
    per_item: Annotated[int, typer.Option(help="New triples per weak answer.")] = 5,
    provider: ProviderOption = "",
    model: ModelOption = None,
    grades_from: Annotated[str | None, typer.Option(help="Only this evaluator's grades "
                                                    "(provider:model).")] = None,
    concurrency: ConcurrencyOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The Instructor writes next-stage triples aimed at the run's weak answers."""
    from honeybee_core.pipeline.feedback import FeedbackParams, run_feedback

    settings = get_settings()
    name = provider or settings.instructor_provider
    params = FeedbackParams(
        run=run, provider=name, model=model or _default_model(name, settings.instructor_model),
        evaluator=grades_from, threshold=threshold, n=n, per_item=per_item,
        concurrency=concurrency or settings.concurrency)
    outcome = run_feedback(open_repo(db), params, on_progress=_progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.total} weak answers, "
         f"{outcome.new_items} new items, {outcome.duplicates} near-duplicates, "
         f"${outcome.cost_usd:.4f}; `honeybee verify` scores them next.")


@app.command()
def loop(
    stages: Annotated[int, typer.Option(help="Stages to run.")] = 2,
    n_items: Annotated[int | None, typer.Option(help="Items to generate into an empty "
                                                "database (default: demo_items).")] = None,
    eval_n: Annotated[int, typer.Option(help="Size of the evaluation set.")] = 20,
    rule: Annotated[str | None, typer.Option(help="Curation rule of every stage.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The whole loop offline: generate, verify, curate, train tiny, evaluate, feedback."""
    from honeybee_core.loop import OFFLINE_RULE, run_offline_loop

    report = run_offline_loop(open_repo(db), stages=stages, n_items=n_items, eval_n=eval_n,
                              rule=rule or OFFLINE_RULE,
                              log=None if as_json else lambda m: typer.echo(m, err=True))
    table = "\n".join(f"{r['model']:<40} {r['n']:>4} {r['accuracy']:>6} {r['completeness']:>6}"
                      f" {r['reasonableness']:>6} {r['mean']:>6}" for r in report["stage_table"])
    emit(report, as_json, f"{'model':<40} {'n':>4} {'acc':>6} {'compl':>6} {'reas':>6} "
         f"{'mean':>6}\n{table}\n{report['waiting_for_review']} items wait for review.")


# -- users (issue 4) ----------------------------------------------------------------------------
users_app = typer.Typer(help="Accounts and roles (reviewer, curator, admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The person's name, as they sign in.")],
    role: Annotated[str, typer.Option(help="reviewer | curator | admin")] = "reviewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first stdin line.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user, or change an existing user's role (and password with --password-stdin)."""
    from honeybee_core import auth

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    created = auth.add_user(open_repo(db), auth.CLI_ACTOR, name, role, password)
    emit({"name": name.strip(), "role": role, "created": created,
          "password_set": password is not None}, as_json,
         f"{'Added' if created else 'Updated'} {name.strip()} ({role})"
         + (" with a password." if password is not None else "."))


@users_app.command("list")
def users_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List users with their roles (never their password hashes)."""
    from honeybee_core import auth

    users = auth.list_users(open_repo(db))
    rows = [{"name": r.name, "role": r.role, "has_password": bool(r.has_password)}
            for r in users.itertuples()]
    emit({"users": rows}, as_json, "\n".join(
        f"{r['name']}\t{r['role']}" + ("\tpassword" if r["has_password"] else "")
        for r in rows) or "No users yet.")


def main() -> None:
    """Console entry point: HoneybeeError becomes one line on stderr and exit code 1."""
    try:
        app()
    except HoneybeeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
