"""The role walk: every public core function that writes refuses whoever may not do it, and writes
nothing when it refuses.

Write paths are found, not listed by hand: `auth.writes` marks each one, and a scan of the core's
source finds every public function that reaches a database write (a store method whose SQL
writes, or a transaction), directly or through other core functions. A writer that is neither
marked nor exempted below (with the reason) fails the first test; a marked function this walk
does not call fails the second. Each marked function is then called, with arguments that would do
real work, by a signed-in reviewer (a curator too where it needs an admin), by a reviewer whose
Actor claims admin, by a hand-built Actor naming a real admin, by an admin of another database
file, by a deactivated admin and by nobody: each gets PermissionDeniedError from `require`, and
no table row and no file under the test's folder changes.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import honeybee_core
from honeybee_core import (
    auth,
    curation,
    demo,
    explore,
    guidelines,
    loop,
    people,
    review,
    run_report,
    training_runs,
    transfer,
)
from honeybee_core.auth import CLI_ACTOR, Actor
from honeybee_core.config import Settings, get_settings, load_settings
from honeybee_core.domain import ExploreQuery
from honeybee_core.errors import PermissionDeniedError
from honeybee_core.matsci_nlp import answering
from honeybee_core.matsci_nlp import run as matsci_run
from honeybee_core.matsci_nlp.splits import SplitSpec
from honeybee_core.pipeline import engine, evaluation_job, feedback, heldout, jobs, students
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.rating_owners import write_ratings
from honeybee_core.store import Repository, open_database
from honeybee_core.store.base import quote_identifier
from tests.conftest import triples, write_jsonl

CORE = Path(honeybee_core.__file__).parent
MATSCI_DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"

# Public functions that write without an actor, and why that is right.
EXEMPT_MODULES = {
    "honeybee_core.cli.common": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.curation": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.data": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.evaluate": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.jobs": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.matsci": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.train": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.users": "the command line runs every write as auth.CLI_ACTOR",
    "honeybee_core.cli.guideline": "the command line runs every write as auth.CLI_ACTOR",
}
_SIGN_IN = "signing in: nobody is signed in yet"
_OPENED = "works on a job open_job opened after its check"
EXEMPT = {
    "honeybee_core.auth.sign_in": _SIGN_IN,
    "honeybee_core.signin.sign_in": _SIGN_IN,
    "honeybee_core.signin.sign_in_local": _SIGN_IN,
    "honeybee_core.signin.sign_in_password": _SIGN_IN,
    "honeybee_core.signin.sign_in_sso": _SIGN_IN,
    "honeybee_core.people.create_on_sign_in": _SIGN_IN + " (first admin, single sign-on)",
    "honeybee_core.throttle.failed": _SIGN_IN + " (failures are counted before anyone is)",
    "honeybee_core.throttle.succeeded": _SIGN_IN + " (a success clears the failures)",
    "honeybee_core.sessions.start": "the browser session of a person who just signed in",
    "honeybee_core.sessions.redeem": "a browser session's own one-time code",
    "honeybee_core.sessions.end": "a browser session's own sign-out",
    "honeybee_core.pipeline.engine.run_requests": _OPENED,
    "honeybee_core.pipeline.engine.llm_client": _OPENED,
    "honeybee_core.pipeline.calllog.JobCallLog.record": _OPENED,
    "honeybee_core.pipeline.jobs.store_items": "inserts in the transaction of a job's handler",
    "honeybee_core.pipeline.spool.fold_spools": "answers already paid for, folded in by open_job",
    "honeybee_core.guidelines.ensure_stored": "stores the shipped default as version 1, called "
    "by a rating or a guideline edit after its role check",
}


# -- finding the write paths ------------------------------------------------------------------
_SQL_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b")
STORE_WRITES = frozenset({"transaction"} | {
    name for name, fn in inspect.getmembers(Repository, inspect.isfunction)
    if _SQL_WRITE.search(inspect.getsource(fn))})
_DEF = (ast.FunctionDef, ast.AsyncFunctionDef)


def _core_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith("honeybee_core.store"):  # the store is below the check
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module, modules: set[str]) -> dict[str, str]:
    """Local name -> "mod" (a core module) or "mod.name" (something a core module defines)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
    return {k: v for k, v in names.items() if v in modules or v.rpartition(".")[0] in modules}


