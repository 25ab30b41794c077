"""The Evaluator: grades a student's answer against the reference on three dimensions."""

from __future__ import annotations

from typing import Any

from honeybee_core.pipeline.prompts import EVALUATE_VERSION, render, system_prompt
from honeybee_core.providers.base import LLMRequest, LLMResult

GRADE_COLUMNS = ("accuracy", "completeness", "reasonableness")


def build_request(item: dict[str, Any], answer: str) -> LLMRequest:
    """The grading request for one (item, answer); the item's output is the reference."""
    return LLMRequest(
        purpose="evaluate",
        system=system_prompt(EVALUATE_VERSION),
        prompt=render(EVALUATE_VERSION, instruction=item["instruction"],
                      input=item["input"] or "(none)", reference=item["output"],
                      answer=answer or "(empty answer)"),
        schema_name="grade",
        payload={"instruction": item["instruction"], "input": item["input"] or "",
                 "reference": item["output"], "answer": answer},
        temperature=0.0,
        max_tokens=512,
    )


def grade_row(run_id: str, item_id: str, evaluator: str, answer: str,
              result: LLMResult) -> dict[str, Any]:
    """An evaluations row from a validated grade answer."""
    parsed = result.parsed
    return {"run_id": run_id, "instruction_id": item_id, "evaluator": evaluator,
            "rubric_version": EVALUATE_VERSION, "answer": answer,
            **{k: parsed[k] for k in GRADE_COLUMNS}, "rationale": parsed["rationale"]}
