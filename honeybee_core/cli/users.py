"""`honeybee users ...`: people, roles, passwords and deactivation; each change is recorded
in the people audit."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from honeybee_core.cli.common import DbOption, JsonOption, cli_actor, emit, open_repo
from honeybee_core.errors import InputError

users_app = typer.Typer(help="People and roles (reviewer, curator, admin); every change is "
                        "recorded with who and when.", no_args_is_help=True)
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first stdin line.")
]


def _password(from_stdin: bool) -> str | None:
    return sys.stdin.readline().rstrip("\r\n") if from_stdin else None


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The person's name, as they sign in.")],
    role: Annotated[str, typer.Option(help="reviewer | curator | admin")] = "reviewer",
    email: Annotated[str | None, typer.Option(help="Email for single sign-on.")] = None,
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a person, or change an existing person's role (and password / email when given)."""
    from honeybee_core import people

    password = _password(password_stdin)
    created = people.add_or_update(open_repo(db), cli_actor(), name, role, password, email)
    emit({"name": name.strip(), "role": role, "created": created,
          "password_set": password is not None}, as_json,
         f"{'Added' if created else 'Updated'} {name.strip()} ({role})"
         + (" with a password." if password is not None else "."))


@users_app.command("list")
def users_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List people with their roles and state (never their password hashes)."""
    from honeybee_core import auth

    users = auth.list_users(open_repo(db))
    rows = [{"name": r.name, "role": r.role, "has_password": bool(r.has_password),
             "email": r.email, "active": bool(r.active), "ratings": int(r.ratings)}
            for r in users.itertuples()]
    emit({"users": rows}, as_json, "\n".join(
        f"{r['name']}\t{r['role']}" + ("" if r["active"] else "\tdeactivated")
        + ("\tpassword" if r["has_password"] else "") + (f"\t{r['email']}" if r["email"] else "")
        for r in rows) or "No users yet.")


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="The person.")],
    role: Annotated[str, typer.Argument(help="reviewer | curator | admin")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Change a person's role (the last active admin stays an admin)."""
    from honeybee_core import people

    changed = people.set_role(open_repo(db), cli_actor(), name, role)
    emit({"name": name, "role": role, "changed": changed}, as_json,
         f"{name} is now a {role}." if changed else f"{name} was a {role} already.")


@users_app.command("reset-password")
def users_reset_password(
    name: Annotated[str, typer.Argument(help="The person.")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Set a new password (read from stdin with --password-stdin); open sessions end."""
    from honeybee_core import people

    password = _password(password_stdin)
    if password is None:
        raise InputError("Give the new password on stdin with --password-stdin (never as an "
                         "argument, where other users could see it).")
    people.reset_password(open_repo(db), cli_actor(), name, password)
    emit({"name": name, "password_set": True}, as_json, f"New password set for {name}.")


@users_app.command("deactivate")
def users_deactivate(
    name: Annotated[str, typer.Argument(help="The person.")],
    undo: Annotated[bool, typer.Option("--undo", help="Reactivate instead.")] = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Deactivate a person (they cannot sign in; their ratings stay theirs), or --undo."""
    from honeybee_core import people

    changed = people.set_active(open_repo(db), cli_actor(), name, undo)
    state = "active" if undo else "deactivated"
    emit({"name": name, "active": undo, "changed": changed}, as_json,
         f"{name} is {state}." if changed else f"{name} was {state} already.")


@users_app.command("audit")
def users_audit(
    person: Annotated[str | None, typer.Option(help="Only changes to this person.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many changes, newest first.")] = 50,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Who changed which person, how and when."""
    from honeybee_core import people

    log = people.audit_log(open_repo(db), limit, person)
    rows = [{"at": str(r.at), "actor": r.actor, "person": r.person, "action": r.action,
             "detail": r.detail} for r in log.itertuples()]
    emit({"changes": rows}, as_json, "\n".join(
        f"{r['at'][:19]}  {r['actor']}  {r['action']}  {r['person']}  {r['detail'] or ''}"
        for r in rows) or "No changes yet.")
