"""Decoding presets for local students (no torch here: the CLI and pages import it).

`greedy` is fast and deterministic (our default). The HoneyBee README runs `generate.py` for
inference (the Alpaca-CoT script its code builds on, not shipped in the HoneyBee repository):
4 beams with sampling (temperature 1.0, top-p 0.9, top-k 40), repetition penalty 1.8, no repeated
6-grams, 512 new tokens; that is `paper`, seeded here so it is reproducible. `paper-beam` is the
same without sampling: plain beam search (the HoneyBee repository's own GENERATE_CONFIG has 4
beams and 512 new tokens), deterministic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from honeybee_core.errors import InputError


@dataclass(frozen=True)
class Decoding:
    """How answers are decoded; label names it in answer folders and evaluation rows."""

    name: str = "greedy"
    max_new_tokens: int = 128
    num_beams: int = 1
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 50
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.name}-{self.max_new_tokens}"

    def generate_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens,
                                  "num_beams": self.num_beams, "do_sample": self.do_sample,
                                  "repetition_penalty": self.repetition_penalty}
        if self.do_sample:
            kwargs |= {"temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k}
        if self.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        return kwargs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DECODING_PRESETS: dict[str, Decoding] = {
    "greedy": Decoding(),
    "paper": Decoding("paper", 512, num_beams=4, do_sample=True, temperature=1.0, top_p=0.9,
                      top_k=40, repetition_penalty=1.8, no_repeat_ngram_size=6),
    "paper-beam": Decoding("paper-beam", 512, num_beams=4, repetition_penalty=1.8),
}


def decoding_preset(name: str, max_new_tokens: int | None = None) -> Decoding:
    """A named decoding preset, with its answer length replaced when max_new_tokens is given."""
    preset = DECODING_PRESETS.get(name)
    if preset is None:
        raise InputError(f"Unknown decoding '{name}'; choose one of "
                         f"{', '.join(DECODING_PRESETS)}.")
    if max_new_tokens is not None:
        if max_new_tokens < 1:
            raise InputError("max_new_tokens must be at least 1.")
        preset = replace(preset, max_new_tokens=max_new_tokens)
    return preset
