"""The Evaluator: grades an answer on accuracy, completeness and reasonableness (0-100).

Rubric evaluate_v2 (the default) is reference-free, as the released feedback rubric: the answer is
judged against established knowledge and the input, and the reference is only a hint that never
caps the score, so a student better than the Instructor can score above it. evaluate_v1 graded
against the reference ("100 only when as good as the reference"); its rows stay readable and are
labelled with their rubric, never mixed with v2 rows.
"""

from __future__ import annotations

from typing import Any

from honeybee_core.errors import InputError
from honeybee_core.pipeline.prompts import (
    EVALUATE_VERSION,
    EVALUATE_VERSIONS,
    render,
    system_prompt,
)
from honeybee_core.providers.base import LLMRequest, LLMResult

GRADE_COLUMNS = ("accuracy", "completeness", "reasonableness")
RUBRIC_LABELS = {"evaluate_v1": "v1, against the reference",
                 "evaluate_v2": "v2, reference-free (reference as a hint)"}


def check_rubric(rubric: str) -> str:
    if rubric not in EVALUATE_VERSIONS:
        raise InputError(f"Unknown rubric '{rubric}'; choose one of "
                         f"{', '.join(EVALUATE_VERSIONS)}.")
    return rubric


def build_request(item: dict[str, Any], answer: str,
                  rubric: str = EVALUATE_VERSION) -> LLMRequest:
    """The grading request for one (item, answer); the item's output is the reference."""
    payload = {"instruction": item["instruction"], "input": item["input"] or "",
               "reference": item["output"], "answer": answer}
    if rubric != "evaluate_v1":  # v1 requests keep their hashes, so the call log still serves them
        payload["rubric"] = rubric
    return LLMRequest(
        purpose="evaluate",
        system=system_prompt(rubric),
        prompt=render(rubric, instruction=item["instruction"],
                      input=item["input"] or "(none)", reference=item["output"],
                      answer=answer or "(empty answer)"),
        schema_name="grade",
        payload=payload,
        temperature=0.0,
        max_tokens=512,
    )


def grade_row(run_id: str, item_id: str, evaluator: str, answer: str, result: LLMResult,
              rubric: str = EVALUATE_VERSION, decoding: str = "greedy") -> dict[str, Any]:
    """An evaluations row from a validated grade answer."""
    parsed = result.parsed
    return {"run_id": run_id, "instruction_id": item_id, "evaluator": evaluator,
            "rubric_version": rubric, "decoding": decoding, "answer": answer,
            **{k: parsed[k] for k in GRADE_COLUMNS}, "rationale": parsed["rationale"]}
