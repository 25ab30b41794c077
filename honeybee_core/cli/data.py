"""`honeybee init | import | import-ratings | export | stats`: the database and the data in
and out of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from honeybee_core.cli.common import (
    DbOption,
    JsonOption,
    app,
    cli_actor,
    emit,
    open_repo,
    read_repo,
)


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

        seeded = seed_demo(repo, actor=cli_actor())
    note = f" Seeded the offline demo: {seeded}." if seeded else ""
    emit({"db": repo.db.path, "demo": seeded, **repo.stats()}, as_json,
         f"Database ready at {repo.db.path}.{note}")

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

    result = transfer.import_file(open_repo(db), file, fmt, stage=stage, verifier=verifier,
                                  actor=cli_actor())
    emit(
        result.as_dict(), as_json,
        f"{result.records} records ({result.format}): {result.new_items} new items, "
        f"{result.existing_items} already present, {result.new_scores} new verifier scores.",
    )


@app.command("import-ratings")
def import_ratings(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL of expert ratings.")],
    annotator: Annotated[str | None, typer.Option(help="Annotator for rows without one.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Admin only: replace other people's existing ratings (the old ones "
        "are kept in ratings_history).")] = False,
    create_annotators: Annotated[bool, typer.Option(
        "--create-annotators", help="Create reviewer accounts for names that have none.")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add expert ratings; an existing rating by someone else is never replaced without
    --replace, and a replaced rating keeps its history."""
    from honeybee_core import transfer

    result = transfer.import_ratings(open_repo(db), file, annotator=annotator, actor=cli_actor(),
                                replace=replace, create_annotators=create_annotators)
    created = (f" Created accounts: {', '.join(result.new_annotators)}."
               if result.new_annotators else "")
    replaced = (f" --replace: {result.replaced} rating(s) by other people REPLACED (old values "
                "in ratings_history)." if result.replace else "")
    emit(
        result.as_dict(), as_json,
        f"{result.records} ratings: {result.inserted} new, {result.unchanged} unchanged, "
        f"{result.updated} of your own updated.{replaced}{created}",
    )


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Output file (or folder for --format hf).")],
    fmt: Annotated[str, typer.Option("--format", help="alpaca|jsonl|parquet|hf")] = "jsonl",
    approved: Annotated[bool, typer.Option("--approved", help="Only approved items.")] = False,
    snapshot: Annotated[str | None, typer.Option(help="Only this snapshot's items.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export everything, the approved items or a snapshot; never overwrites without --force."""
    from honeybee_core import transfer

    result = transfer.export_items(open_repo(db), out, fmt, approved=approved, snapshot=snapshot,
                              force=force, actor=cli_actor())
    emit(result.as_dict(), as_json, f"Wrote {result.items} items to {result.path}.")


@app.command()
def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts of items, scored, rated, approved and rejected, and items per stage."""
    numbers = read_repo(db).stats()
    human = "\n".join(
        f"{k}: {v}" for k, v in numbers.items() if k != "by_stage"
    ) + "\nby_stage: " + ", ".join(f"{s}={n}" for s, n in numbers["by_stage"].items())
    emit(numbers, as_json, human)
