"""The "tiny" base model: a byte-level BPE tokenizer trained on the snapshot + a small LLaMA.

Everything is built locally from a seed, so tests and CPU demos never download anything.
The result is saved as an ordinary transformers folder and reloaded with Auto* classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from honeybee_core.training.config import TinyModelConfig

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]  # ids 0..3, LLaMA-like order
SMALL_MODEL_PARAMS = 50_000_000


def fit_cpu_threads(model: Any) -> None:
    """Run a small model on one CPU thread. Its matrices are too small to split, and extra
    threads spin against every other busy process: on 2 shared cores the tiny model trained 60
    steps in 28 s with 2 threads and 2.7 s with one, and answered 8 prompts in 12 s vs 0.6 s."""
    on_cpu = next(model.parameters()).device.type == "cpu"
    if on_cpu and model.num_parameters() < SMALL_MODEL_PARAMS:
        torch.set_num_threads(1)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE (no unknown bytes possible) wrapped as a fast transformers tokenizer."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    # Same behaviour as LLaMA when callers use add_special_tokens=True: BOS in front, no EOS.
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        padding_side="right",
        model_max_length=1_000_000,
    )


def tiny_llama_config(tokenizer: Any, shape: TinyModelConfig) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads,
        max_position_embeddings=shape.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )


def build_tiny_base(
    texts: Iterable[str], shape: TinyModelConfig, seed: int, out_dir: str | Path
) -> Path:
    """Train the tokenizer, random-init the model from `seed`, save both into out_dir."""
    out_dir = Path(out_dir)
    tokenizer = train_tokenizer(texts, shape.vocab_size)
    config = tiny_llama_config(tokenizer, shape)
    devices: list[int] = []  # fork_rng keeps the caller's global RNG untouched
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
