"""The filter-rule grammar: parsing, passes() on arrays, where_sql() in real DuckDB, describe()."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from honeybee_core.errors import InputError
from honeybee_core.rules import DIMENSIONS, FilterRule, parse_rule

FIELDS = ("mean", "min", *DIMENSIONS)


def test_parse_rule_accepts_the_documented_forms() -> None:
    assert str(parse_rule("mean>=95,min>=90")) == "mean>=95,min>=90"
    assert parse_rule(" Accuracy >= 90 ").clauses == (("accuracy", ">=", 90.0),)
    assert str(parse_rule("mean>=80")) == "mean>=80"
    assert str(parse_rule("relevance>70.5,min>=0")) == "relevance>70.5,min>=0"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("  ,", "empty"),
        ("mean=>90", "Cannot read"),
        ("mean>=90;min>=80", "Cannot"),
        ("mean>=abc", "Cannot read"),
        ("quality>=90", "not a score"),
        ("mean>=101", "0-100"),
        ("mean<=90", "Cannot read"),
        ("mean>=90,min>=80; drop table items", "Cannot read"),
    ],
)
def test_bad_rules_are_one_sentence_input_errors(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        parse_rule(text)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message and message.count(". ") == 0


def random_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    """Means over 1-3 verifiers (whole, half and third points) with about 8 % missing."""
    verifiers = rng.integers(1, 4, (n, 1))
    scores = rng.integers(0, 100 * verifiers + 1, (n, len(DIMENSIONS))) / verifiers
    scores[rng.random(scores.shape) < 0.08] = np.nan
    # boundary rows: exactly on typical thresholds
    scores[-4:] = [[95, 95, 95, 95], [90, 100, 95, 95], [95, 90, np.nan, 100], [100] * 4]
    return scores


def random_rule(rng: np.random.Generator) -> FilterRule:
    clauses = []
    for _ in range(rng.integers(1, 4)):
        field = str(rng.choice(FIELDS))
        # thresholds on the score grid (ties with scores) and between it
        threshold = float(rng.choice([rng.integers(0, 101), rng.integers(0, 301) / 3]))
        clauses.append((field, str(rng.choice([">=", ">"])), min(threshold, 100.0)))
    return parse_rule(",".join(f"{f}{op}{t!r}" for f, op, t in clauses))


def score_table(ids: np.ndarray, scores: np.ndarray, names: list[str]) -> pa.Table:
    """NaN becomes a real NULL, as the store keeps a missing score."""
    columns = [pa.array(ids)] + [pa.array(col, mask=np.isnan(col)) for col in scores.T]
    return pa.table(columns, names=names)


@pytest.fixture
def score_db(tmp_path):
    """A DuckDB file holding two score tables (DOUBLE with NULLs, and INTEGER) plus the arrays."""
    rng = np.random.default_rng(7)
    scores = random_scores(rng, 3000)
    ints = np.floor(scores)
    ids = np.arange(len(scores))
    con = duckdb.connect(str(tmp_path / "scores.duckdb"))
    con.register("doubles", score_table(ids, scores, ["id", *DIMENSIONS]))
    con.register("integers", score_table(ids, ints, ["item", "a", "r", "c", "q"]))
    con.execute("CREATE TABLE scores AS SELECT * FROM doubles")
    con.execute(
        "CREATE TABLE int_scores AS SELECT item, a::INTEGER AS a, r::INTEGER AS r,"
        " c::INTEGER AS c, q::INTEGER AS q FROM integers"
    )
    assert con.execute("SELECT count(*) FROM scores WHERE relevance IS NULL").fetchone()[0] > 100
    yield con, scores, ints
    con.close()


def selected(con: duckdb.DuckDBPyConnection, query: str, params: list[float]) -> np.ndarray:
    return np.array(sorted(r[0] for r in con.execute(query, params).fetchall()), dtype=int)


def test_where_sql_selects_exactly_the_rows_passes_marks(score_db) -> None:
    con, scores, _ = score_db
    rng = np.random.default_rng(11)
    rules = [parse_rule(t) for t in ("mean>=95,min>=90", "mean>95", "min>0", "accuracy>=100")]
    rules += [random_rule(rng) for _ in range(120)]
    sizes = set()
    for rule in rules:
        sql, params = rule.where_sql()
        expected = np.flatnonzero(rule.passes(scores))
        got = selected(con, f"SELECT id FROM scores WHERE {sql}", params)
        assert np.array_equal(got, expected), str(rule)
        # never NULL: NOT selects exactly the items that fail
        rest = selected(con, f"SELECT id FROM scores WHERE NOT ({sql})", params)
        assert np.array_equal(rest, np.flatnonzero(~rule.passes(scores))), str(rule)
        sizes.add(got.size)
    assert len(sizes) > 30  # the rules really cut the table in many different places


def test_where_sql_on_qualified_integer_columns(score_db) -> None:
    con, _, ints = score_db
    rng = np.random.default_rng(12)
    columns = dict(zip(DIMENSIONS, ("s.a", "s.r", "s.c", "s.q"), strict=True))
    for rule in [parse_rule("mean>=90.5,min>89.5")] + [random_rule(rng) for _ in range(60)]:
        sql, params = rule.where_sql(columns)
        got = selected(con, f"SELECT s.item FROM int_scores s WHERE {sql}", params)
        assert np.array_equal(got, np.flatnonzero(rule.passes(ints))), str(rule)
        as_list = rule.where_sql(["s.a", "s.r", "s.c", "s.q"])
        assert as_list == (sql, params)


def test_missing_score_never_passes_in_sql_or_numpy(score_db) -> None:
    con, _, _ = score_db
    con.execute("CREATE TABLE one AS SELECT 1 AS id, 100.0 AS accuracy, NULL::DOUBLE AS relevance,"
                " 100.0 AS completeness, 100.0 AS reasonableness")
    row = np.array([[100.0, np.nan, 100.0, 100.0]])
    for text, passes in (("mean>=0", False), ("min>=0", False), ("relevance>=0", False),
                         ("accuracy>=100", True), ("accuracy>=100,completeness>99", True)):
        rule = parse_rule(text)
        sql, params = rule.where_sql()
        hits = con.execute(f"SELECT count(*) FROM one WHERE {sql}", params).fetchone()[0]
        assert (hits == 1) is passes and bool(rule.passes(row)[0]) is passes, text


def test_where_sql_binds_every_value_and_whitelists_columns() -> None:
    sql, params = parse_rule("mean>=95.5,min>=90,accuracy>12.25").where_sql(("a", "b", "c", "d"))
    assert params == [95.5, 90.0, 90.0, 90.0, 90.0, 12.25]
    assert sql.count("?") == len(params)
    assert not any(number in sql for number in ("95", "90", "12"))
    for bad in (
        ("a", "b", "c", "d; DROP TABLE items"),
        ("a", "b", "c", "'x'"),
        ("a", "b", "c", "coalesce(d, 100)"),
        ("a", "b", "c"),
        "abcd",
        {"accuracy": "a", "relevance": "b", "completeness": "c"},
    ):
        with pytest.raises(ValueError, match="where_sql"):
            parse_rule("mean>=90").where_sql(bad)


def test_describe_reads_as_a_sentence() -> None:
    assert parse_rule("mean>=95,min>=90").describe() == (
        "the mean of the four scores is at least 95 and every score is at least 90"
    )
    assert parse_rule("accuracy>70.5").describe() == "the accuracy score is above 70.5"
    assert parse_rule("mean>=80,relevance>=90,min>50").describe() == (
        "the mean of the four scores is at least 80, the relevance score is at least 90"
        " and every score is above 50"
    )


def test_a_rule_without_clauses_passes_everything() -> None:
    rule = FilterRule(())
    assert rule.where_sql() == ("true", [])
    assert rule.passes(np.full((3, 4), np.nan)).all()
