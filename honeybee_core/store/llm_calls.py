"""The LLM call log (table llm_calls): every request and answer, its cost, and the cache
of answered requests a re-run reads instead of calling again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables, registered
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pyarrow as pa


class LlmCallTables(Tables):
    """Record calls, look up cached answers, total the costs."""

    def llm_call_totals(self, job_id: str | None = None) -> dict[str, Any]:
        rows = self.db.cursor().execute(
            "SELECT count(*), count(*) FILTER (WHERE ok), coalesce(sum(cost_usd), 0),"
            " coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0)"
            " FROM llm_calls WHERE (? IS NULL OR job_id = ?)",
            [job_id, job_id],
        ).fetchall()[0]
        return dict(zip(["calls", "ok_calls", "cost_usd", "input_tokens", "output_tokens"],
                        rows, strict=True))

    def job_failure_reasons(self, job_id: str, limit: int = 3) -> list[tuple[str, int]]:
        """(last error, requests) over the job's requests that never got an ok answer, the
        most common first."""
        return [(str(e), int(n)) for e, n in self.db.cursor().execute(
            "SELECT error, count(*) AS n FROM (SELECT request_hash, bool_or(ok) AS ok,"
            " arg_max(error, created_at) AS error FROM llm_calls WHERE job_id = ?"
            " GROUP BY request_hash) WHERE NOT ok AND error IS NOT NULL"
            " GROUP BY error ORDER BY n DESC, error LIMIT ?",
            [job_id, limit],
        ).fetchall()]

    LLM_CALL_COLUMNS = (
        "id", "provider", "model", "request_hash", "purpose", "request", "raw_response",
        "parsed", "ok", "error", "input_tokens", "output_tokens", "cost_usd", "latency_ms",
        "attempt", "batch", "job_id", "created_at",
    )

    @staticmethod
    def _llm_call_schema() -> pa.Schema:
        import pyarrow as pa

        return pa.schema(
            [(c, pa.string()) for c in LlmCallTables.LLM_CALL_COLUMNS[:8]]
            + [("ok", pa.bool_()), ("error", pa.string()), ("input_tokens", pa.int64()),
               ("output_tokens", pa.int64()), ("cost_usd", pa.float64()),
               ("latency_ms", pa.float64()), ("attempt", pa.int64()), ("batch", pa.bool_()),
               ("job_id", pa.string()), ("created_at", pa.timestamp("us"))]
        )

    def insert_llm_calls(self, cur: Cursor, calls: list[dict[str, Any]]) -> None:
        """Insert call records (dicts keyed by LLM_CALL_COLUMNS) inside the caller's transaction,
        in one statement; a record whose id is already stored is skipped (a spool folded twice)."""
        import pyarrow as pa

        cols = self.LLM_CALL_COLUMNS
        table = pa.Table.from_pydict({c: [row.get(c) for row in calls] for c in cols},
                                     schema=self._llm_call_schema())
        with registered(cur, table) as view:
            cur.execute(
                "INSERT INTO llm_calls (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT (id) DO NOTHING"
            ).fetchall()

    def answered_calls(self, provider: str, model: str,
                       request_hashes: list[str]) -> list[dict[str, Any]]:
        """The latest ok record of each of these requests that has one (one query)."""
        cur = self.db.cursor().execute(
            "SELECT c.* FROM llm_calls c"
            " JOIN (SELECT DISTINCT unnest(?::VARCHAR[]) AS h) wanted ON c.request_hash = wanted.h"
            " WHERE c.provider = ? AND c.model = ? AND c.ok"
            " QUALIFY row_number() OVER (PARTITION BY c.request_hash"
            " ORDER BY c.created_at DESC) = 1",
            [request_hashes, provider, model],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def failed_request_items(self, job_ids: list[str]) -> dict[str, int]:
        """job id -> how many items its requests that never got an ok answer asked for (the
        payload's n of each such request; a request asking for none counts as one)."""
        return {job: int(n) for job, n in self.db.cursor().execute(
            "SELECT job_id, sum(asked) FROM (SELECT job_id, request_hash, bool_or(ok) AS ok,"
            " coalesce(max(TRY_CAST(json_extract_string(request, '$.payload.n') AS INTEGER)),"
            " 1) AS asked FROM llm_calls WHERE job_id IN (SELECT unnest(?::VARCHAR[]))"
            " GROUP BY job_id, request_hash) WHERE NOT ok GROUP BY job_id", [job_ids],
        ).fetchall()}
