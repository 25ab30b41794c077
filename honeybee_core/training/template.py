"""The Alpaca prompt template, as released (no torch here: pages and API students import it)."""

from __future__ import annotations

# The released HoneyBee template (uniform_finetune.py PROMPT_DICT), byte for byte: the prompt
# ends at "### Response:" and the answer follows after one space (RESPONSE_SEPARATOR).
PROMPT_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)
RESPONSE_SEPARATOR = " "


def training_text(instruction: str, input_text: str | None, output: str) -> str:
    """The text a training example is made of (the EOS id is appended as an id, not as text)."""
    return format_prompt(instruction, input_text) + RESPONSE_SEPARATOR + output


def format_prompt(instruction: str, input_text: str | None = "") -> str:
    """The Alpaca prompt; the no-input variant when input is empty or whitespace.

    Released code picks the variant on a non-empty input string; a whitespace-only input is
    treated as none here (it carries no context), the only departure.
    """
    if input_text is None or not str(input_text).strip():
        return PROMPT_NO_INPUT.format(instruction=instruction)
    return PROMPT_INPUT.format(instruction=instruction, input=input_text)
