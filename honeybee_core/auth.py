"""Who is acting, and what their role lets them do.

Every core write takes an `Actor` and calls `require(actor, action)` first, so no page or CLI path
can write around the check. Roles are ordered: reviewer < curator < admin; each action names the
least role allowed to do it. `require` reads the role from the database at the moment of the
check: an Actor is only a name plus the repository it was looked up in, and the role it carries
is for display. A hand-built Actor (no repository) is refused, a demoted or deactivated person is
refused at once. Passwords are hashed with argon2id; a plaintext never reaches the database.

Signing in lives in `signin` (local names, passwords with throttling, single sign-on), managing
people in `people`, browser sessions in `sessions`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from honeybee_core.errors import InputError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    import pandas as pd
    from argon2 import PasswordHasher

    from honeybee_core.store import Repository

ROLES: tuple[str, ...] = ("reviewer", "curator", "admin")
# action -> least role allowed; other modules call require(actor, "launch_run") and friends
ACTIONS: dict[str, str] = {
    "rate": "reviewer",
    "decide": "curator",
    "bulk_decide": "curator",
    "import_data": "curator",
    "snapshot": "curator",
    "launch_job": "curator",
    "launch_run": "curator",
    "export_data": "curator",
    "edit_guideline": "curator",
    "manage_users": "admin",
}
_WHAT = {
    "rate": "rate items", "decide": "approve or reject items",
    "bulk_decide": "approve or reject items by rule", "import_data": "import data",
    "snapshot": "make snapshots", "launch_job": "launch generation or verification jobs",
    "launch_run": "launch training or evaluation runs", "export_data": "export data to files",
    "manage_users": "manage people", "edit_guideline": "edit the review guideline",
}
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[\w][\w .@+-]{0,63}$")
RESERVED_NAMES = frozenset({"cli", "demo", "system", "sso"})  # names the audit uses for tools


@dataclass(frozen=True)
class Actor:
    """The person (or tool) doing something: a name, the role last read, and where it was read.

    `repo` is the repository the person was looked up in; `require` re-reads the role there.
    """

    name: str
    role: str
    repo: Repository | None = field(default=None, compare=False, repr=False)

    def can(self, action: str) -> bool:
        """Whether the role last read allows action (for showing or hiding; `require` decides)."""
        if action not in ACTIONS:
            raise ValueError(f"Unknown action {action!r}; known: {', '.join(ACTIONS)}.")
        return role_at_least(self.role, ACTIONS[action])


# The command line: whoever can open the database file can change it anyway. Only this very
# object is trusted without a database lookup (an equal Actor built elsewhere is not).
CLI_ACTOR = Actor("cli", "admin")
# The offline demo's jobs, started by demo.seed_demo after its own check of the caller; the
# name marks the jobs (and so the items) the demo wrote.
DEMO_ACTOR = Actor("demo", "admin")
_TOOLS = (CLI_ACTOR, DEMO_ACTOR)

# Every public core function that writes, by "module.qualname": the actions it requires.
WRITES: dict[str, tuple[str, ...]] = {}
_F = TypeVar("_F", bound=Callable[..., Any])


def writes(*actions: str) -> Callable[[_F], _F]:
    """Mark a public core function that writes: to the database, or files and processes on the
    machine (exports, snapshots, training runs).

    The function takes a required `actor` and calls `require(actor, action, repo)` itself before
    touching anything; the marker only records that, so the role walk
    (tests/reliability/test_role_walk.py) finds every write path and calls it as a reviewer.
    """
    unknown = [a for a in actions if a not in ACTIONS]
    if not actions or unknown:
        raise ValueError(f"writes() needs known actions; got {actions!r}.")

    def mark(fn: _F) -> _F:
        param = inspect.signature(fn).parameters.get("actor")
        if param is None or param.default is not inspect.Parameter.empty:
            raise TypeError(f"{fn.__qualname__} writes, so it takes a required actor.")
        WRITES[f"{fn.__module__}.{fn.__qualname__}"] = actions
        fn.__writes__ = actions  # type: ignore[attr-defined]
        return fn

    return mark


def utcnow() -> datetime:
    """Now in UTC, naive (as DuckDB TIMESTAMP columns store it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def role_at_least(role: str, least: str) -> bool:
    """Whether role is least or above it (reviewer < curator < admin); unknown roles are not."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(least)


def require(actor: Actor | None, action: str, repo: Repository | None = None) -> Actor:
    """The actor with the role the database holds now, if that role allows action; else
    PermissionDeniedError (one sentence). The role the caller's Actor carries is ignored.

    repo is the database about to be written (default: the one the actor was looked up in); an
    Actor looked up in another database file is refused there, whatever role it had there."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; known: {', '.join(ACTIONS)}.")
    if actor is None:
        raise PermissionDeniedError(f"Sign in to {_WHAT[action]}.")
    if any(actor is tool for tool in _TOOLS):
        return actor
    if actor.repo is None:
        raise PermissionDeniedError(
            f"{actor.name!r} was not looked up in the database, so their role is unknown; sign "
            "in, or get the person with auth.lookup(repo, name) before calling the core."
        )
    store = repo if repo is not None else actor.repo
    if store is not actor.repo and store.db.path != actor.repo.db.path:
        raise PermissionDeniedError(
            f"{actor.name} was looked up in {actor.repo.db.path}, not in {store.db.path}, and "
            f"cannot {_WHAT[action]} there; sign in to that database."
        )
    current = store.person(actor.name)
    if current is None or not current["active"]:
        raise PermissionDeniedError(
            f"{actor.name} has no active account here and cannot {_WHAT[action]}; an admin "
            "adds or reactivates people on the People page (or `honeybee users add`)."
        )
    role = current["role"]
    if not role_at_least(role, ACTIONS[action]):
        raise PermissionDeniedError(
            f"{actor.name} is a {role} and cannot {_WHAT[action]}; this needs the "
            f"{ACTIONS[action]} role (an admin grants it on the People page or with "
            f"`honeybee users role {actor.name!r} {ACTIONS[action]}`)."
        )
    return Actor(actor.name, role, store)


