"""`honeybee evaluate | feedback | stages | loop`: grading students, feeding their weak spots
back, the stage table and the whole loop offline."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from honeybee_core.cli.common import (
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
def evaluate(
    run: Annotated[str, typer.Option(help="A training run id, or a run / adapter folder.")] = "",
    student: Annotated[str, typer.Option(help="Instead of --run: an API model as the student "
                                         "(openai:MODEL, anthropic:MODEL; OPENAI_BASE_URL for "
                                         "vLLM and other compatible servers) or 'reference' "
                                         "(the Instructor's own answers).")] = "",
    evaluator: Annotated[str, typer.Option(help="offline, openai or anthropic (default from "
                                           "settings).")] = "",
    model: ModelOption = None,
    rubric: Annotated[str, typer.Option(help="evaluate_v2 (reference-free, default) or "
                                        "evaluate_v1 (against the reference).")] = "evaluate_v2",
    n: Annotated[int, typer.Option("--n", help="Size of the held-out set when this evaluation "
                                   "draws it (the first one does).")] = 50,
    new_set: Annotated[bool, typer.Option("--new-set", help="Draw a fresh held-out set "
                                          "first.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the held-out set's order.")] = 0,
    min_score: Annotated[float, typer.Option(help="Verifier mean that makes a reference "
                                             "trustworthy (preferred items).")] = 80.0,
    no_base: Annotated[bool, typer.Option("--no-base", help="Skip the base-model row.")] = False,
    decoding: Annotated[str, typer.Option(help="Local students: greedy, paper (the released "
                                          "generate.py) or paper-beam.")] = "greedy",
    max_new_tokens: Annotated[int | None, typer.Option(help="Answer length cap (default: the "
                                                       "decoding preset's).")] = None,
    batch_size: Annotated[int, typer.Option(help="Inference batch size.")] = 8,
    concurrency: ConcurrencyOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer the held-out set with a run (and its base model), an API model or the references,
    and grade the answers."""
    from honeybee_core.pipeline.evaluation_job import EvaluateParams, run_evaluate
    from honeybee_core.providers.registry import pick_model, provider_class

    settings = get_settings()
    kind = provider_class(evaluator or settings.evaluator_provider)
    params = EvaluateParams(
        run=run, student=student, provider=kind.name,
        model=pick_model(kind, model, settings.evaluator_provider, settings.evaluator_model),
        rubric=rubric, n=n, new_set=new_set, seed=seed, min_score=min_score,
        include_base=not no_base, decoding=decoding, max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        concurrency=concurrency or settings.concurrency)
    repo = open_repo(db)
    outcome = run_evaluate(repo, params, actor=cli_actor(), on_progress=progress(as_json))
    if outcome.note and not as_json:
        typer.echo(f"\nnote: {outcome.note}", err=True)
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.run_id} on {outcome.eval_items} "
         f"held-out items ({outcome.heldout_set}), {outcome.answered} answers generated, "
         f"{outcome.scored} new grades by {params.evaluator} ({params.rubric}), "
         f"{outcome.failed} failed, ${outcome.cost_usd:.4f}."
         + (f" The run answered with {outcome.weights}." if outcome.weights else ""))
    exit_unless_finished(repo, outcome, as_json)


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
    mode: Annotated[str, typer.Option(help="per-dimension (as released: one prompt per weak "
                                      "dimension, the item's input kept) or with-answer (one "
                                      "prompt per weak item showing the student's answer).")]
    = "per-dimension",
    temperature: Annotated[float, typer.Option(help="Instructor temperature (released: 0).")]
    = 0.0,
    concurrency: ConcurrencyOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The Instructor writes next-stage triples aimed at the run's weak answers."""
    from honeybee_core.pipeline.feedback import FeedbackParams, run_feedback
    from honeybee_core.providers.registry import pick_model, provider_class

    settings = get_settings()
    kind = provider_class(provider or settings.instructor_provider)
    params = FeedbackParams(
        run=run, provider=kind.name,
        model=pick_model(kind, model, settings.instructor_provider, settings.instructor_model),
        evaluator=grades_from, threshold=threshold, n=n, per_item=per_item, mode=mode,
        temperature=temperature, concurrency=concurrency or settings.concurrency)
    repo = open_repo(db)
    outcome = run_feedback(repo, params, actor=cli_actor(), on_progress=progress(as_json))
    emit(outcome.as_dict(), as_json,
         f"\nJob {outcome.job_id} {outcome.status}: {outcome.total} prompts, "
         f"{outcome.new_items} new items, {outcome.duplicates} near-duplicates, "
         f"${outcome.cost_usd:.4f}; `honeybee verify` scores them next.")
    exit_unless_finished(repo, outcome, as_json)


@app.command()
def stages(
    evaluator: Annotated[str | None, typer.Option(help="Grades of this evaluator "
                                                  "(provider:model; default: the most used).")]
    = None,
    rubric: Annotated[str | None, typer.Option(help="Rubric version (default: the evaluator's "
                                               "most used).")] = None,
    heldout_set: Annotated[str | None, typer.Option("--set", help="Held-out set id (default: "
                                                    "the newest; 'all' for every item).")]
    = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The stage table: base model, each run by stage, API students, the references; mean, 95 %
    bootstrap CI and n per dimension, one evaluator and rubric, one held-out set."""
    from honeybee_core import stage_table

    chosen = None if heldout_set == "all" else (heldout_set or stage_table.CURRENT)
    result = stage_table.report(open_repo(db), evaluator, rubric, chosen)
    lines = [f"{'model':<44} {'n':>4}  " + "  ".join(f"{d:>19}" for d in stage_table.DIMENSIONS)]
    for row in result["rows"]:
        cells = [f"{_fmt(row[d])}" for d in stage_table.DIMENSIONS]
        lines.append(f"{row['model'][:44]:<44} {row['mean']['n']:>4}  " + "  ".join(cells))
    emit(result, as_json, "\n".join(lines + [result["caption"]]) if result["rows"]
         else "No evaluations yet; `honeybee evaluate` grades a run, an API model or the "
              "references.")


def _fmt(cell: dict[str, Any]) -> str:
    low, high = cell["ci_low"], cell["ci_high"]
    ci = f"[{low:.1f}, {high:.1f}]" if low is not None else "[-]"
    return f"{cell['mean']:>5.1f} {ci:>13}"


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
                              rule=rule or OFFLINE_RULE, actor=cli_actor(),
                              log=None if as_json else lambda m: typer.echo(m, err=True))
    table = "\n".join(f"{r['model']:<40} {r['n']:>4} {r['accuracy']:>6} {r['completeness']:>6}"
                      f" {r['reasonableness']:>6} {r['mean']:>6}" for r in report["stage_table"])
    emit(report, as_json, f"{'model':<40} {'n':>4} {'acc':>6} {'compl':>6} {'reas':>6} "
         f"{'mean':>6}\n{table}\n{report['waiting_for_review']} items wait for review.")
