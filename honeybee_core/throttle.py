"""A growing delay after repeated failed password sign-ins, per name and per address.

The first few failures cost nothing (people mistype); after that each further try must wait
DELAY_S seconds, doubling with every failure up to MAX_DELAY_S. Failures older than WINDOW are
forgotten, and a successful sign-in forgets the name's failures (not the address's: one's own
account must not reset the count for guessing at someone else's). A try during the wait is
refused without checking the password, so the wait cannot be raced.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from honeybee_core.errors import PermissionDeniedError
from honeybee_core.store import Repository

FREE_FAILURES = {"name": 3, "address": 10}
DELAY_S = 2.0
MAX_DELAY_S = 300.0
WINDOW = timedelta(hours=1)
_WHERE = {"name": "for this name", "address": "from your address"}


def policy_sentence() -> str:
    """What the sign-in page tells people about the delay."""
    return (f"After {FREE_FAILURES['name']} failed sign-ins for a name (or "
            f"{FREE_FAILURES['address']} from one address) each further try waits longer: "
            f"{DELAY_S:g} s, then {2 * DELAY_S:g} s, {4 * DELAY_S:g} s, … up to "
            f"{MAX_DELAY_S / 60:g} minutes.")


def delay_after(failures: int, scope: str) -> float:
    """Seconds to wait after the latest of `failures` recent failures."""
    extra = failures - FREE_FAILURES[scope]
    return 0.0 if extra < 0 else min(MAX_DELAY_S, DELAY_S * 2 ** min(extra, 30))


def keys(name: str, address: str | None) -> dict[str, str]:
    """The throttle keys of one attempt: the name (case-folded) and the address, if known."""
    found = {"name": (name or "").strip().casefold()}
    if address:
        found["address"] = address
    return found


def wait_s(repo: Repository, scope: str, key: str, now: datetime) -> float:
    """Seconds this key must still wait before the next try (0 when it may try now)."""
    failures, last = repo.sign_in_failures(scope, key, now - WINDOW)
    if not failures:
        return 0.0
    return max(0.0, (last + timedelta(seconds=delay_after(failures, scope)) - now).total_seconds())


def check(repo: Repository, name: str, address: str | None, now: datetime) -> None:
    """PermissionDeniedError saying how long to wait, if the name or the address must wait."""
    for scope, key in keys(name, address).items():
        left = wait_s(repo, scope, key, now)
        if left > 0:
            raise PermissionDeniedError(
                f"Too many failed sign-ins {_WHERE[scope]}; wait {left:.0f} s and try again "
                f"(each further failure doubles the wait, up to {MAX_DELAY_S / 60:g} minutes)."
            )


def failed(repo: Repository, name: str, address: str | None, now: datetime) -> None:
    """Record one failed try for the name and the address."""
    with repo.db.transaction() as cur:
        for scope, key in keys(name, address).items():
            repo.add_sign_in_failure(cur, scope, key, now)


def succeeded(repo: Repository, name: str, now: datetime) -> None:
    """Forget the name's failures (and everyone's older than the window)."""
    with repo.db.transaction() as cur:
        repo.clear_sign_in_failures(cur, "name", keys(name, None)["name"], now - WINDOW)
