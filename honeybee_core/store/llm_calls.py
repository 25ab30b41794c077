"""The LLM call log (table llm_calls): every request and answer, its cost, and the cache
of answered requests a re-run reads instead of calling again."""

from __future__ import annotations

from typing import Any

from honeybee_core.store.base import Tables


class LlmCallTables(Tables):
    """Record calls, look up cached answers, total the costs."""

    def record_llm_call(self, row: dict[str, Any]) -> None:
        cols = ["id", "provider", "model", "request_hash", "purpose", "request", "raw_response",
                "parsed", "ok", "error", "input_tokens", "output_tokens", "cost_usd",
                "latency_ms", "attempt", "batch", "job_id"]
        self.db.cursor().execute(
            "INSERT INTO llm_calls (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row.get(c) for c in cols],
        ).fetchall()

    def answered_request_hashes(self, provider: str, model: str) -> list[str]:
        """Request hashes with an ok answer from this provider and model (the cache's keys)."""
        return [h for (h,) in self.db.cursor().execute(
            "SELECT DISTINCT request_hash FROM llm_calls WHERE provider = ? AND model = ? AND ok",
            [provider, model],
        ).fetchall()]

    def cached_llm_call(self, provider: str, model: str, request_hash: str) -> dict | None:
        # fetchall, not df(): a re-run of a finished job makes this query once per call
        cur = self.db.cursor().execute(
            "SELECT * FROM llm_calls WHERE provider = ? AND model = ? AND request_hash = ?"
            " AND ok ORDER BY created_at DESC LIMIT 1",
            [provider, model, request_hash],
        )
        found = cur.fetchall()
        return dict(zip([d[0] for d in cur.description], found[0], strict=True)) if found else None

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

    def failed_request_items(self, job_ids: list[str]) -> dict[str, int]:
        """job id -> how many items its requests that never got an ok answer asked for (the
        payload's n of each such request; a request asking for none counts as one)."""
        return {job: int(n) for job, n in self.db.cursor().execute(
            "SELECT job_id, sum(asked) FROM (SELECT job_id, request_hash, bool_or(ok) AS ok,"
            " coalesce(max(TRY_CAST(json_extract_string(request, '$.payload.n') AS INTEGER)),"
            " 1) AS asked FROM llm_calls WHERE job_id IN (SELECT unnest(?::VARCHAR[]))"
            " GROUP BY job_id, request_hash) WHERE NOT ok GROUP BY job_id", [job_ids],
        ).fetchall()}
