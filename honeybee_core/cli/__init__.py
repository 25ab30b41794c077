"""`honeybee ...`: every job the app can start can also be started here.

Each command opens the database through the same core functions the app uses. `--json` prints one
JSON object on stdout and nothing else there; errors are one line on stderr and a non-zero exit.

Commands live by group in this package (data, jobs, curation, train, evaluate, matsci, users,
guideline), all registered on the one typer app of cli.common; importing a group registers its
commands. `honeybee CMD` imports only CMD's group (a short command such as `stats` then costs
little more than DuckDB itself); `honeybee_core.cli.app`, `honeybee --help` and anything not
named in COMMANDS load every group, in the order `honeybee --help` lists them.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from honeybee_core.cli import common
from honeybee_core.errors import HoneybeeError

if TYPE_CHECKING:
    import typer

# command or command group -> the module of this package that registers it, in --help's order
COMMANDS: dict[str, str] = {
    "init": "data", "import": "data", "import-ratings": "data", "export": "data",
    "stats": "data", "generate": "jobs", "verify": "jobs", "agreement": "curation",
    "curate": "curation", "train": "train", "evaluate": "evaluate", "feedback": "evaluate",
    "stages": "evaluate", "loop": "evaluate", "matsci-nlp": "matsci", "users": "users",
    "guideline": "guideline",
}
# groups that are a typer app of their own: their module's app and the name it is added under
_SUB_APPS = {"matsci": ("matsci_app", "matsci-nlp"), "users": ("users_app", "users"),
             "guideline": ("guideline_app", "guideline")}
_loaded: set[str] = set()

__all__ = ["COMMANDS", "app", "load", "main"]


def load(command: str | None = None) -> typer.Typer:
    """The app with the group of `command` registered, or every group when it names none."""
    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for group in wanted:
        if group in _loaded:
            continue
        module = importlib.import_module(f"honeybee_core.cli.{group}")
        if group in _SUB_APPS:
            attribute, name = _SUB_APPS[group]
            common.app.add_typer(getattr(module, attribute), name=name)
        _loaded.add(group)
    return common.app


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole CLI, every group registered
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point: HoneybeeError becomes one line on stderr and exit code 1."""
    import typer

    try:
        load(sys.argv[1] if len(sys.argv) > 1 else None)()
    except HoneybeeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