def scan_core() -> tuple[set[str], set[str]]:
    """(public functions that write to the database, functions marked @writes), by qualified
    name, from the core's source."""
    trees = dict(_core_modules())
    modules = set(trees)
    calls: dict[str, set[str]] = {}
    imported: dict[str, dict[str, str]] = {}
    marked: set[str] = set()
    for mod, tree in trees.items():
        names = imported[mod] = _imports(tree, modules)
        top = {n.name for n in tree.body if isinstance(n, (*_DEF, ast.ClassDef))}
        units = [(n.name, None, n) for n in tree.body if isinstance(n, _DEF)]
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            methods = [m for m in cls.body if isinstance(m, _DEF)]
            calls[f"{mod}.{cls.name}"] = {f"{mod}.{cls.name}.{m.name}" for m in methods}
            units += [(f"{cls.name}.{m.name}", cls.name, m) for m in methods]
        for qual, cls_name, node in units:
            key = f"{mod}.{qual}"
            if any("writes" in ast.unparse(d) for d in node.decorator_list):
                marked.add(key)
            found = calls[key] = set()
            for call in (c for c in ast.walk(node) if isinstance(c, ast.Call)):
                func = call.func
                if isinstance(func, ast.Name):
                    found.add(f"{mod}.{func.id}" if func.id in top else names.get(func.id, ""))
                elif isinstance(func, ast.Attribute):
                    owner = func.value.id if isinstance(func.value, ast.Name) else None
                    if owner in names and names[owner] in modules:
                        found.add(f"{names[owner]}.{func.attr}")
                    elif owner == "self" and cls_name:
                        found.add(f"{mod}.{cls_name}.{func.attr}")
                    elif func.attr in STORE_WRITES:
                        found.add("store")

    def resolve(key: str) -> str:
        for _ in range(5):  # a name one module re-exports from another
            mod, _, name = key.rpartition(".")
            if key in calls or mod not in imported or name not in imported[mod]:
                return key
            key = imported[mod][name]
        return key

    edges = {k: {resolve(c) for c in v} for k, v in calls.items()}
    writers = {"store"}
    while more := {k for k, v in edges.items() if k not in writers and v & writers}:
        writers |= more
    return {k for k in writers - {"store"} if _is_public_function(k, trees)}, marked


def _is_public_function(key: str, trees: dict[str, ast.Module]) -> bool:
    for mod, tree in trees.items():
        if not key.startswith(mod + "."):
            continue
        path = key[len(mod) + 1:].split(".")
        nodes: list[Any] = tree.body
        for part in path:
            node = next((n for n in nodes if getattr(n, "name", None) == part), None)
            if node is None or part.startswith("_"):
                break
            nodes = getattr(node, "body", [])
        else:
            return isinstance(node, _DEF)
    return False


def test_every_public_write_path_is_marked_or_exempt_with_a_reason():
    writers, marked = scan_core()
    unmarked = {w for w in writers - marked if w.rpartition(".")[0] not in EXEMPT_MODULES}
    assert unmarked - set(EXEMPT) == set(), (
        "these core functions write but are not marked @auth.writes(action); take a required "
        "actor, call require(actor, action, repo) first, and mark them")
    assert set(EXEMPT) - unmarked == set(), "stale exemptions: they no longer write, or are marked"
    assert marked == set(auth.WRITES) == set(CALLS), "every marked function is walked below"
    for name, actions in auth.WRITES.items():
        assert actions and all(a in auth.ACTIONS for a in actions), name


