"""Text search over instruction, input and output through the token index (search_vocab,
search_postings, search_recent; see migration 0008), with the meaning of a case-insensitive
substring match (ILIKE '%text%') on any of the three.

Items are named by their number (item_facts.no). The search text is cut into letter/digit
runs the way the items were (the search_tokens macro).
A run at the very start of the text may be the end of a longer word, one at the very end the
start of one, one in the middle must be a whole word, and a text that is one run may sit
anywhere inside a word. Each run selects words of the vocabulary (a scan of the distinct words,
not of the texts), the postings of those words give the items that hold them, and the items
holding every run are the candidates. A text that is one run is matched exactly by that; any
other is confirmed with ILIKE on the candidates' rows alone, fetched by rowid (item_rows). A
text with no letter or digit (say "%") falls back to ILIKE over every item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import numpy as np

_WORD = r"[\p{L}\p{N}]"
_VOCAB_MATCH = {  # (starts the text, ends the text) -> how a vocabulary word must hold the run
    (True, True): "contains(token, ?)", (True, False): "suffix(token, ?)",
    (False, True): "starts_with(token, ?)", (False, False): "token = ?",
}
COLUMNS = ("instruction", "input", "output")


def like_pattern(text: str) -> str:
    """ILIKE pattern matching text literally anywhere (backslash escapes % and _)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def ilike_clause(alias: str) -> str:
    """text ILIKE ? on each searched column of alias, OR-ed; takes the pattern three times."""
    return "(" + " OR ".join(f"{alias}.{c} ILIKE ? ESCAPE '\\'" for c in COLUMNS) + ")"


def item_rows(cur: Cursor, nos: list[int], columns: str, where: str = "",
              params: Sequence[Any] = ()) -> list[tuple]:
    """(no, *columns) of these items' rows in instructions (alias i) that satisfy where, read
    by rowid; an item whose rowid is not recorded yet (its insert committed a moment ago) is
    found by id."""
    pairs = cur.execute("SELECT no, rid FROM item_rows WHERE no = ANY(?)", [nos]).fetchall()
    number = dict((rid, no) for no, rid in pairs)
    out = [(number[row[0]], *row[1:]) for row in cur.execute(
        "SELECT i.rowid, " + columns + " FROM instructions i WHERE i.rowid = ANY(?)" + where,
        [list(number), *params]).fetchall()]
    missing = sorted(set(nos) - set(number.values()))
    if missing:
        out += cur.execute(
            "SELECT f.no, " + columns + " FROM instructions i JOIN item_facts f USING (id)"
            " WHERE f.no = ANY(?)" + where, [missing, *params]).fetchall()
    return out


def _sorted_once(nos: np.ndarray) -> np.ndarray:
    """Item numbers sorted, each once: a mark per number up to the largest (numbers run
    1, 2, ... so this is linear; a sort of a common word's million postings is not)."""
    import numpy as np

    if not len(nos):
        return nos
    seen = np.zeros(int(nos.max()) + 1, dtype=bool)
    seen[nos] = True
    return np.flatnonzero(seen).astype(np.int64)


class SearchQueries(Tables):
    """Numbers (item_facts.no) of the items whose text contains a search text."""

    def search_nos(self, text: str) -> np.ndarray | None:
        """Numbers of every item whose instruction, input or output contains text (case
        ignored), from the index; None when text has no letter or digit to look up."""
        import numpy as np

        cur = self.db.cursor()
        runs, first, last = cur.execute(
            "SELECT search_tokens(?), regexp_matches(lower(?), '^" + _WORD + "'),"
            " regexp_matches(lower(?), '" + _WORD + "$')", [text, text, text]).fetchall()[0]
        if not runs:
            return None
        postings = ("(SELECT token_no, no FROM search_postings UNION ALL"
                    " SELECT token_no, no FROM search_recent) p")
        if len(runs) == 1:  # one statement: the vocabulary's matches never leave DuckDB
            where = _VOCAB_MATCH[(bool(first), bool(last))]
            found = cur.execute(
                "SELECT p.no FROM " + postings + " WHERE p.token_no IN"
                " (SELECT token_no FROM search_vocab WHERE " + where + ")",
                [runs[0]]).fetchnumpy()["no"]
            nos = _sorted_once(np.asarray(found, dtype=np.int64))
        else:
            selects, params = [], []
            for i, run in enumerate(runs):
                where = _VOCAB_MATCH[(i == 0 and first, i == len(runs) - 1 and last)]
                selects.append(f"SELECT {i} AS i, token_no FROM search_vocab WHERE {where}")
                params.append(run)
            matches = cur.execute(" UNION ALL ".join(selects), params).fetchall()
            if {i for i, _ in matches} != set(range(len(runs))):
                return np.empty(0, dtype=np.int64)  # some run is in no item at all
            pairs = [[i for i, _ in matches], [t for _, t in matches]]
            nos = cur.execute(
                "SELECT p.no FROM " + postings + " JOIN (SELECT unnest(?::INTEGER[]) AS i,"
                " unnest(?::INTEGER[]) AS token_no) m USING (token_no)"
                " GROUP BY p.no HAVING count(DISTINCT m.i) = ? ORDER BY p.no",
                [*pairs, len(runs)]).fetchnumpy()["no"]
        nos = np.asarray(nos, dtype=np.int64)
        if len(runs) == 1 and runs[0] == text.lower():
            return nos  # the whole text is one run: exact
        if not len(nos):
            return nos
        found = item_rows(cur, nos.tolist(), "NULL", " AND " + ilike_clause("i"),
                          [like_pattern(text)] * 3)  # ILIKE on these rows alone
        return np.sort(np.asarray([row[0] for row in found], dtype=np.int64))

    def scan_nos(self, text: str, clauses: list[str], params: list[Any]) -> np.ndarray:
        """Numbers of the items matching text by ILIKE over every text (the index cannot help),
        restricted by item filter clauses on alias i."""
        import numpy as np

        found = self.db.cursor().execute(
            "SELECT f.no FROM instructions i JOIN item_facts f USING (id) WHERE " + " AND ".join(
                [*clauses, ilike_clause("i")]) + " ORDER BY f.no",
            [*params, *[like_pattern(text)] * 3]).fetchnumpy()["no"]
        return np.asarray(found, dtype=np.int64)
