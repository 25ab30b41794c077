"""Answer schemas: pydantic models for validation, hand-written JSON Schemas for the wire.

The JSON Schemas are written out (not generated) so they satisfy OpenAI strict mode (every
property required, additionalProperties false) and so request hashes do not change when the
pydantic version changes the generated schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Score = Field(ge=0, le=100)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstructItem(_Strict):
    instruction: str
    input: str
    output: str

    @field_validator("instruction", "output")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v


class InstructBatch(_Strict):
    items: list[InstructItem] = Field(min_length=1)


class Verdict(_Strict):
    accuracy: int = Score
    relevance: int = Score
    completeness: int = Score
    reasonableness: int = Score
    rationale: str


class Grade(_Strict):
    accuracy: int = Score
    completeness: int = Score
    reasonableness: int = Score
    rationale: str


def _score() -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": 100}


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


INSTRUCT_ITEM_SCHEMA = _obj(
    {"instruction": {"type": "string"}, "input": {"type": "string"}, "output": {"type": "string"}}
)
INSTRUCT_BATCH_SCHEMA = _obj({"items": {"type": "array", "items": INSTRUCT_ITEM_SCHEMA}})
VERDICT_SCHEMA = _obj(
    {
        "accuracy": _score(),
        "relevance": _score(),
        "completeness": _score(),
        "reasonableness": _score(),
        "rationale": {"type": "string"},
    }
)
GRADE_SCHEMA = _obj(
    {
        "accuracy": _score(),
        "completeness": _score(),
        "reasonableness": _score(),
        "rationale": {"type": "string"},
    }
)

# schema_name -> (pydantic model, JSON Schema). Names double as the Anthropic tool name.
SCHEMAS: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "instruct_batch": (InstructBatch, INSTRUCT_BATCH_SCHEMA),
    "verdict": (Verdict, VERDICT_SCHEMA),
    "grade": (Grade, GRADE_SCHEMA),
}

# The schema each pipeline purpose answers with.
PURPOSE_SCHEMA = {
    "instruct": "instruct_batch",
    "feedback": "instruct_batch",
    "verify": "verdict",
    "evaluate": "grade",
}
