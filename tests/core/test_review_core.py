"""Review core: queue order, ratings, permissions, decisions, bulk rules, explore, sign-in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from honeybee_core import auth, explore, review
from honeybee_core.domain import ExploreQuery
from honeybee_core.errors import InputError, NotFoundError, PermissionDeniedError
from honeybee_core.markup import safe_markdown
from honeybee_core.review import ItemWhere, Rating
from honeybee_core.rules import parse_rule
from honeybee_core.store import Repository, open_database
from tests.conftest import run_cli
from tests.review_seed import add_user, items_frame, seed

DIMS = list(review.DIMENSIONS)


def rating(score: float = 80, verdict: str = "approve", **kw) -> Rating:
    return Rating(score, score, score, score, verdict=verdict, **kw)


def rows(repo, sql: str, params: list | None = None) -> pd.DataFrame:
    return repo.db.cursor().execute(sql, params or []).df()


@pytest.fixture
def seeded(repo):
    items, scores = seed(repo, 120)
    return repo, items, scores


# -- queue ---------------------------------------------------------------------------------------
def test_queue_is_stratified_round_robin_and_deterministic(seeded):
    repo, _, scores = seeded
    alice = add_user(repo, "alice")
    page = review.queue(repo, alice, limit=200)
    assert page.total == 120 and len(page.rows) == 120
    strata = page.rows["stratum"].tolist()
    populated = len(set(strata))
    assert populated == review.N_STRATA + 1  # ten score bands plus the unscored items
    # round-robin: every band appears once before any band appears twice
    assert len(set(strata[:populated])) == populated
    first = page.rows["verifier_mean"].iloc[:populated].dropna()
    means = scores[DIMS].mean(axis=1)
    assert first.max() - first.min() > 0.7 * (means.max() - means.min())
    assert review.queue(repo, alice, limit=200).ids == page.ids
    assert review.queue(repo, add_user(repo, "bob"), limit=200).ids != page.ids


def test_rating_removes_one_item_without_reordering_and_skips_go_last(seeded):
    repo, _, _ = seeded
    alice = add_user(repo, "alice")
    before = review.queue(repo, alice, limit=200).ids
    review.save_rating(repo, alice, before[0], rating())
    review.save_rating(repo, alice, before[1], Rating(None, None, None, None, "skip"))
    after = review.queue(repo, alice, limit=200)
    assert after.ids == [*before[2:], before[1]]
    assert after.rows["skipped"].tolist()[-1] and not after.rows["skipped"].iloc[0]
    assert review.queue(repo, alice, offset=5).ids == [before[7]]
    assert review.queue(repo, alice, offset=500).total == 119
    done = review.progress(repo, alice)
    assert (done.rated, done.remaining, done.total) == (1, 119, 120)


def test_queue_filters(seeded):
    repo, items, scores = seeded
    alice = add_user(repo, "alice")
    where = ItemWhere(stages=(1, 2), topics=("ceramics", "polymers"), task_types=("explain",))
    got = set(review.queue(repo, alice, where, limit=500).ids)
    ref = items[items.stage.isin([1, 2]) & items.topic.isin(["ceramics", "polymers"])
                & (items.task_type == "explain")]
    assert got == set(ref["id"]) and got
    other = scores.assign(verifier="second")[::3]
    with repo.db.transaction() as cur:
        repo.insert_verifier_scores(cur, other)
    assert set(review.queue(repo, alice, ItemWhere(verifier="second"), limit=500).ids) == set(
        other["instruction_id"])
    assert review.filter_options(repo)["verifiers"] == ["offline:v1", "second"]


def test_cached_order_and_summary_follow_new_data(seeded):
    repo, items, _ = seeded
    alice = add_user(repo, "alice")
    assert review.queue(repo, alice).total == 120
    assert explore.explore(repo, ExploreQuery(rated=True)).total == 0
    review.save_rating(repo, alice, items["id"][0], rating())
    assert explore.explore(repo, ExploreQuery(rated=True)).total == 1
    with repo.db.transaction() as cur:  # ten new items join the queue
        repo.insert_items(cur, items_frame(130))
    page = review.queue(repo, alice)
    assert (page.total, page.rated) == (129, 1)


# -- ratings -------------------------------------------------------------------------------------
def test_submit_stores_for_the_actor_and_edit_updates_the_same_row(seeded):
    repo, items, _ = seeded
    alice = add_user(repo, "alice")
    item = items["id"][3]
    assert review.save_rating(repo, alice, item, rating(70, comment=" ok ")) is True
    first = rows(repo, "SELECT * FROM expert_ratings")
    stored = first[["annotator", "verdict", "comment"]].to_numpy().tolist()
    assert stored == [["alice", "approve", "ok"]]
    assert first["blind"].item() and first["accuracy"].item() == 70
    # a comment-only edit after seeing the verifier keeps the rating blind; a score change not
    assert review.save_rating(repo, alice, item, rating(70, comment="fine", blind=False)) is False
    assert rows(repo, "SELECT blind FROM expert_ratings")["blind"].item()
    review.save_rating(repo, alice, item, rating(40, "reject", blind=False))
    edited = rows(repo, "SELECT * FROM expert_ratings")
    assert len(edited) == 1 and edited["accuracy"].item() == 40 and not edited["blind"].item()
    assert edited["created_at"].item() == first["created_at"].item()
    assert edited["updated_at"].item() >= first["updated_at"].item()
    assert review.get_rating(repo, alice, item) == Rating(40, 40, 40, 40, "reject", None, False)
    assert review.my_ratings(repo, alice)["instruction_id"].tolist() == [item]


def test_rating_validation_changes_nothing(seeded):
    repo, items, _ = seeded
    alice = add_user(repo, "alice")
    item = items["id"][0]
    with pytest.raises(InputError, match="accuracy score is missing"):
        review.save_rating(repo, alice, item, Rating(None, 50, 50, 50, "approve"))
    with pytest.raises(InputError, match="0 to 100"):
        review.save_rating(repo, alice, item, rating(101))
    with pytest.raises(InputError, match="Verdict"):
        review.save_rating(repo, alice, item, rating(verdict="maybe"))
    with pytest.raises(NotFoundError):
        review.save_rating(repo, alice, "nope", rating())
    assert rows(repo, "SELECT count(*) AS n FROM expert_ratings")["n"].item() == 0
    review.save_rating(repo, alice, item, rating(90, "skip"))  # a skip stores no scores
    review.save_rating(repo, alice, items["id"][1], Rating(10, None, None, None, "flag"))
    stored = rows(repo, "SELECT * FROM expert_ratings ORDER BY instruction_id")
    assert stored["accuracy"].isna().tolist() == [True, False]


def test_compare_with_verifier():
    scores = pd.DataFrame({d: [80.0, 90.0] for d in DIMS})
    table = review.compare_with_verifier(rating(70), scores)
    assert table["difference"].tolist() == [-15.0] * 4


# -- permissions and decisions -------------------------------------------------------------------
def test_reviewer_cannot_decide_bulk_apply_launch_or_manage(seeded):
    repo, items, _ = seeded
    rita = add_user(repo, "rita")
    with pytest.raises(PermissionDeniedError, match="rita is a reviewer"):
        review.decide(repo, rita, items["id"][0], "approve")
    with pytest.raises(PermissionDeniedError, match="curator"):
        review.bulk_apply(repo, rita)
    for action in ("launch_job", "launch_run", "snapshot", "manage_users"):
        with pytest.raises(PermissionDeniedError):
            auth.require(rita, action)
    with pytest.raises(PermissionDeniedError):
        auth.add_user(repo, rita, "mallory", "admin")
    with pytest.raises(PermissionDeniedError, match="Sign in"):
        auth.require(None, "rate")
    assert rows(repo, "SELECT count(*) AS n FROM decisions")["n"].item() == 0
    assert auth.lookup(repo, "mallory") is None
    # the role comes from the database: a hand-built Actor's role is never trusted
    with pytest.raises(PermissionDeniedError, match="not looked up"):
        auth.require(auth.Actor("c", "curator"), "launch_run")
    assert auth.require(add_user(repo, "c", "curator"), "launch_run").name == "c"
    assert set(auth.ACTIONS) >= {"rate", "decide", "bulk_decide", "snapshot", "launch_job",
                                 "launch_run", "manage_users"}


def test_decisions_keep_history(seeded):
    repo, items, _ = seeded
    cora = add_user(repo, "cora", "curator")
    item = items["id"][5]
    review.decide(repo, cora, item, "approve", "looks right")
    review.decide(repo, cora, [item], "reject", "unit error")
    history = review.decision_history(repo, item)
    assert history["decision"].tolist() == ["reject", "approve"]
    assert history["reason"].tolist() == ["unit error", "looks right"]
    assert set(history["decided_by"]) == {"cora"}
    assert explore.item_detail(repo, item).decision == "reject"
    with pytest.raises(NotFoundError):
        review.decide(repo, cora, ["nope"], "approve")
    with pytest.raises(InputError):
        review.decide(repo, cora, item, "maybe")


def test_bulk_preview_count_equals_applied_count(seeded):
    repo, _, scores = seeded
    cora = add_user(repo, "cora", "curator")
    rule = parse_rule("mean>=60,min>=55")
    passing = scores[rule.passes(scores[DIMS].to_numpy())]["instruction_id"]
    review.decide(repo, cora, passing.iloc[0], "reject")  # decided items are left alone
    preview = review.bulk_preview(repo, "mean>=60,min>=55", "approve")
    assert preview.n == len(passing) - 1 and preview.candidates == len(scores) - 1
    with pytest.raises(InputError, match="preview again"):
        review.bulk_apply(repo, cora, "mean>=60,min>=55", expected=preview.n + 1)
    applied = review.bulk_apply(repo, cora, "mean>=60,min>=55", expected=preview.n)
    assert applied.n == preview.n
    recorded = rows(repo, "SELECT * FROM decisions WHERE rule IS NOT NULL")
    assert len(recorded) == preview.n and set(recorded["rule"]) == {str(rule)}
    assert set(recorded["decided_by"]) == {"cora"}
    rejects = review.bulk_preview(repo, "mean>=60,min>=55", "reject")
    assert rejects.n == rejects.candidates == len(scores) - len(passing)
    assert review.bulk_preview(repo, "mean>=60,min>=55").n == 0  # all decided now
    with pytest.raises(InputError):
        review.bulk_preview(repo, "mean>=", "approve")


def test_home_summary_pass_rate(seeded):
    repo, _, scores = seeded
    add_user(repo, "alice")
    summary = explore.home_summary(repo, "mean>=95,min>=90")
    expected = parse_rule("mean>=95,min>=90").passes(scores[DIMS].to_numpy()).sum()
    assert (summary.scored, summary.passing) == (len(scores), expected)
    assert summary.reviewers["annotator"].tolist() == ["alice"]
    assert summary.stats["instructions"] == 120 and summary.jobs.empty and summary.runs.empty


# -- explore -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    """Read-only for the tests that use it, so built once per module."""
    database = open_database(tmp_path_factory.mktemp("explore") / "e.duckdb")
    repo = Repository(database)
    items, scores = seed(repo, 120)
    with repo.db.transaction() as cur:  # a second verifier on some items: the table averages
        repo.insert_verifier_scores(cur, scores.assign(verifier="second", accuracy=50.0)[::4])
    rng = np.random.default_rng(1)
    for name in ("ann", "ben"):
        person = add_user(repo, name)
        for item in rng.choice(items["id"], 40, replace=False):
            verdict = ["approve", "reject", "skip", "flag"][int(rng.integers(4))]
            review.save_rating(repo, person, item, rating(float(rng.integers(0, 101)), verdict))
    cora = add_user(repo, "cora", "curator")
    review.decide(repo, cora, list(items["id"][:30]), "approve")
    review.decide(repo, cora, list(items["id"][20:40]), "reject")
    yield repo
    database.close()


def reference(repo) -> pd.DataFrame:
    """The explore table computed in pandas from the raw tables."""
    items = rows(repo, "SELECT * FROM instructions")
    vs = rows(repo, "SELECT * FROM verifier_scores").groupby("instruction_id")[DIMS].mean()
    ratings = rows(repo, "SELECT * FROM expert_ratings WHERE verdict <> 'skip'")
    ratings["m"] = ratings[DIMS].mean(axis=1, skipna=False)
    er = ratings.groupby("instruction_id").agg(n_ratings=("m", "size"), expert_mean=("m", "mean"))
    dec = rows(repo, "SELECT * FROM decisions ORDER BY id").groupby("instruction_id").last()
    out = items.set_index("id").join(vs).join(er).join(dec[["decision"]])
    out["verifier_mean"] = out[DIMS].mean(axis=1, skipna=False)
    out["n_ratings"] = out["n_ratings"].fillna(0).astype(int)
    out["decision"] = out["decision"].fillna("undecided")
    return out.reset_index()


def ref_page(ref: pd.DataFrame, q: ExploreQuery) -> tuple[list[str], int]:
    sel = ref
    if q.where.stages:
        sel = sel[sel.stage.isin(q.where.stages)]
    if q.where.topics:
        sel = sel[sel.topic.isin(q.where.topics)]
    if q.where.sources:
        sel = sel[sel.source.isin(q.where.sources)]
    if q.search:
        hit = np.zeros(len(sel), dtype=bool)
        for col in ("instruction", "input", "output"):
            hit |= sel[col].str.lower().str.contains(q.search.lower(), regex=False).to_numpy()
        sel = sel[hit]
    for col, (low, high) in q.ranges.items():
        sel = sel[sel[col].between(low, high)]
    if q.rated is not None:
        sel = sel[(sel.n_ratings > 0) == q.rated]
    if q.decision:
        sel = sel[sel.decision == q.decision]
    sel = sel.sort_values([q.sort, "id"], ascending=[not q.descending, True], na_position="last",
                          kind="stable")
    start = q.page * q.page_size
    return sel["id"].iloc[start:start + q.page_size].tolist(), len(sel)


QUERIES = [
    ExploreQuery(),
    ExploreQuery(sort="verifier_mean", descending=True, page=1, page_size=25),
    ExploreQuery(where=ItemWhere(stages=(2,), topics=("ceramics", "batteries")), sort="accuracy"),
    ExploreQuery(ranges={"accuracy": (40, 90), "verifier_mean": (30, 80)}, sort="relevance",
                 descending=True, page_size=10, page=2),
    ExploreQuery(rated=True, sort="expert_mean", page_size=15),
    ExploreQuery(rated=False, decision="undecided", sort="topic", descending=True),
    ExploreQuery(decision="reject", sort="n_ratings", descending=True),
    ExploreQuery(search="perovskite", where=ItemWhere(sources=("imported",)), sort="stage"),
    ExploreQuery(search="100%", sort="task_type", page_size=7, page=3),
    ExploreQuery(search="<b>1", sort="decision"),
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_explore_matches_pandas_reference(explored, query):
    page = explore.explore(explored, query)
    ids, total = ref_page(reference(explored), query)
    assert page.total == total and total > 0
    assert page.rows["id"].tolist() == ids


def test_explore_rejects_bad_queries_and_pages_past_the_end(explored):
    with pytest.raises(InputError, match="Cannot sort"):
        explore.explore(explored, ExploreQuery(sort="instruction; DROP TABLE decisions"))
    with pytest.raises(InputError):
        explore.explore(explored, ExploreQuery(ranges={"accuracy": (90, 10)}))
    with pytest.raises(InputError):
        explore.explore(explored, ExploreQuery(page_size=0))
    page = explore.explore(explored, ExploreQuery(page=99))  # past the end: the last page
    assert page.page == 2 and len(page.rows) == 20 and page.total == 120 and page.pages == 3
    assert page.rows["id"].tolist() == explore.explore(explored, ExploreQuery(page=2)).rows[
        "id"].tolist()
    detail = explore.item_detail(explored, "item00024")
    assert detail.decision == "reject" and detail.item["id"] == "item00024"
    assert detail.decisions["decision"].tolist() == ["reject", "approve"]
    with pytest.raises(NotFoundError):
        explore.item_detail(explored, "nope")


# -- identity ------------------------------------------------------------------------------------
def test_password_hashing_and_sign_in(repo):
    digest = auth.hash_password("correct horse")
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert auth.verify_password(digest, "correct horse")
    assert not auth.verify_password(digest, "wrong horse")
    assert not auth.verify_password(None, "not a real password")
    assert not auth.verify_password("garbage", "x")
    with pytest.raises(InputError, match="shorter"):
        auth.hash_password("short")
    assert auth.add_user(repo, auth.CLI_ACTOR, "Dr. Ada", "curator", "correct horse") is True
    assert auth.sign_in(repo, "password", "Dr. Ada", "correct horse") == auth.Actor("Dr. Ada",
                                                                                    "curator")
    for name, password in (("Dr. Ada", "nope nope"), ("nobody", "correct horse")):
        with pytest.raises(PermissionDeniedError, match="Unknown name or wrong password"):
            auth.sign_in(repo, "password", name, password)
    stored = rows(repo, "SELECT password_hash FROM annotators")["password_hash"].item()
    assert stored != "correct horse" and auth.verify_password(stored, "correct horse")
    # a role change keeps the password; the next lookup sees the new role
    assert auth.add_user(repo, auth.CLI_ACTOR, "Dr. Ada", "admin") is False
    assert auth.lookup(repo, "Dr. Ada").role == "admin"
    assert auth.sign_in(repo, "password", "Dr. Ada", "correct horse").role == "admin"
    with pytest.raises(InputError, match="not allowed"):
        auth.add_user(repo, auth.CLI_ACTOR, "<script>", "reviewer")


def test_local_sign_in_creates_reviewers_and_keeps_roles(repo):
    # the first person on a database with no admin owns it (local use)...
    assert auth.sign_in(repo, "none", " owner ") == auth.Actor("owner", "admin")
    # ...everyone after that starts as a reviewer, and roles are kept
    assert auth.sign_in(repo, "none", " newbie ") == auth.Actor("newbie", "reviewer")
    add_user(repo, "boss", "curator")
    assert auth.sign_in(repo, "none", "boss").role == "curator"
    assert auth.sign_in(repo, "none", "owner").role == "admin"
    with pytest.raises(PermissionDeniedError):  # no password set: password mode refuses
        auth.sign_in(repo, "password", "newbie", "anything at all")


def test_cli_users_add_and_list(db_path):
    added = run_cli("users", "add", "carol", "--role", "curator", "--password-stdin", "--json",
                    db=db_path, stdin="s3cret-pass\n")
    assert added.returncode == 0, added.stderr
    assert '"created": true' in added.stdout and "s3cret" not in added.stdout
    bad = run_cli("users", "add", "dave", "--role", "boss", db=db_path)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Role 'boss'" in bad.stderr
    listed = run_cli("users", "list", "--json", db=db_path)
    assert '"name": "carol", "role": "curator", "has_password": true' in listed.stdout


def test_safe_markdown_keeps_math_and_makes_html_inert():
    text = "Band gap $E_g < 1.1$ eV <script>alert(1)</script> & ![x](http://e.vil/p.png) $5"
    out = safe_markdown(text)
    assert "<" not in out.replace("\\lt", "") and "&lt;script&gt;" in out
    assert "$E_g \\lt  1.1$" in out and "&amp;" in out and "!\\[x]" in out
    assert out.endswith("\\$5") and safe_markdown(None) == ""
    assert safe_markdown("$$a>b$$") == "$$a\\gt b$$"