# -- the world the walk runs in -----------------------------------------------------------------
@dataclass
class World:
    repo: Repository
    settings: Settings
    root: Path
    item_ids: list[str]
    snapshot_id: str
    run_id: str
    run_dir: Path
    items_file: Path
    ratings_file: Path
    actors: dict[str, Actor | None]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("walk")
    settings = load_settings(db=root / "walk.duckdb", runs_dir=root / "runs",
                             matsci_dir=root / "matsci")
    patch = pytest.MonkeyPatch()
    for key, value in (("DB", settings.db), ("RUNS_DIR", settings.runs_dir),
                       ("MATSCI_DIR", settings.matsci_dir)):
        patch.setenv(f"HONEYBEE_{key}", str(value))
    get_settings.cache_clear()
    database, other = open_database(settings.db), open_database(root / "other.duckdb")
    repo = Repository(database)
    jobs.run_generate(repo, GenerateParams(n=12, per_call=4, seed=5), actor=CLI_ACTOR,
                      settings=settings)
    jobs.run_verify(repo, jobs.VerifyParams(), actor=CLI_ACTOR, settings=settings)
    for name, role in (("rita", "reviewer"), ("cora", "curator"), ("ada", "admin"),
                       ("dora", "admin")):
        auth.add_user(repo, CLI_ACTOR, name, role)
    dora = auth.get_user(repo, "dora")  # signed in, then deactivated
    people.set_active(repo, CLI_ACTOR, "dora", False)
    auth.add_user(Repository(other), CLI_ACTOR, "rita", "admin")
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=0", name="walk"),
                                    CLI_ACTOR, settings)
    run_dir = root / "runs" / "run-walk"
    run_dir.mkdir(parents=True)
    repo.insert_run({"id": "run-walk", "snapshot_id": snap["id"], "stage": 1, "base_model": "tiny",
                     "config": "{}", "out_dir": str(run_dir), "status": "running"})
    ids = sorted(repo.select_items("all", None)["id"])
    (root / "in").mkdir()
    ratings = write_jsonl(root / "in" / "ratings.jsonl", [
        {"instruction_id": i, "annotator": "zed", "accuracy": 1, "relevance": 1,
         "completeness": 1, "reasonableness": 1, "verdict": "reject"} for i in ids[:3]])
    yield World(
        repo, settings, root, ids, snap["id"], "run-walk", run_dir,
        write_jsonl(root / "in" / "items.jsonl", triples(3, "walk")), ratings,
        {"reviewer": auth.get_user(repo, "rita"), "curator": auth.get_user(repo, "cora"),
         "claims admin": Actor("rita", "admin", repo), "hand-built": Actor("ada", "admin"),
         "other database": auth.get_user(Repository(other), "rita"), "deactivated": dora,
         "nobody": None})
    database.close()
    other.close()
    patch.undo()
    get_settings.cache_clear()


def _evaluate_params(**kw: Any) -> evaluation_job.EvaluateParams:
    return evaluation_job.EvaluateParams(n=3, **kw)


def _matsci_params() -> matsci_run.RunParams:
    return matsci_run.RunParams(model="tiny", data_dir=MATSCI_DATA, tasks=("pc",), finetune=True,
                                split=SplitSpec("low-resource", 0.5, 0), max_new_tokens=2)


def _rating_frame(w: World) -> pd.DataFrame:
    return pd.DataFrame([{"instruction_id": w.item_ids[0], "annotator": "rita", "accuracy": 1.0,
                          "relevance": 1.0, "completeness": 1.0, "reasonableness": 1.0,
                          "verdict": "reject", "comment": None, "blind": True, "_number": 1}])


