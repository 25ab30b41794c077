"""Cost estimates shown before a job is launched (token counts are rough, prices are real)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from honeybee_core.providers.pricing import PriceTable

# Typical sizes measured on our prompts: the instruct prompt is ~450 tokens plus a passage, and
# each triple written back is ~250 tokens; a verify call is ~550 in (rubric + item), ~90 out.
INSTRUCT_IN, PASSAGE_IN, TRIPLE_OUT = 450, 220, 250
VERIFY_IN, VERIFY_OUT = 550, 90


@dataclass(frozen=True)
class Estimate:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    priced: bool

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def estimate_generation(
    n: int, per_call: int, model: str, grounded: bool, batch: bool = False,
    overrides: Mapping[str, tuple[float, float]] | None = None,
) -> Estimate:
    prices = PriceTable(overrides)
    calls = -(-n // per_call)
    tokens_in = calls * (INSTRUCT_IN + (PASSAGE_IN if grounded else 0))
    tokens_out = n * TRIPLE_OUT
    return Estimate(calls, tokens_in, tokens_out,
                    prices.cost(model, tokens_in, tokens_out, batch=batch),
                    prices.is_known(model))


def estimate_verification(
    n_items: int, model: str, batch: bool = False,
    overrides: Mapping[str, tuple[float, float]] | None = None,
) -> Estimate:
    prices = PriceTable(overrides)
    tokens_in, tokens_out = n_items * VERIFY_IN, n_items * VERIFY_OUT
    return Estimate(n_items, tokens_in, tokens_out,
                    prices.cost(model, tokens_in, tokens_out, batch=batch),
                    prices.is_known(model))
