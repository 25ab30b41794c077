"""`honeybee guideline show | history | set`: the review guideline from the command line, as on
the Guidelines page (a save is a new version, recorded as made by `cli`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from honeybee_core.cli.common import DbOption, JsonOption, cli_actor, open_repo
from honeybee_core.errors import InputError

guideline_app = typer.Typer(
    help="The review guideline beside the rating form: read it, list its versions, save a new "
    "one.", no_args_is_help=True)
_repo = open_repo


@guideline_app.command("show")
def show(
    version: Annotated[int | None, typer.Option(help="This version (default: in force).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the guideline in force (Markdown), or an older version."""
    from honeybee_core import guidelines

    repo = _repo(db)
    rule = guidelines.current(repo) if version is None else guidelines.version(repo, version)
    if as_json:
        typer.echo(json.dumps({"version": rule.version, "saved_by": rule.saved_by,
                               "saved_at": rule.saved_at, "note": rule.note, "body": rule.body},
                              default=str, ensure_ascii=False))
    else:
        typer.echo(rule.body, nl=False)


@guideline_app.command("history")
def history(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every version, newest first, with who saved it, when, and how many ratings used it."""
    from honeybee_core import guidelines

    frame = guidelines.history(_repo(db))
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    if as_json:
        typer.echo(json.dumps({"versions": records}, ensure_ascii=False))
        return
    for r in records:
        typer.echo(f"v{r['version']}  {r['saved_at'] or '(not yet stored)'}  {r['saved_by']}  "
                   f"{r['ratings']} ratings  {r['note'] or ''}".rstrip())


@guideline_app.command("set")
def set_guideline(
    file: Annotated[Path, typer.Argument(help="A Markdown file with the new guideline.")],
    note: Annotated[str | None, typer.Option(help="What changed.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save FILE as the next version of the guideline; it is in force at once."""
    try:
        body = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {file} ({exc}); give a UTF-8 Markdown file.") from None
    from honeybee_core import guidelines

    saved = guidelines.save(_repo(db), cli_actor(), body, note)
    payload = {"version": saved.version, "saved_by": saved.saved_by, "note": saved.note}
    typer.echo(json.dumps(payload) if as_json else f"Saved {saved.label}.")
