"""Managing people: add, change role, reset password, set the sign-on email, deactivate.

Every change needs the admin role (read from the database by `require`) and is written to the
people audit together with who made it and when, in the same transaction. A deactivated person
keeps their name, so their ratings stay attributed to them; their sessions end at once. The last
active admin can be neither demoted nor deactivated, so a database never locks everyone out.
Creating a person on first sign-in (local mode, single sign-on) goes through `create_on_sign_in`,
whose first-admin rule holds however many people arrive at once.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from honeybee_core.auth import (
    RESERVED_NAMES,
    Actor,
    check_name,
    check_role,
    hash_password,
    require,
    role_at_least,
    utcnow,
    writes,
)
from honeybee_core.errors import InputError, NotFoundError, PermissionDeniedError
from honeybee_core.store import Cursor, Repository

if TYPE_CHECKING:  # hints only: the sign-in page loads no frame library
    import pandas as pd

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
# One process owns the database (DuckDB's single writer), so a process-wide lock makes "is there
# an admin yet?" and "create this person" one step for every thread of the app.
_NEW_PERSON_LOCK = threading.Lock()


def check_email(email: str | None) -> str | None:
    """A clean, lower-cased email, None for empty, or InputError."""
    email = (email or "").strip().lower()
    if not email:
        return None
    if not _EMAIL.match(email):
        raise InputError(f"Email {email!r} is not an email address; use name@institution.org.")
    return email


def list_people(repo: Repository) -> pd.DataFrame:
    """Everyone (active or not) with role, email, sign-in methods and ratings; never a hash."""
    return repo.people()


def audit_log(repo: Repository, limit: int = 200, person: str | None = None) -> pd.DataFrame:
    """The latest changes to people (at, actor, person, action, detail), newest first."""
    return repo.people_audit(limit, person)


def _existing(repo: Repository, cur: Cursor, name: str) -> dict[str, Any]:
    row = repo.person(name, cur)
    if row is None:
        raise NotFoundError(f"No person named {name!r}; add them first (People page or "
                            f"`honeybee users add {name!r}`).")
    return row


def _keep_an_admin(repo: Repository, cur: Cursor, row: dict[str, Any], what: str) -> None:
    if row["role"] == "admin" and row["active"] and repo.count_active_admins(cur) <= 1:
        raise InputError(f"{row['name']} is the last active admin and cannot be {what}; make "
                         "someone else an admin first.")


@writes("manage_users")
def add_person(repo: Repository, actor: Actor, name: str, role: str = "reviewer",
               password: str | None = None, email: str | None = None) -> Actor:
    """Add a new person (a password for password sign-in, an email for single sign-on)."""
    who = require(actor, "manage_users", repo)
    name, role, email = check_name(name), check_role(role), check_email(email)
    password_hash = hash_password(password) if password else None
    with repo.db.transaction() as cur:
        if repo.person_name_taken(name, cur):
            raise InputError(f"{name!r} is already taken (a person or a rating's author); "
                             "choose another name or change that person instead.")
        if email and repo.person_by_email(email, cur):
            raise InputError(f"The email {email} belongs to someone else already.")
        repo.insert_person(cur, name, role, password_hash, email)
        detail = f"role {role}" + (", password set" if password_hash else "") + (
            f", email {email}" if email else "")
        repo.add_people_audit(cur, utcnow(), who.name, name, "add", detail)
    return Actor(name, role, repo)


@writes("manage_users")
def set_role(repo: Repository, actor: Actor, name: str, role: str) -> bool:
    """Give name the role; False when they had it already (nothing recorded then)."""
    who = require(actor, "manage_users", repo)
    role = check_role(role)
    with repo.db.transaction() as cur:
        row = _existing(repo, cur, name)
        if row["role"] == role:
            return False
        if not role_at_least(role, "admin"):
            _keep_an_admin(repo, cur, row, "demoted")
        repo.set_person_role(cur, row["name"], role)
        repo.add_people_audit(cur, utcnow(), who.name, row["name"], "role",
                              f"{row['role']} -> {role}")
    return True


@writes("manage_users")
def reset_password(repo: Repository, actor: Actor, name: str, password: str) -> None:
    """Set a new password; the person's open sessions end (they sign in with the new one)."""
    who = require(actor, "manage_users", repo)
    password_hash = hash_password(password)
    with repo.db.transaction() as cur:
        row = _existing(repo, cur, name)
        repo.set_person_password(cur, row["name"], password_hash)
        ended = repo.revoke_sessions_of(cur, row["name"], utcnow())
        repo.add_people_audit(cur, utcnow(), who.name, row["name"], "reset_password",
                              f"{ended} session(s) ended")


