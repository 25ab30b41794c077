"""`honeybee ...`: every job the app can start can also be started here.

Each command opens the database through the same core functions the app uses. `--json` prints one
JSON object on stdout and nothing else there; errors are one line on stderr and a non-zero exit.

Commands live by group in this package (data, jobs, curation, train, evaluate, matsci, users,
guideline), all registered on the one typer app of cli.common; importing a group registers its
commands, in the order `honeybee --help` lists them.
"""

from __future__ import annotations

import importlib
import sys

import typer

from honeybee_core.cli.common import app
from honeybee_core.cli.guideline import guideline_app
from honeybee_core.cli.matsci import matsci_app
from honeybee_core.cli.users import users_app
from honeybee_core.errors import HoneybeeError

# importing a group registers its commands; this is the order `honeybee --help` lists them in
for _group in ("data", "jobs", "curation", "train", "evaluate"):
    importlib.import_module(f"honeybee_core.cli.{_group}")
app.add_typer(matsci_app, name="matsci-nlp")
app.add_typer(users_app, name="users")
app.add_typer(guideline_app, name="guideline")

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: HoneybeeError becomes one line on stderr and exit code 1."""
    try:
        app()
    except HoneybeeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
