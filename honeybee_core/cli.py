"""`honeybee ...`: every job the app can start can also be started here.

Each command opens the database through the same core functions the app uses. `--json` prints one
JSON object on stdout and nothing else there; errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from honeybee_core import io as hio
from honeybee_core.config import get_settings
from honeybee_core.db import open_database
from honeybee_core.errors import HoneybeeError
from honeybee_core.repo import Repository

app = typer.Typer(
    help="HoneyBee Studio: MatSci-Instruct data, review and finetuning.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file (default: $HONEYBEE_DB, else data/honeybee.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def open_repo(db: Path | None) -> Repository:
    """The repository on --db, else the configured file; created and migrated on first use."""
    return Repository(open_database(db or get_settings().db))


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    """One JSON object for machines, or a short human summary."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str) if as_json else human)


@app.command()
def init(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create or migrate the database."""
    repo = open_repo(db)
    emit({"db": repo.db.path, **repo.stats()}, as_json, f"Database ready at {repo.db.path}.")


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
    result = hio.import_file(open_repo(db), file, fmt, stage=stage, verifier=verifier)
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
    result = hio.import_ratings(open_repo(db), file, annotator=annotator)
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
    result = hio.export_items(open_repo(db), out, fmt, approved=approved, snapshot=snapshot)
    emit(result.as_dict(), as_json, f"Wrote {result.items} items to {result.path}.")


@app.command()
def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts of items, scored, rated, approved and rejected, and items per stage."""
    numbers = open_repo(db).stats()
    human = "\n".join(
        f"{k}: {v}" for k, v in numbers.items() if k != "by_stage"
    ) + "\nby_stage: " + ", ".join(f"{s}={n}" for s, n in numbers["by_stage"].items())
    emit(numbers, as_json, human)


def main() -> None:
    """Console entry point: HoneybeeError becomes one line on stderr and exit code 1."""
    try:
        app()
    except HoneybeeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