@writes("manage_users")
def set_email(repo: Repository, actor: Actor, name: str, email: str | None) -> None:
    """Set (or clear) the email single sign-on matches; a linked provider account is kept."""
    who = require(actor, "manage_users", repo)
    email = check_email(email)
    with repo.db.transaction() as cur:
        row = _existing(repo, cur, name)
        other = repo.person_by_email(email, cur) if email else None
        if other and other["name"] != row["name"]:
            raise InputError(f"The email {email} belongs to {other['name']} already.")
        repo.set_person_email(cur, row["name"], email)
        repo.add_people_audit(cur, utcnow(), who.name, row["name"], "email",
                              f"{row['email'] or '-'} -> {email or '-'}")


@writes("manage_users")
def set_active(repo: Repository, actor: Actor, name: str, active: bool) -> bool:
    """Deactivate (sessions end, ratings stay theirs) or reactivate; False if already so."""
    who = require(actor, "manage_users", repo)
    with repo.db.transaction() as cur:
        row = _existing(repo, cur, name)
        if bool(row["active"]) == active:
            return False
        detail = None
        if not active:
            _keep_an_admin(repo, cur, row, "deactivated")
            detail = f"{repo.revoke_sessions_of(cur, row['name'], utcnow())} session(s) ended"
        repo.set_person_active(cur, row["name"], active)
        repo.add_people_audit(cur, utcnow(), who.name, row["name"],
                              "activate" if active else "deactivate", detail)
    return True


@writes("manage_users")
def add_or_update(repo: Repository, actor: Actor, name: str, role: str,
                  password: str | None = None, email: str | None = None) -> bool:
    """`honeybee users add`: create the person, or set an existing one's role (and password,
    email when given); True when created."""
    require(actor, "manage_users", repo)
    name = check_name(name)
    if repo.person(name) is None:
        add_person(repo, actor, name, role, password, email)
        return True
    set_role(repo, actor, name, role)
    if password is not None:
        reset_password(repo, actor, name, password)
    if email is not None:
        set_email(repo, actor, name, email)
    return False


def free_name(repo: Repository, cur: Cursor, wanted: str) -> str:
    """wanted, or "wanted 2", "wanted 3"... whichever no person or rating uses yet."""
    base = wanted if wanted.lower() not in RESERVED_NAMES else wanted + " sso"
    name, n = base, 1
    while repo.person_name_taken(name, cur):
        n += 1
        name = f"{base[:58]} {n}"
    return check_name(name)


def create_on_sign_in(repo: Repository, name: str, *, how: str, email: str | None = None,
                      sso_subject: str | None = None, admin_if_none: bool = True,
                      only_as_admin: bool = False) -> Actor:
    """A new person signing in for the first time: a reviewer, or the admin when the database
    has no active admin yet and admin_if_none (only_as_admin: refused unless admin). Atomic: of
    many arriving at once, exactly one becomes the admin."""
    with _NEW_PERSON_LOCK, repo.db.transaction() as cur:
        if sso_subject is None:  # local mode: a name is the person
            existing = repo.person(name, cur)
            if existing is not None:  # the same name signed in a moment ago
                return Actor(existing["name"], existing["role"], repo)
        else:  # single sign-on: a namesake is someone else, so take the next free name
            name = free_name(repo, cur, name)
        role = "admin" if admin_if_none and repo.count_active_admins(cur) == 0 else "reviewer"
        if only_as_admin and role != "admin":
            raise PermissionDeniedError(
                f"{email or name} has no account yet and the database has an admin already; "
                "ask them to add you on the People page.")
        repo.insert_person(cur, name, role, None, email, sso_subject)
        repo.add_people_audit(cur, utcnow(), name, name, "add",
                              f"role {role}, first sign-in ({how})"
                              + ("; the first admin" if role == "admin" else ""))
    return Actor(name, role, repo)
