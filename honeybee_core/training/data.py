"""Snapshot -> Alpaca prompts -> token ids with the prompt masked out of the loss."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from honeybee_core.errors import InputError
from honeybee_core.training.config import SNAPSHOT_COLUMNS
from honeybee_core.training.template import (  # noqa: F401 - the template's public home here too
    PROMPT_INPUT,
    PROMPT_NO_INPUT,
    RESPONSE_SEPARATOR,
    format_prompt,
    training_text,
)

IGNORE_INDEX = -100

def load_snapshot(path: str | Path) -> pd.DataFrame:
    """Read the snapshot Parquet, keep the four contract columns, normalise nulls to ''."""
    path = Path(path)
    try:
        df = pd.read_parquet(path)
    except FileNotFoundError:
        raise InputError(f"Snapshot {path} does not exist; export a snapshot first.") from None
    except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a bad file
        raise InputError(f"Snapshot {path} is not a readable Parquet file ({err}).") from None
    missing = [c for c in SNAPSHOT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"Snapshot {path} lacks column(s) {', '.join(missing)}; re-export it.")
    df = df[list(SNAPSHOT_COLUMNS)].copy()
    for col in ("instruction", "input", "output"):
        df[col] = df[col].fillna("").astype(str)
    df["id"] = df["id"].astype(str)
    empty = df["instruction"].str.strip() == ""
    if empty.any():
        raise InputError(
            f"Snapshot {path} has {int(empty.sum())} row(s) with an empty instruction "
            f"(first id {df.loc[empty, 'id'].iloc[0]}); fix or drop them."
        )
    if df.empty:
        raise InputError(f"Snapshot {path} has no rows; approve some items first.")
    return df.reset_index(drop=True)


def split_rows(
    df: pd.DataFrame, val_fraction: float, seed: int, val_size: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded split on sorted ids, so the split does not depend on the Parquet row order.

    val_size (a row count, as the released recipe's 2,000) wins over val_fraction but takes at
    most a tenth of the rows, so a small snapshot still trains on nine tenths.
    """
    order = sorted(range(len(df)), key=lambda i: df["id"].iloc[i])
    random.Random(seed).shuffle(order)
    if val_size is not None:
        n_val = min(val_size, len(df) // 10)
    else:
        n_val = round(len(df) * val_fraction) if val_fraction > 0 else 0
    if (val_fraction > 0 or val_size is not None) and len(df) >= 2:
        n_val = min(max(n_val, 1), len(df) - 1)
    val_idx, train_idx = order[:n_val], order[n_val:]
    return df.iloc[train_idx].reset_index(drop=True), df.iloc[val_idx].reset_index(drop=True)


@dataclass
class TokenStats:
    """What tokenization did to the rows; goes into the manifest."""

    n_rows: int = 0
    n_kept: int = 0
    n_truncated: int = 0
    n_dropped: int = 0
    n_boundary_fallback: int = 0  # prompt+response merged across the boundary; ids concatenated
    n_tokens: int = 0
    n_label_tokens: int = 0
    max_tokens: int = 0
    dropped_ids: list[str] = field(default_factory=list)

    def add(self, other: TokenStats) -> TokenStats:
        out = TokenStats()
        for k, v in asdict(self).items():
            if k == "max_tokens":
                out.max_tokens = max(v, other.max_tokens)
            else:
                setattr(out, k, v + getattr(other, k))
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dropped_ids"] = d["dropped_ids"][:50]  # keep the manifest small
        return d


def _ids(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    if not texts:
        return []
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def bos_prefix(tokenizer: Any) -> list[int]:
    """[bos] for LLaMA-style tokenizers; added by hand so train and generate agree exactly."""
    bos = getattr(tokenizer, "bos_token_id", None)
    return [bos] if bos is not None else []


def encode_prompts(tokenizer: Any, prompts: list[str]) -> list[list[int]]:
    """Prompt ids exactly as training saw them (BOS + prompt, no EOS); used by generate."""
    bos = bos_prefix(tokenizer)
    return [bos + ids for ids in _ids(tokenizer, prompts)]


def tokenize_examples(
    tokenizer: Any, df: pd.DataFrame, max_length: int
) -> tuple[list[dict[str, list[int]]], TokenStats]:
    """Token ids and labels for each row; labels are -100 exactly on the prompt positions.

    The full text is tokenized once; when its ids start with the prompt's own ids the
    boundary is exact. If a merge crosses the boundary (rare), prompt ids and response ids
    are concatenated instead, so the training prefix always equals what generate() feeds.
    Over-long rows lose response tokens from the end (and their EOS, since the answer was
    cut); rows whose prompt leaves no room for one response token are dropped.
    """
    eos = tokenizer.eos_token_id
    if eos is None:
        raise InputError("The tokenizer has no EOS token; pick a base model with one.")
    bos = bos_prefix(tokenizer)
    prompts = [format_prompt(i, x) for i, x in zip(df["instruction"], df["input"], strict=True)]
    responses = [RESPONSE_SEPARATOR + out for out in df["output"]]
    prompt_ids = _ids(tokenizer, prompts)
    full_ids = _ids(tokenizer, [p + r for p, r in zip(prompts, responses, strict=True)])
    stats = TokenStats(n_rows=len(df))
    fallback_rows = []
    resp_ids: list[list[int] | None] = []
    for k, (p, f) in enumerate(zip(prompt_ids, full_ids, strict=True)):
        if f[: len(p)] == p:
            resp_ids.append(f[len(p) :])
        else:
            resp_ids.append(None)
            fallback_rows.append(k)
    fallback_ids = _ids(tokenizer, [responses[k] for k in fallback_rows])
    for k, ids in zip(fallback_rows, fallback_ids, strict=True):
        resp_ids[k] = ids
    stats.n_boundary_fallback = len(fallback_rows)

    examples = []
    for row_id, p, r in zip(df["id"], prompt_ids, resp_ids, strict=True):
        assert r is not None  # every fallback row was filled above
        prompt = bos + p
        room = max_length - len(prompt)
        if room < 1:
            stats.n_dropped += 1
            stats.dropped_ids.append(str(row_id))
            continue
        answer = [*r, eos]
        if len(answer) > room:
            answer = answer[:room]
            stats.n_truncated += 1
        input_ids = prompt + answer
        labels = [IGNORE_INDEX] * len(prompt) + answer
        examples.append({"input_ids": input_ids, "labels": labels})
        stats.n_kept += 1
        stats.n_tokens += len(input_ids)
        stats.n_label_tokens += len(answer)
        stats.max_tokens = max(stats.max_tokens, len(input_ids))
    return examples, stats


class TokenizedDataset(torch.utils.data.Dataset):
    """List-backed dataset; items carry input_ids so LengthGroupedSampler can read lengths."""

    def __init__(self, examples: list[dict[str, list[int]]]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return self.examples[i]

    @property
    def lengths(self) -> list[int]:
        return [len(e["input_ids"]) for e in self.examples]


@dataclass
class PaddingCollator:
    """Pads to the longest sequence in the batch (right side); labels padded with -100."""

    pad_token_id: int
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            longest = (longest + m - 1) // m * m
        n = len(features)
        input_ids = torch.full((n, longest), self.pad_token_id, dtype=torch.long)
        labels = torch.full((n, longest), IGNORE_INDEX, dtype=torch.long)
        attention = torch.zeros((n, longest), dtype=torch.long)
        for row, f in enumerate(features):
            k = len(f["input_ids"])
            input_ids[row, :k] = torch.tensor(f["input_ids"], dtype=torch.long)
            labels[row, :k] = torch.tensor(f["labels"], dtype=torch.long)
            attention[row, :k] = 1
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


@dataclass
class PreparedData:
    train: TokenizedDataset
    val: TokenizedDataset | None
    stats: dict[str, Any]


def prepare_data(
    tokenizer: Any, df: pd.DataFrame, max_length: int, val_fraction: float, seed: int,
    val_size: int | None = None,
) -> PreparedData:
    """Split, tokenize and mask; raises InputError when nothing trainable is left."""
    train_df, val_df = split_rows(df, val_fraction, seed, val_size)
    train_ex, train_stats = tokenize_examples(tokenizer, train_df, max_length)
    val_ex, val_stats = tokenize_examples(tokenizer, val_df, max_length)
    if not train_ex:
        raise InputError(
            f"No training example fits max_length {max_length} after adding the prompt; "
            "raise max_length."
        )
    total = train_stats.add(val_stats)
    stats = total.to_dict() | {"n_train": len(train_ex), "n_val": len(val_ex)}
    val = TokenizedDataset(val_ex) if val_ex else None
    return PreparedData(TokenizedDataset(train_ex), val, stats)
