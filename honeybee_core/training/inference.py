"""Student inference in process: batched answers from a run (base + its LoRA adapter, or its
latest checkpoint) with the Alpaca prompt; how they are decoded is a training.decoding preset."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from honeybee_core.errors import TrainingError
from honeybee_core.training.adapters import Weights, find_weights
from honeybee_core.training.data import encode_prompts, format_prompt
from honeybee_core.training.decoding import (  # noqa: F401 - public here too
    DECODING_PRESETS,
    Decoding,
    decoding_preset,
)
from honeybee_core.training.files import read_json


def _base_location(run_dir: Path, manifest: dict[str, Any]) -> str:
    base = manifest.get("base_model", {})
    if (run_dir / "base" / "config.json").is_file():
        return str(run_dir / "base")  # tiny runs carry their own base; survives moving the folder
    path = base.get("path") or base.get("name")
    if not path:  # a checkpoint has no manifest: the run's own config names the base
        path = (read_json(run_dir / "run.json") or {}).get("base_model")
    if not path:
        raise TrainingError(f"Run {run_dir} has no base model recorded in its manifest or "
                            "run.json.")
    return str(path)


class AdapterGenerator:
    """Holds base + adapter in memory so evaluation can call generate() many times."""

    def __init__(self, model: Any, tokenizer: Any, manifest: dict[str, Any]) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.manifest = manifest
        self.weights: Weights | None = None  # which adapter folder from_run loaded

    @classmethod
    def from_run(cls, run_dir: str | Path, device: str | None = None,
                 weights: Weights | None = None) -> AdapterGenerator:
        """Load the run's LoRA weights onto the base model it was trained on: the final adapter,
        or the latest checkpoint when that is newer or the only one (see training.adapters)."""
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from honeybee_core.training.tiny import fit_cpu_threads

        run_dir = Path(run_dir)
        weights = weights or find_weights(run_dir)
        if weights is None:
            raise TrainingError(f"Run {run_dir} has neither an adapter nor a checkpoint yet; "
                                "wait for its first checkpoint.")
        adapter = weights.path
        manifest_path = run_dir / "adapter" / "manifest.json"
        manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
        base = _base_location(run_dir, manifest)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        tok_src = adapter if (adapter / "tokenizer_config.json").is_file() else Path(base)
        tokenizer = AutoTokenizer.from_pretrained(str(tok_src))
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
        # transformers declares to() through @wraps(Module.to), which hides the bound signature
        model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype).to(device)  # type: ignore[arg-type]
        fit_cpu_threads(model)
        model = PeftModel.from_pretrained(model, str(adapter))
        generator = cls(model, tokenizer, manifest)
        generator.weights = weights
        return generator

    @torch.inference_mode()
    def generate(
        self,
        items: Sequence[tuple[str, str]],
        max_new_tokens: int = 128,
        batch_size: int = 8,
        decoding: Decoding | None = None,
    ) -> list[str]:
        """Answers for (instruction, input) pairs, in order; greedy unless decoding says
        otherwise (then its own max_new_tokens applies). Sampling is seeded per batch."""
        decoding = decoding or Decoding(max_new_tokens=max_new_tokens)
        prompts = [format_prompt(instr, inp) for instr, inp in items]
        ids = encode_prompts(self.tokenizer, prompts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # less padding per batch
        answers: list[str] = [""] * len(ids)
        pad = self.tokenizer.pad_token_id
        device = next(self.model.parameters()).device
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            longest = max(len(ids[i]) for i in chunk)
            # Left padding: every prompt ends where generation starts.
            input_ids = torch.full((len(chunk), longest), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), longest), dtype=torch.long)
            for row, i in enumerate(chunk):
                input_ids[row, longest - len(ids[i]) :] = torch.tensor(ids[i])
                mask[row, longest - len(ids[i]) :] = 1
            if decoding.do_sample:
                torch.manual_seed(decoding.seed + start)
            out = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                pad_token_id=pad,
                eos_token_id=self.tokenizer.eos_token_id,
                **decoding.generate_kwargs(),
            )
            for row, i in enumerate(chunk):
                new = out[row, longest:]
                answers[i] = self.tokenizer.decode(new, skip_special_tokens=True).strip()
        return answers


def generate_answers(
    run_dir: str | Path,
    items: Sequence[tuple[str, str]],
    max_new_tokens: int = 128,
    batch_size: int = 8,
    decoding: Decoding | None = None,
) -> list[str]:
    """One-shot helper: load the run's adapter and answer every (instruction, input)."""
    gen = AdapterGenerator.from_run(run_dir)
    return gen.generate(items, max_new_tokens=max_new_tokens, batch_size=batch_size,
                        decoding=decoding)