# Each marked function, called as a person who may would: real ids, files and parameters.
CALLS: dict[str, Callable[[World, Actor | None], object]] = {
    "honeybee_core.auth.add_user": lambda w, a: auth.add_user(w.repo, a, "mallory", "admin"),
    "honeybee_core.curation.create_snapshot": lambda w, a: curation.create_snapshot(
        w.repo, curation.SnapshotSpec("mean>=10", name="mine"), a, w.settings),
    "honeybee_core.demo.seed_demo": lambda w, a: demo.seed_demo(w.repo, w.settings, actor=a),
    "honeybee_core.guidelines.save": lambda w, a: guidelines.save(
        w.repo, a, "# Our rubric\nA 90 is textbook-ready.", note="walk"),
    "honeybee_core.loop.reserve_eval_set": lambda w, a: loop.reserve_eval_set(
        w.repo, _evaluate_params(), actor=a),
    "honeybee_core.loop.run_offline_loop": lambda w, a: loop.run_offline_loop(
        w.repo, w.settings, stages=1, eval_n=3, actor=a),
    "honeybee_core.matsci_nlp.answering.answer_api": lambda w, a: answering.answer_api(
        answering.ModelSpec("api", "openai:gpt-4o-mini", provider="openai", model="gpt-4o-mini"),
        [("Which class?", "A passage.")], w.repo, w.settings, concurrency=1, actor=a),
    "honeybee_core.matsci_nlp.run.finetune": lambda w, a: matsci_run.finetune(
        w.repo, answering.ModelSpec("base", "tiny", base="tiny"), [], w.root / "matsci" / "ft",
        _matsci_params(), w.settings, print, actor=a),
    "honeybee_core.matsci_nlp.run.run_benchmark": lambda w, a: matsci_run.run_benchmark(
        w.repo, _matsci_params(), w.settings, actor=a),
    "honeybee_core.people.add_or_update": lambda w, a: people.add_or_update(
        w.repo, a, "rita", "admin"),
    "honeybee_core.people.add_person": lambda w, a: people.add_person(
        w.repo, a, "mallory", "admin", "a long enough password"),
    "honeybee_core.people.reset_password": lambda w, a: people.reset_password(
        w.repo, a, "ada", "mallory's password"),
    "honeybee_core.people.set_active": lambda w, a: people.set_active(w.repo, a, "ada", False),
    "honeybee_core.people.set_email": lambda w, a: people.set_email(
        w.repo, a, "ada", "mallory@example.org"),
    "honeybee_core.people.set_role": lambda w, a: people.set_role(w.repo, a, "rita", "admin"),
    "honeybee_core.pipeline.engine.open_job": lambda w, a: engine.open_job(
        w.repo, "generate", "{}", a),
    "honeybee_core.pipeline.evaluation_job.eval_set": lambda w, a: evaluation_job.eval_set(
        w.repo, evaluation_job.Target(w.run_id, w.run_dir), _evaluate_params(run=w.run_id),
        actor=a),
    "honeybee_core.pipeline.evaluation_job.run_evaluate": lambda w, a: evaluation_job.run_evaluate(
        w.repo, _evaluate_params(student="reference"), actor=a, settings=w.settings),
    "honeybee_core.pipeline.feedback.run_feedback": lambda w, a: feedback.run_feedback(
        w.repo, feedback.FeedbackParams(run="base"), actor=a, settings=w.settings),
    "honeybee_core.pipeline.heldout.ensure": lambda w, a: heldout.ensure(
        w.repo, 3, 0, 0.0, actor=a),
    "honeybee_core.pipeline.jobs.run_generate": lambda w, a: jobs.run_generate(
        w.repo, GenerateParams(n=4, per_call=2, seed=9), actor=a, settings=w.settings),
    "honeybee_core.pipeline.jobs.run_verify": lambda w, a: jobs.run_verify(
        w.repo, jobs.VerifyParams(model="heuristic-v2"), actor=a, settings=w.settings),
    "honeybee_core.pipeline.students.answers": lambda w, a: students.answers(
        w.repo, students.parse("openai:gpt-4o-mini"), w.repo.items_by_ids(w.item_ids[:2]),
        w.settings, concurrency=1, set_id="walk", actor=a),
    "honeybee_core.rating_owners.write_ratings": lambda w, a: write_ratings(
        w.repo, _rating_frame(w), a, file_name="walk.jsonl", replace=True),
    "honeybee_core.explore.decide_selection": lambda w, a: explore.decide_selection(
        w.repo, a, ExploreQuery(), "reject", expected=len(w.item_ids)),
    "honeybee_core.run_report.board_key": lambda w, a: run_report.board_key(w.repo, a),
    "honeybee_core.review.bulk_apply": lambda w, a: review.bulk_apply(
        w.repo, a, "mean>=0", "reject", undecided_only=False),
    "honeybee_core.review.decide": lambda w, a: review.decide(
        w.repo, a, w.item_ids, "reject", "walk"),
    "honeybee_core.review.save_rating": lambda w, a: review.save_rating(
        w.repo, a, w.item_ids[0], review.Rating(10, 10, 10, 10, "reject")),
    "honeybee_core.training_runs.ingest": lambda w, a: training_runs.ingest(
        w.repo, w.run_id, actor=a),
    "honeybee_core.training_runs.launch_run": lambda w, a: training_runs.launch_run(
        w.repo, w.snapshot_id, a, overrides={"max_steps": 1}, force=True, settings=w.settings),
    "honeybee_core.training_runs.refresh_active": lambda w, a: training_runs.refresh_active(
        w.repo, actor=a),
    "honeybee_core.training_runs.resume_run": lambda w, a: training_runs.resume_run(
        w.repo, w.run_id, a),
    "honeybee_core.training_runs.stop_run": lambda w, a: training_runs.stop_run(
        w.repo, w.run_id, a),
    "honeybee_core.training_runs.wait_for": lambda w, a: training_runs.wait_for(
        w.repo, w.run_id, timeout=1, actor=a),
    "honeybee_core.transfer.exporting.export_items": lambda w, a: transfer.export_items(
        w.repo, w.root / "out" / "all.jsonl", actor=a),
    "honeybee_core.transfer.importing.import_file": lambda w, a: transfer.import_file(
        w.repo, w.items_file, actor=a),
    "honeybee_core.transfer.ratings.import_ratings": lambda w, a: transfer.import_ratings(
        w.repo, w.ratings_file, actor=a, replace=True, create_annotators=True),
}

