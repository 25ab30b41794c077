"""Who is acting, and what their role lets them do.

Every core write takes an `Actor` and calls `require(actor, action)` first, so no page or CLI path
can write around the check. Roles are ordered: reviewer < curator < admin; each action names the
least role allowed to do it. Passwords are hashed with argon2id; a plaintext never reaches the
database. With HONEYBEE_AUTH=none (local use) anyone picks or types a name: a new name becomes a
reviewer and an existing name keeps its role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from honeybee_core.errors import InputError, NotFoundError, PermissionDeniedError
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
    "manage_users": "admin",
}
_WHAT = {
    "rate": "rate items", "decide": "approve or reject items",
    "bulk_decide": "approve or reject items by rule", "import_data": "import data",
    "snapshot": "make snapshots", "launch_job": "launch generation or verification jobs",
    "launch_run": "launch training or evaluation runs", "manage_users": "manage users",
}
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[\w][\w .@+-]{0,63}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Actor:
    """The person (or tool) doing something: a name and one of ROLES."""

    name: str
    role: str

    def can(self, action: str) -> bool:
        """Whether this actor's role allows action (an unknown action is a programming error)."""
        if action not in ACTIONS:
            raise ValueError(f"Unknown action {action!r}; known: {', '.join(ACTIONS)}.")
        return role_at_least(self.role, ACTIONS[action])


# The command line: whoever can open the database file can change it anyway.
CLI_ACTOR = Actor("cli", "admin")


def role_at_least(role: str, least: str) -> bool:
    """Whether role is least or above it (reviewer < curator < admin); unknown roles are not."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(least)


def require(actor: Actor | None, action: str) -> Actor:
    """Return actor if its role allows action, else raise PermissionDeniedError (one sentence)."""
    if actor is None:
        raise PermissionDeniedError(f"Sign in to {_WHAT.get(action, action)}.")
    if not actor.can(action):
        raise PermissionDeniedError(
            f"{actor.name} is a {actor.role} and cannot {_WHAT[action]}; this needs the "
            f"{ACTIONS[action]} role (an admin grants it with `honeybee users add "
            f"{actor.name} --role {ACTIONS[action]}`)."
        )
    return actor


def check_name(name: str) -> str:
    """A clean user name, or InputError saying what is allowed."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InputError(
            f"User name {name!r} is not allowed; use 1-64 letters, digits, spaces or . @ + - _ "
            "starting with a letter or digit."
        )
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
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether password matches password_hash; a missing or broken hash never matches."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    # verified against when the name is unknown, so a wrong name costs as long as a wrong password
    return _hasher.hash("not a real password")


def add_user(
    repo: Repository, actor: Actor, name: str, role: str, password: str | None = None
) -> bool:
    """Create the user, or set an existing user's role (and password if given); True if created."""
    require(actor, "manage_users")
    name, role = check_name(name), check_role(role)
    password_hash = hash_password(password) if password is not None else None
    with repo.db.transaction() as cur:
        return repo.upsert_annotator(cur, name, role, password_hash)


def list_users(repo: Repository) -> pd.DataFrame:
    """name, role, has_password, created_at of every user, by name (no hashes)."""
    return repo.annotators()


def lookup(repo: Repository, name: str) -> Actor | None:
    """The user named name with the role the database holds now, or None."""
    row = repo.annotator(name)
    return Actor(row["name"], row["role"]) if row else None


def sign_in_local(repo: Repository, name: str) -> Actor:
    """HONEYBEE_AUTH=none: an existing name keeps its role; a new name becomes a reviewer,
    except the first person on a database without an admin, who owns it (local use: the one
    running `make run` can launch jobs and runs; `honeybee users add` changes roles)."""
    name = check_name(name)
    existing = lookup(repo, name)
    if existing is not None:
        return existing
    users = repo.annotators()
    role = "reviewer" if (users["role"] == "admin").any() else "admin"
    with repo.db.transaction() as cur:
        repo.ensure_annotators(cur, [name], role)
    return lookup(repo, name) or Actor(name, role)


def sign_in_password(repo: Repository, name: str, password: str) -> Actor:
    """HONEYBEE_AUTH=password: the account if the password matches, else PermissionDeniedError."""
    row = repo.annotator((name or "").strip())
    if not verify_password(row["password_hash"] if row else None, password or ""):
        # one message for both cases, so the form does not reveal which names exist
        raise PermissionDeniedError(
            "Unknown name or wrong password; try again, or ask an admin to run "
            "`honeybee users add NAME --password-stdin`."
        )
    return Actor(row["name"], row["role"])


def sign_in(repo: Repository, mode: str, name: str, password: str | None = None) -> Actor:
    """Sign in under the configured HONEYBEE_AUTH mode ("none" or "password")."""
    if mode == "none":
        return sign_in_local(repo, name)
    if mode == "password":
        return sign_in_password(repo, name, password or "")
    raise InputError(f"HONEYBEE_AUTH={mode!r} is unknown; use none or password.")


def get_user(repo: Repository, name: str) -> Actor:
    """The user named name, or NotFoundError."""
    actor = lookup(repo, name)
    if actor is None:
        raise NotFoundError(f"No user named {name!r}; add one with `honeybee users add {name}`.")
    return actor
