"""The Verifier: the four-dimension rubric as a structured request, and its answer as a row."""

from __future__ import annotations

from typing import Any

from honeybee_core.pipeline.prompts import VERIFY_VERSION, render, system_prompt
from honeybee_core.providers.base import LLMRequest, LLMResult


def build_request(item: dict[str, Any]) -> LLMRequest:
    return LLMRequest(
        purpose="verify",
        system=system_prompt(VERIFY_VERSION),
        prompt=render(VERIFY_VERSION, instruction=item["instruction"],
                      input=item["input"] or "(none)", output=item["output"]),
        schema_name="verdict",
        payload={"instruction": item["instruction"], "input": item["input"],
                 "output": item["output"]},
        temperature=0.0,
        max_tokens=512,
    )


def score_row(item_id: str, verifier: str, result: LLMResult) -> dict[str, Any]:
    parsed = result.parsed
    return {
        "instruction_id": item_id, "verifier": verifier, "rubric_version": VERIFY_VERSION,
        "accuracy": parsed["accuracy"], "relevance": parsed["relevance"],
        "completeness": parsed["completeness"], "reasonableness": parsed["reasonableness"],
        "rationale": parsed["rationale"], "raw_response": result.raw_text,
    }
