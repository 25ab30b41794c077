"""Identity in the core: roles read from the database, people changes with an audit, sessions,
sign-in throttling, the atomic first-admin rule and single sign-on mapping."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from honeybee_core import auth, people, review, sessions, signin, throttle
from honeybee_core.config import load_settings
from honeybee_core.errors import InputError, PermissionDeniedError
from tests.conftest import run_cli
from tests.review_seed import add_user, seed

T0 = datetime(2026, 1, 5, 9, 0, 0)
HOUR = timedelta(hours=1)


def audit(repo) -> list[tuple]:
    return [(r.actor, r.person, r.action) for r in people.audit_log(repo).itertuples()][::-1]


# -- require() --------------------------------------------------------------------------------
def test_require_reads_the_role_from_the_database(repo):
    add_user(repo, "rita", "reviewer")
    with pytest.raises(PermissionDeniedError, match="not looked up"):
        auth.require(auth.Actor("rita", "admin"), "manage_users")  # hand-built, claims admin
    with pytest.raises(PermissionDeniedError, match="rita is a reviewer"):
        auth.require(auth.Actor("rita", "admin", repo), "manage_users")  # bound, still claims
    with pytest.raises(PermissionDeniedError, match="no active account"):
        auth.require(auth.Actor("ghost", "admin", repo), "rate")
    rita = auth.lookup(repo, "rita")
    assert auth.require(rita, "rate").role == "reviewer"
    people.set_role(repo, auth.CLI_ACTOR, "rita", "curator")
    assert auth.require(rita, "launch_run").role == "curator"  # promoted: allowed at once
    people.set_role(repo, auth.CLI_ACTOR, "rita", "reviewer")
    with pytest.raises(PermissionDeniedError, match="rita is a reviewer"):
        auth.require(rita, "launch_run")  # the Actor still says curator; the database does not
    people.set_active(repo, auth.CLI_ACTOR, "rita", False)
    with pytest.raises(PermissionDeniedError, match="no active account"):
        auth.require(rita, "rate")
    assert auth.require(auth.CLI_ACTOR, "manage_users") is auth.CLI_ACTOR
    with pytest.raises(PermissionDeniedError):  # an equal Actor built elsewhere is not the CLI
        auth.require(auth.Actor("cli", "admin"), "manage_users")


def test_a_hand_built_admin_cannot_write_through_the_core(repo):
    items, _ = seed(repo, 4)
    add_user(repo, "rita", "reviewer")
    forged = auth.Actor("rita", "admin", repo)
    with pytest.raises(PermissionDeniedError):
        review.decide(repo, forged, items["id"][0], "approve")
    with pytest.raises(PermissionDeniedError):
        people.add_person(repo, forged, "mallory", "admin")
    assert repo.person("mallory") is None
    assert repo.db.cursor().execute("SELECT count(*) FROM decisions").fetchall()[0][0] == 0


# -- people -----------------------------------------------------------------------------------
def test_every_people_change_is_recorded_and_enforced(repo):
    items, _ = seed(repo, 3)
    boss = add_user(repo, "boss", "admin")
    cora = people.add_person(repo, boss, "cora", "reviewer", "cora-password", "Cora@Lab.org")
    assert (cora.name, cora.role, repo.person("cora")["email"]) == ("cora", "reviewer",
                                                                   "cora@lab.org")
    review.save_rating(repo, auth.lookup(repo, "cora"), items["id"][0],
                       review.Rating(80, 80, 80, 80, "approve"))
    assert people.set_role(repo, boss, "cora", "curator") is True
    assert people.set_role(repo, boss, "cora", "curator") is False  # no change, no record
    people.reset_password(repo, boss, "cora", "a new password")
    people.set_email(repo, boss, "cora", "cora@other.org")
    assert people.set_active(repo, boss, "cora", False) is True
    with pytest.raises(PermissionDeniedError, match="Unknown name or wrong password"):
        signin.sign_in(repo, "password", "cora", "a new password")
    # ratings stay, attributed to the deactivated person
    assert repo.item_ratings(items["id"][0])["annotator"].tolist() == ["cora"]
    people.set_active(repo, boss, "cora", True)
    assert signin.sign_in(repo, "password", "cora", "a new password").role == "curator"
    assert audit(repo)[-7:] == [
        ("cli", "boss", "add"), ("boss", "cora", "add"), ("boss", "cora", "role"),
        ("boss", "cora", "reset_password"), ("boss", "cora", "email"),
        ("boss", "cora", "deactivate"), ("boss", "cora", "activate")]
    log = people.audit_log(repo)
    assert log["at"].notna().all() and "a new password" not in log.to_string()
    assert "reviewer -> curator" in log["detail"].tolist()
    with pytest.raises(InputError, match="already taken"):
        people.add_person(repo, boss, "Cora", "reviewer")
    with pytest.raises(InputError, match="belongs to someone else"):
        people.add_person(repo, boss, "dora", "reviewer", email="cora@other.org")
    with pytest.raises(InputError, match="reserved"):
        people.add_person(repo, boss, "cli", "admin")


@pytest.mark.parametrize("role", ["reviewer", "curator"])
def test_only_admins_manage_people(repo, role):
    add_user(repo, "boss", "admin")
    someone = add_user(repo, "someone", role)
    for change in (lambda: people.add_person(repo, someone, "eve", "admin"),
                   lambda: people.set_role(repo, someone, "someone", "admin"),
                   lambda: people.reset_password(repo, someone, "boss", "hijacked-password"),
                   lambda: people.set_email(repo, someone, "boss", "eve@evil.org"),
                   lambda: people.set_active(repo, someone, "boss", False)):
        with pytest.raises(PermissionDeniedError, match=f"someone is a {role}"):
            change()
    assert repo.person("someone")["role"] == role and repo.person("boss")["active"]
    assert [a for a in audit(repo) if a[0] == "someone"] == []


def test_the_last_admin_stays(repo):
    boss = add_user(repo, "boss", "admin")
    with pytest.raises(InputError, match="last active admin"):
        people.set_role(repo, boss, "boss", "curator")
    with pytest.raises(InputError, match="last active admin"):
        people.set_active(repo, boss, "boss", False)
    add_user(repo, "second", "admin")
    assert people.set_active(repo, boss, "boss", False) is True


# -- the first admin, however many arrive at once ---------------------------------------------
def test_ten_simultaneous_first_sign_ins_make_exactly_one_admin(repo):
    barrier = threading.Barrier(10)
    results, errors = [], []

    def arrive(i: int) -> None:
        barrier.wait()
        try:
            results.append(signin.sign_in(repo, "none", f"person{i}"))
        except Exception as exc:  # noqa: BLE001 - a thread's failure is reported by the assert
            errors.append(exc)

    threads = [threading.Thread(target=arrive, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(a.role for a in results) == ["admin"] + ["reviewer"] * 9
    roles = repo.db.cursor().execute("SELECT role, count(*) FROM annotators GROUP BY role"
                                     " ORDER BY role").fetchall()
    assert roles == [("admin", 1), ("reviewer", 9)]


# -- sessions ---------------------------------------------------------------------------------
def test_sessions_last_until_expiry_or_sign_out(repo):
    erin = add_user(repo, "erin", "reviewer")
    code = sessions.start(repo, erin, "password", 12 * HOUR, now=T0)
    assert sessions.redeem(repo, code, now=T0 + timedelta(seconds=61)) is None  # code too old
    code = sessions.start(repo, erin, "password", 12 * HOUR, now=T0)
    token = sessions.redeem(repo, code, now=T0 + timedelta(seconds=5))
    assert token and sessions.redeem(repo, code, now=T0 + timedelta(seconds=6)) is None  # once
    stored = json.dumps(repo.db.cursor().execute("SELECT * FROM sessions").fetchall(),
                        default=str)
    assert token not in stored and code not in stored  # only hashes at rest
    assert sessions.resume(repo, token, now=T0 + 11 * HOUR) == auth.Actor("erin", "reviewer")
    assert sessions.resume(repo, token, now=T0 + 12 * HOUR) is None  # the lifetime passed
    assert sessions.resume(repo, "not-a-token", now=T0) is None
    people.set_role(repo, auth.CLI_ACTOR, "erin", "curator")
    assert sessions.resume(repo, token, now=T0 + HOUR).role == "curator"  # role read now
    assert sessions.end(repo, token, now=T0 + HOUR) is True
    assert sessions.resume(repo, token, now=T0 + HOUR) is None
    assert sessions.end(repo, token, now=T0 + HOUR) is False


def test_the_local_sign_in_form_offers_only_active_people(repo):
    boss = add_user(repo, "boss", "admin")
    people.add_person(repo, boss, "cora", "reviewer")
    people.add_person(repo, boss, "Abe", "reviewer")
    people.set_active(repo, boss, "cora", False)
    assert auth.active_names(repo) == ["Abe", "boss"]


def test_deactivating_or_a_new_password_ends_sessions(repo):
    erin = add_user(repo, "erin", "reviewer", "erin-password")
    tokens = [sessions.redeem(repo, sessions.start(repo, erin, "password", HOUR))
              for _ in range(2)]
    people.reset_password(repo, auth.CLI_ACTOR, "erin", "another-password")
    assert [sessions.resume(repo, t) for t in tokens] == [None, None]
    token = sessions.redeem(repo, sessions.start(repo, erin, "password", HOUR))
    assert sessions.resume(repo, token) is not None
    people.set_active(repo, auth.CLI_ACTOR, "erin", False)
    assert sessions.resume(repo, token) is None


# -- throttling -------------------------------------------------------------------------------
def test_repeated_failures_per_name_wait_longer_and_longer(repo):
    add_user(repo, "erin", "reviewer", "erin-password")

    def attempt(password: str, at: datetime) -> auth.Actor:
        return signin.sign_in(repo, "password", "erin", password, address="10.0.0.1", now=at)

    def at(seconds: int) -> datetime:
        return T0 + timedelta(seconds=seconds)

    for _ in range(3):  # the first three failures cost nothing
        with pytest.raises(PermissionDeniedError, match="Unknown name"):
            attempt("wrong", at(0))
    with pytest.raises(PermissionDeniedError, match="wait 2 s"):
        attempt("erin-password", at(0))  # refused unchecked, even with the right password
    with pytest.raises(PermissionDeniedError, match="Unknown name"):
        attempt("wrong", at(2))
    with pytest.raises(PermissionDeniedError, match="wait 4 s"):
        attempt("wrong", at(2))
    with pytest.raises(PermissionDeniedError, match="Unknown name"):
        attempt("wrong", at(6))
    with pytest.raises(PermissionDeniedError, match="wait 8 s"):
        attempt("erin-password", at(6))
    assert attempt("erin-password", at(14)).name == "erin"
    # success forgets the name's failures: the next typo is free again
    with pytest.raises(PermissionDeniedError, match="Unknown name"):
        attempt("wrong", at(15))
    assert attempt("erin-password", at(15)).name == "erin"
    assert [throttle.delay_after(n, "name") for n in (2, 3, 4, 5, 40)] == [0, 2, 4, 8, 300]
    assert "2 s, then 4 s" in throttle.policy_sentence()


def test_failures_from_one_address_throttle_every_name(repo):
    add_user(repo, "erin", "reviewer", "erin-password")
    for i in range(10):  # one guess at each of ten names, from one address
        with pytest.raises(PermissionDeniedError, match="Unknown name"):
            signin.sign_in(repo, "password", f"user{i}", "guess", address="10.0.0.9",
                           now=T0 + timedelta(seconds=i))
    with pytest.raises(PermissionDeniedError, match="from your address"):
        signin.sign_in(repo, "password", "erin", "erin-password", address="10.0.0.9",
                       now=T0 + timedelta(seconds=10))
    # another address is not held up, and the wait ends
    assert signin.sign_in(repo, "password", "erin", "erin-password", address="10.0.0.10",
                          now=T0 + timedelta(seconds=10)).name == "erin"
    assert signin.sign_in(repo, "password", "erin", "erin-password", address="10.0.0.9",
                          now=T0 + timedelta(seconds=12)).name == "erin"


# -- single sign-on ---------------------------------------------------------------------------
ISS = "http://idp.test"


def claims(sub: str, email: str | None = None, name: str = "Ada Lovelace", **more) -> dict:
    return {"iss": ISS, "sub": sub, "email": email, "name": name, **more}


def test_single_sign_on_maps_people_by_email_then_subject(repo):
    settings = load_settings(auth="oidc", admin="ada@lab.org")
    with pytest.raises(PermissionDeniedError, match="no account in HoneyBee Studio yet"):
        signin.sign_in_sso(repo, claims("x1", "stranger@lab.org", "Stranger"), settings)
    ada = signin.sign_in_sso(repo, claims("ada-sub", "Ada@Lab.org"), settings)
    assert (ada.name, ada.role) == ("Ada Lovelace", "admin")  # HONEYBEE_ADMIN, no admin yet
    people.add_person(repo, ada, "Grace", "curator", email="grace@lab.org")
    grace = signin.sign_in_sso(repo, claims("g-sub", "grace@lab.org", "Grace Hopper"), settings)
    assert (grace.name, grace.role) == ("Grace", "curator")  # the account the admin made
    assert repo.person("Grace")["sso_subject"] == f"{ISS}|g-sub"
    # linked now: the subject finds her even after the provider changes her email
    assert signin.sign_in_sso(repo, claims("g-sub", "gh@lab.org"), settings).name == "Grace"
    with pytest.raises(PermissionDeniedError, match="linked to another account"):
        signin.sign_in_sso(repo, claims("other-sub", "grace@lab.org"), settings)
    with pytest.raises(PermissionDeniedError, match="no account"):  # unverified email: no match
        signin.sign_in_sso(repo, claims("z", "grace@lab.org", email_verified=False), settings)
    # HONEYBEE_ADMIN names only the first admin: with one there, it opens no door
    repo.db.cursor().execute("UPDATE annotators SET email = NULL, sso_subject = NULL"
                             " WHERE name = 'Ada Lovelace'").fetchall()
    with pytest.raises(PermissionDeniedError, match="has an admin already"):
        signin.sign_in_sso(repo, claims("ada-2", "ada@lab.org"), settings)
    people.set_active(repo, ada, "Grace", False)
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        signin.sign_in_sso(repo, claims("g-sub", "gh@lab.org"), settings)
    open_door = load_settings(auth="oidc", oidc_new_people="reviewer")
    twin = signin.sign_in_sso(repo, claims("ada-3", "ada3@lab.org"), open_door)
    assert (twin.name, twin.role) == ("Ada Lovelace 2", "reviewer")  # a namesake is someone else
    with pytest.raises(PermissionDeniedError, match="no subject"):
        signin.sign_in_sso(repo, {"email": "a@b.org"}, open_door)


def test_a_provider_sign_in_older_than_the_lifetime_is_not_reused():
    iat = (T0 - datetime(1970, 1, 1)).total_seconds()
    assert signin.sso_fresh({"iat": iat}, 12 * HOUR, now=T0 + 11 * HOUR)
    assert not signin.sso_fresh({"iat": iat}, 12 * HOUR, now=T0 + 13 * HOUR)
    assert signin.sso_fresh({"iat": 0, "auth_time": iat}, 12 * HOUR, now=T0 + HOUR)
    assert not signin.sso_fresh({}, 12 * HOUR, now=T0)


# -- the command line -------------------------------------------------------------------------
def test_cli_manages_people_with_an_audit(db_path):
    def cli(*args, stdin=None):
        done = run_cli("users", *args, db=db_path, stdin=stdin)
        return done.returncode, done.stdout, done.stderr

    assert cli("add", "boss", "--role", "admin")[0] == 0
    code, out, _ = cli("add", "cora", "--email", "cora@lab.org", "--password-stdin", "--json",
                       stdin="cora-password\n")
    assert code == 0 and json.loads(out)["created"] is True and "cora-password" not in out
    assert json.loads(cli("role", "cora", "curator", "--json")[1])["changed"] is True
    assert cli("reset-password", "cora", "--password-stdin", stdin="next-password\n")[0] == 0
    code, _, err = cli("reset-password", "cora")
    assert code == 1 and "--password-stdin" in err and "Traceback" not in err
    assert "cora is deactivated" in cli("deactivate", "cora")[1]
    listed = {u["name"]: u for u in json.loads(cli("list", "--json")[1])["users"]}
    assert listed["cora"]["role"] == "curator" and listed["cora"]["active"] is False
    assert listed["cora"]["email"] == "cora@lab.org" and listed["cora"]["has_password"]
    code, _, err = cli("deactivate", "boss")
    assert code == 1 and "last active admin" in err
    code, _, err = cli("role", "nobody", "admin")
    assert code == 1 and "No person named 'nobody'" in err
    changes = json.loads(cli("audit", "--person", "cora", "--json")[1])["changes"]
    assert [c["action"] for c in changes] == ["deactivate", "reset_password", "role", "add"]
    assert {c["actor"] for c in changes} == {"cli"}
