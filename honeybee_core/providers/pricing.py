"""Token prices in USD per 1M tokens (input, output). Batch APIs bill half of these.

Defaults are list prices at the time of writing; the settings object passes overrides, which
win. Dated snapshots ("gpt-4o-2024-08-06") match their family by longest prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

BATCH_DISCOUNT = 0.5

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-4-turbo": (10.00, 30.00),
    # Anthropic
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
    # The offline heuristic is free.
    "heuristic-v1": (0.0, 0.0),
}


class PriceTable:
    """Default prices with overrides; cost() returns 0.0 for unknown models and flags them."""

    def __init__(self, overrides: Mapping[str, tuple[float, float]] | None = None) -> None:
        self.prices: dict[str, tuple[float, float]] = dict(DEFAULT_PRICES)
        for model, (inp, out) in (overrides or {}).items():
            self.prices[model] = (float(inp), float(out))
        self.unknown: set[str] = set()

    def lookup(self, model: str) -> tuple[float, float] | None:
        if model in self.prices:
            return self.prices[model]
        # Longest family prefix wins so "gpt-4o-mini-2024-07-18" is not priced as "gpt-4o".
        best = max((k for k in self.prices if model.startswith(k + "-")), key=len, default=None)
        return self.prices[best] if best else None

    def is_known(self, model: str) -> bool:
        return self.lookup(model) is not None

    def cost(self, model: str, in_tok: int, out_tok: int, batch: bool = False) -> float:
        price = self.lookup(model)
        if price is None:
            if model not in self.unknown:
                self.unknown.add(model)
                log.warning("No price for model %r; its calls are costed at $0.", model)
            return 0.0
        usd = (in_tok * price[0] + out_tok * price[1]) / 1_000_000
        return usd * BATCH_DISCOUNT if batch else usd


_DEFAULT_TABLE = PriceTable()


def cost(model: str, in_tok: int, out_tok: int, batch: bool = False) -> float:
    """USD for one call at default prices; 0.0 for an unknown model (see is_known)."""
    return _DEFAULT_TABLE.cost(model, in_tok, out_tok, batch)


def is_known(model: str) -> bool:
    return _DEFAULT_TABLE.is_known(model)
