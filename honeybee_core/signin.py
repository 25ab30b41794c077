"""Signing in, per HONEYBEE_AUTH mode.

- none (local use): pick or type a name; an existing name keeps its role, a new one becomes a
  reviewer, except the first person on a database without an admin, who owns it.
- password: the account's argon2 password, with a growing delay after repeated failures
  (`throttle`).
- oidc: the institution's OpenID Connect provider vouches for the person (Streamlit's st.login);
  `sign_in_sso` maps the identity claims to a person here: a linked subject, else the email an
  admin entered on the People page, else (first admin by HONEYBEE_ADMIN, or new reviewers when
  HONEYBEE_OIDC_NEW_PEOPLE=reviewer) a new person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from honeybee_core import people, throttle
from honeybee_core.auth import Actor, check_name, lookup, utcnow, verify_password
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import InputError, PermissionDeniedError
from honeybee_core.store import Repository

MODES = ("none", "password", "oidc")


def sign_in_local(repo: Repository, name: str) -> Actor:
    """HONEYBEE_AUTH=none: an existing name keeps its role; a new name becomes a reviewer,
    except the first person on a database without an admin, who owns it (local use: the one
    running `make run` can launch jobs and runs)."""
    name = check_name(name)
    row = repo.person(name)
    if row is not None:
        if not row["active"]:
            raise PermissionDeniedError(f"{name} is deactivated; an admin can reactivate them "
                                        "on the People page.")
        return Actor(row["name"], row["role"], repo)
    return people.create_on_sign_in(repo, name, how="local")


def sign_in_password(repo: Repository, name: str, password: str, address: str | None = None,
                     now: datetime | None = None) -> Actor:
    """HONEYBEE_AUTH=password: the account if the password matches, else PermissionDeniedError;
    repeated failures per name and per address must wait longer and longer."""
    now = now or utcnow()
    name = (name or "").strip()
    throttle.check(repo, name, address, now)
    row = repo.person(name) if name else None
    ok = verify_password(row["password_hash"] if row else None, password or "")
    if row is None or not ok or not row["active"]:
        throttle.failed(repo, name, address, now)
        # one message for every case, so the form does not reveal which names exist
        raise PermissionDeniedError(
            "Unknown name or wrong password; try again, or ask an admin to reset your password "
            "on the People page."
        )
    throttle.succeeded(repo, name, now)
    return Actor(row["name"], row["role"], repo)


def sign_in(repo: Repository, mode: str, name: str, password: str | None = None,
            address: str | None = None, now: datetime | None = None) -> Actor:
    """Sign in under HONEYBEE_AUTH mode "none" or "password" (oidc goes through sign_in_sso)."""
    if mode == "none":
        return sign_in_local(repo, name)
    if mode == "password":
        return sign_in_password(repo, name, password or "", address, now)
    raise InputError(f"HONEYBEE_AUTH={mode!r} does not sign in with a name; use none or password "
                     "(oidc signs in through the provider).")


# -- single sign-on -------------------------------------------------------------------------------
def sso_fresh(claims: Mapping[str, Any], lifetime: timedelta, now: datetime | None = None) -> bool:
    """Whether the provider's sign-in (the ID token's auth_time, else iat) is within lifetime;
    an older one must sign in at the provider again."""
    when = claims.get("auth_time") or claims.get("iat")
    if not isinstance(when, int | float) or isinstance(when, bool):
        return False
    return (now or utcnow()) - _utc_from_epoch(when) <= lifetime


def _utc_from_epoch(seconds: float) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=float(seconds))


def _display_name(claims: Mapping[str, Any]) -> str:
    for key in ("name", "preferred_username", "email", "sub"):
        value = str(claims.get(key) or "").strip()
        if key == "email":
            value = value.split("@")[0]
        value = re.sub(r"[^\w .@+-]", "", value)[:64].strip()
        if value and re.match(r"^\w", value):
            return value
    return "person"


def sign_in_sso(repo: Repository, claims: Mapping[str, Any],
                settings: Settings | None = None) -> Actor:
    """The person the provider's identity claims (sub, iss, email, name) belong to here."""
    settings = settings or get_settings()
    sub = str(claims.get("sub") or "").strip()
    if not sub:
        raise PermissionDeniedError("The sign-in provider sent no subject ('sub'); check the "
                                    "[auth] section of .streamlit/secrets.toml.")
    subject = f"{claims.get('iss') or ''}|{sub}"
    email = str(claims.get("email") or "").strip().lower() or None
    if claims.get("email_verified") is False:
        email = None  # an unverified address proves nothing
    row = repo.person_by_subject(subject)
    if row is None and email:
        row = repo.person_by_email(email)
        if row is not None and row["sso_subject"] and row["sso_subject"] != subject:
            raise PermissionDeniedError(
                f"{email} is linked to another account at the provider; ask an admin to check "
                f"{row['name']} on the People page.")
        if row is not None:
            with repo.db.transaction() as cur:
                repo.set_person_subject(cur, row["name"], subject)
                repo.add_people_audit(cur, utcnow(), "sso", row["name"], "link_sso",
                                      f"signed in by single sign-on as {email}")
    if row is None:
        return _new_sso_person(repo, settings, sub, subject, email, claims)
    if not row["active"]:
        raise PermissionDeniedError(f"{row['name']} is deactivated; ask an admin to reactivate "
                                    "you on the People page.")
    return lookup(repo, row["name"]) or Actor(row["name"], row["role"], repo)


def _new_sso_person(repo: Repository, settings: Settings, sub: str, subject: str,
                    email: str | None, claims: Mapping[str, Any]) -> Actor:
    bootstrap = (settings.admin or "").strip().lower()
    is_bootstrap = bool(bootstrap) and bootstrap in {email, sub.lower()}
    let_in = settings.oidc_new_people == "reviewer"
    if not is_bootstrap and not let_in:
        raise PermissionDeniedError(
            f"{email or sub} has no account in HoneyBee Studio yet; ask an admin to add you "
            "with this email on the People page.")
    # HONEYBEE_ADMIN names the first admin only: once there is one, it opens no door by itself
    return people.create_on_sign_in(
        repo, _display_name(claims), how="single sign-on", email=email,
        sso_subject=subject, admin_if_none=is_bootstrap, only_as_admin=not let_in)