# who is refused, and the sentence that says why
REFUSALS = {
    "reviewer": "rita is a reviewer and cannot",
    "curator": "cora is a curator and cannot",
    "claims admin": "rita is a reviewer and cannot",
    "hand-built": "'ada' was not looked up in the database",
    "other database": "rita was looked up in .*other.duckdb",
    "deactivated": "dora has no active account here",
    "nobody": "Sign in to",
}


# the role the database holds for those who are signed in here (the rest never pass)
STORED_ROLE = {"reviewer": "reviewer", "curator": "curator", "claims admin": "reviewer"}


def _impostors(actions: tuple[str, ...]) -> list[str]:
    """Everyone the walk sends: all who never pass, and the people signed in here whose stored
    role is below the least role the actions need."""
    least = max(auth.ROLES.index(auth.ACTIONS[a]) for a in actions)
    return [who for who in REFUSALS
            if who not in STORED_ROLE or auth.ROLES.index(STORED_ROLE[who]) < least]


def _state(w: World) -> tuple[dict[str, tuple], dict[str, tuple[int, int]]]:
    """Every table's row count and content hash, and every file under the world's folder."""
    cur = w.repo.db.cursor()
    tables = {name: tuple(cur.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {quote_identifier(name)} t"
    ).fetchall()[0]) for name in w.repo.table_counts()}
    files = {str(p.relative_to(w.root)): (p.stat().st_size, p.stat().st_mtime_ns)
             for p in sorted(w.root.rglob("*")) if p.is_file() and ".duckdb" not in p.name}
    return tables, files


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_write_refuses_whoever_may_not_and_writes_nothing(world: World, name: str):
    actions = auth.WRITES[name]
    walked = _impostors(actions)
    assert "reviewer" in walked or actions == ("rate",)  # a reviewer may only rate
    if auth.ACTIONS[actions[0]] == "admin":
        assert "curator" in walked  # a curator is refused admin actions
    for who in walked:
        before = _state(world)
        with pytest.raises(PermissionDeniedError, match=REFUSALS[who]):
            CALLS[name](world, world.actors[who])
        after = _state(world)
        assert after[0] == before[0], f"{name} as {who}: a table changed"
        assert after[1] == before[1], f"{name} as {who}: files changed"


def test_the_walk_uses_the_roles_the_database_holds(world: World):
    """The impostors are who the walk says: otherwise a refusal could come from elsewhere."""
    assert {k: a.role if a else None for k, a in world.actors.items()} == {
        "reviewer": "reviewer", "curator": "curator", "claims admin": "admin",
        "hand-built": "admin", "other database": "admin", "deactivated": "admin", "nobody": None}
    assert auth.require(world.actors["other database"], "manage_users").role == "admin"
    assert auth.lookup(world.repo, "ada").role == "admin" and world.repo.person("rita")["active"]
    assert auth.require(auth.get_user(world.repo, "cora"), "launch_run", world.repo)