def check_name(name: str) -> str:
    """A clean person name, or InputError saying what is allowed."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InputError(
            f"User name {name!r} is not allowed; use 1-64 letters, digits, spaces or . @ + - _ "
            "starting with a letter or digit."
        )
    if name.lower() in RESERVED_NAMES:
        raise InputError(f"User name {name!r} is reserved for tools; choose another name.")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"Role {role!r} is unknown; use one of {', '.join(ROLES)}.")
    return role


def hash_password(password: str) -> str:
    """An argon2id hash of password (InputError when it is too short)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The password is shorter than {MIN_PASSWORD_LENGTH} characters; choose a longer one."
        )
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether password matches password_hash; a missing or broken hash never matches."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _hasher() -> PasswordHasher:
    # argon2 loads on the first password, not with every page and command that imports auth
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    # verified against when the name is unknown, so a wrong name costs as long as a wrong password
    return _hasher().hash("not a real password")


def lookup(repo: Repository, name: str) -> Actor | None:
    """The active person named name with the role the database holds now, or None."""
    row = repo.person(name) if name else None
    return Actor(row["name"], row["role"], repo) if row and row["active"] else None


def get_user(repo: Repository, name: str) -> Actor:
    """The active person named name, or NotFoundError."""
    actor = lookup(repo, name)
    if actor is None:
        raise NotFoundError(f"No active user named {name!r}; add one with `honeybee users add "
                            f"{name!r}` or on the People page.")
    return actor


# Kept here for callers that predate the split (pages, CLI, tests of other parts).
@writes("manage_users")
def add_user(
    repo: Repository, actor: Actor, name: str, role: str, password: str | None = None
) -> bool:
    """Create the person, or set an existing person's role (and password if given); True if
    created. Recorded in the people audit."""
    from honeybee_core import people  # people builds on this module

    require(actor, "manage_users", repo)
    return people.add_or_update(repo, actor, name, role, password)


def list_users(repo: Repository) -> pd.DataFrame:
    """name, role, email, active, has_password, sso_linked, ratings, created_at (no hashes)."""
    return repo.people()


def active_names(repo: Repository) -> list[str]:
    """The names the local sign-in form offers: everyone not deactivated."""
    return repo.active_names()


def sign_in(repo: Repository, mode: str, name: str, password: str | None = None,
            address: str | None = None, now: Any = None) -> Actor:
    """Sign in under HONEYBEE_AUTH mode "none" or "password" (see `signin`)."""
    from honeybee_core import signin

    return signin.sign_in(repo, mode, name, password, address=address, now=now)
