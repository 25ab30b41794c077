"""Versioned prompt files shipped inside the package; the version is stored with every item."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
INSTRUCT_VERSION = "instruct_v1"
VERIFY_VERSION = "verify_v1"
EVALUATE_VERSION = "evaluate_v2"  # reference-free; evaluate_v1 graded against the reference
EVALUATE_VERSIONS = ("evaluate_v1", "evaluate_v2")
FEEDBACK_VERSION = "feedback_v1"  # one prompt per weak item, showing the student's answer
FEEDBACK_PER_DIMENSION = "feedback_v2"  # as released: one prompt per weak dimension


@cache
def template(name: str) -> str:
    """The text of prompts/<name>.md (e.g. "instruct_v1", "verify_system_v1")."""
    return (PROMPT_DIR / f"{name}.md").read_text(encoding="utf-8").strip()


def render(name: str, **fields: object) -> str:
    return template(name).format(**fields)


def system_prompt(version: str) -> str:
    """The system prompt paired with a versioned prompt: instruct_v1 -> instruct_system_v1."""
    kind, _, number = version.rpartition("_")
    return template(f"{kind}_system_{number}")
