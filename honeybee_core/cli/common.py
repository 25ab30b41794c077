"""The one typer app every command registers on, the options they share, and the helpers that
open the database, print results and turn an unfinished job into exit code 1."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from honeybee_core.cli import path_coercion
from honeybee_core.store import Repository, open_database
from honeybee_core.store.database import open_for_reading

if TYPE_CHECKING:
    from honeybee_core.auth import Actor
    from honeybee_core.config import Settings

path_coercion.install()  # --db and other plain paths without importing pydantic
app = typer.Typer(
    help="HoneyBee Studio: MatSci-Instruct data, review and finetuning.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)


@app.callback()
def _group() -> None:
    # a callback keeps the app a group when `honeybee CMD` registered one command only
    pass

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file (default: $HONEYBEE_DB, else data/honeybee.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def get_settings() -> Settings:
    """The settings; config loads pydantic, so only the commands that read settings import it."""
    from honeybee_core.config import get_settings as settings

    return settings()


def cli_actor() -> Actor:
    """Who the CLI acts as; auth loads argon2, so only the commands that write import it."""
    from honeybee_core.auth import CLI_ACTOR

    return CLI_ACTOR


def db_file(db: Path | None) -> Path:
    """--db, else the configured file."""
    # HONEYBEE_DB outranks .env and the default in the settings, so it is read without them
    return Path(db or os.environ.get("HONEYBEE_DB") or get_settings().db)


def open_repo(db: Path | None) -> Repository:
    """The repository on --db, else the configured file; created and migrated on first use."""
    return Repository(open_database(db_file(db)))


def read_repo(db: Path | None) -> Repository:
    """open_repo for a command that only reads: an up-to-date file is opened read-only."""
    return Repository(open_for_reading(db_file(db)))


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    """One JSON object for machines, or a short human summary."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str) if as_json else human)


ProviderOption = Annotated[str, typer.Option(help="offline, openai or anthropic.")]
ModelOption = Annotated[str | None, typer.Option(help="Model name (default from settings).")]
ConcurrencyOption = Annotated[int | None, typer.Option(help="Concurrent calls.")]
BatchOption = Annotated[bool, typer.Option("--batch", help="Use the provider's batch API.")]


def progress(as_json: bool) -> Callable[[dict[str, Any]], None]:
    """A one-line progress printer on stderr (stdout stays clean for --json)."""
    def show(state: dict[str, Any]) -> None:
        if not as_json:
            typer.echo(f"\r{state['done']}/{state['total']} calls, ${state['cost_usd']:.4f}",
                       err=True, nl=False)
    return show


def exit_unless_finished(repo: Repository, outcome: Any, as_json: bool) -> None:
    """A job that failed, left failures or stopped early: one line on stderr (how many, the
    most common error, how to resume) and exit code 1. The JSON on stdout stays as it was."""
    if outcome.status == "finished":
        return
    from honeybee_core.limits import short

    reasons = repo.job_failure_reasons(outcome.job_id, limit=1)
    why = reasons[0][0] if reasons else (repo.job(outcome.job_id) or {}).get("error")
    if not as_json:
        typer.echo("", err=True)  # end the progress line
    counts = f"{outcome.failed} of {outcome.total} calls failed" if outcome.failed else (
        f"{max(0, outcome.total - outcome.done)} of {outcome.total} calls did not run")
    typer.echo(
        f"error: job {outcome.job_id} {outcome.status}: {counts}"
        + (f" (most common error: {short(why, 200)})" if why else "")
        + "; fix the cause and run the same command again to resume: finished calls are kept "
        "and not paid again.", err=True)
    raise typer.Exit(1)


def json_file(path: Path) -> dict[str, Any]:
    """A --config JSON file: one object, read within the size and depth limits."""
    from honeybee_core.limits import read_json_object

    return read_json_object(path, "--config")
