"""`honeybee generate | verify`: the Instructor and Verifier jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from honeybee_core.cli.common import (
    BatchOption,
    ConcurrencyOption,
    DbOption,
    JsonOption,
    ModelOption,
    ProviderOption,
    app,
    cli_actor,
    emit,
    exit_unless_finished,
    get_settings,
    open_repo,
    progress,
)


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
    from honeybee_core.providers.registry import pick_model, provider_class

    settings = get_settings()
    kind = provider_class(provider or settings.instructor_provider)
    params = GenerateParams(
        n=n, provider=kind,
        model=pick_model(kind, model, settings.instructor_provider, settings.instructor_model),
        stage=stage, topics=tuple(topic or ()), task_types=tuple(task_type or ()),
        grounded=str(grounded) if grounded else None, per_call=per_call, seed=seed,
        concurrency=concurrency or settings.concurrency, batch=batch,
    )
    params.check()
    repo = open_repo(db)
    outcome = jobs.run_generate(repo, params, actor=cli_actor(),
                                on_progress=progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.new_items} new items, "
         f"{outcome.duplicates} near-duplicates, {outcome.failed} failed calls, "
         f"${outcome.cost_usd:.4f}.")
    exit_unless_finished(repo, outcome, as_json)


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
    from honeybee_core.providers.registry import pick_model, provider_class

    settings = get_settings()
    kind = provider_class(provider or settings.verifier_provider)
    params = jobs.VerifyParams(
        provider=kind,
        model=pick_model(kind, model, settings.verifier_provider, settings.verifier_model),
        limit=limit, concurrency=concurrency or settings.concurrency, batch=batch,
    )
    repo = open_repo(db)
    outcome = jobs.run_verify(repo, params, actor=cli_actor(),
                              on_progress=progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.scored} items scored, "
         f"{outcome.failed} failed, ${outcome.cost_usd:.4f}.")
    exit_unless_finished(repo, outcome, as_json)
