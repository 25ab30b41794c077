"""Fast checks of the training package that need no model: prompts, masking, config, runner IO."""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

import pandas as pd
import pytest

from honeybee_core.errors import InputError
from honeybee_core.training import runner
from honeybee_core.training.callbacks import trim_metrics
from honeybee_core.training.config import RunConfig, load_config, parse_config, save_config
from honeybee_core.training.data import (
    IGNORE_INDEX,
    PaddingCollator,
    encode_prompts,
    format_prompt,
    load_snapshot,
    prepare_data,
    split_rows,
    tokenize_examples,
    training_text,
)
from honeybee_core.training.manifest import git_commit, sha256_file
from honeybee_core.training.synthetic import make_rows, write_snapshot

# The released template (HoneyBee uniform_finetune.py PROMPT_DICT), as bytes: the prompt ends at
# "### Response:" and the answer follows one space later.
ALPACA_INPUT = (
    b"Below is an instruction that describes a task, paired with an input that provides further "
    b"context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
    b"{instruction}\n\n### Input:\n{input}\n\n### Response:"
).decode()
ALPACA_NO_INPUT = (
    b"Below is an instruction that describes a task. Write a response that appropriately "
    b"completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:"
).decode()
# sha256 of the two unformatted templates as released, so a stray byte anywhere shows up.
ALPACA_SHA256 = {
    "input": "28811e9850d9511bab334d167a03a8a37614535fdb28d645492efac8e9951c0f",
    "no_input": "35101bc36d10997c7d926d8f21f7d173aec6523f3a57d78821b944a89925cdca",
}


class CharTokenizer:
    """One id per character (id = ord + 10), plus optional multi-char merges.

    Positions are then countable by hand; a merge such as ":\\nT" crosses the prompt/response
    boundary on purpose to exercise the fallback path.
    """

    bos_token_id = 1
    eos_token_id = 2
    pad_token_id = 0

    def __init__(self, merges: tuple[str, ...] = ()) -> None:
        self.merges = {m: 100_000 + k for k, m in enumerate(merges)}

    def _encode(self, text: str) -> list[int]:
        ids, i = [], 0
        while i < len(text):
            for m, mid in self.merges.items():
                if text.startswith(m, i):
                    ids.append(mid)
                    i += len(m)
                    break
            else:
                ids.append(ord(text[i]) + 10)
                i += 1
        return ids

    def __call__(self, texts: list[str], add_special_tokens: bool = False) -> dict:
        assert add_special_tokens is False
        return {"input_ids": [self._encode(t) for t in texts]}


def _df(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    keys = ("instruction", "input", "output")
    return pd.DataFrame(
        [{"id": f"r{k}", **dict(zip(keys, r, strict=True))} for k, r in enumerate(rows)]
    )


def _chars(text: str) -> list[int]:
    return [ord(c) + 10 for c in text]


# ---------------------------------------------------------------- prompts


def test_alpaca_templates_are_the_released_bytes() -> None:
    from honeybee_core.training import data

    assert hashlib.sha256(data.PROMPT_INPUT.encode()).hexdigest() == ALPACA_SHA256["input"]
    assert hashlib.sha256(data.PROMPT_NO_INPUT.encode()).hexdigest() == ALPACA_SHA256["no_input"]
    assert data.PROMPT_INPUT == ALPACA_INPUT and data.PROMPT_NO_INPUT == ALPACA_NO_INPUT
    # the answer follows "### Response:" after one space, as in the released training text
    assert data.training_text("Q?", "", "A.").endswith("### Response: A.")


def test_alpaca_templates_are_exact() -> None:
    assert format_prompt("Define a phonon.", "In solids.") == ALPACA_INPUT.format(
        instruction="Define a phonon.", input="In solids."
    )
    assert format_prompt("Define a phonon.", "") == ALPACA_NO_INPUT.format(
        instruction="Define a phonon."
    )
    assert format_prompt("Define a phonon.", "  \n") == format_prompt("Define a phonon.", None)


# ---------------------------------------------------------------- masking


def test_labels_mask_exactly_the_prompt_positions() -> None:
    tok = CharTokenizer()
    rows = [("Band gap of Si?", "", "1.12 eV"), ("Formula?", "The material is rutile.", "TiO2")]
    examples, stats = tokenize_examples(tok, _df(rows), max_length=10_000)
    assert stats.n_kept == 2 and stats.n_truncated == stats.n_dropped == 0
    for (instr, inp, out), ex in zip(rows, examples, strict=True):
        prompt = format_prompt(instr, inp)
        n_prompt = 1 + len(prompt)  # BOS + one id per character
        assert ex["input_ids"] == [1, *_chars(prompt), *_chars(" " + out), 2]
        assert ex["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt
        assert ex["labels"][n_prompt:] == [*_chars(" " + out), 2]  # " " + response + EOS kept
        assert IGNORE_INDEX not in ex["labels"][n_prompt:]
        # The training prefix is exactly what generation feeds the model.
        assert ex["input_ids"][:n_prompt] == encode_prompts(tok, [prompt])[0]


def test_merge_across_the_boundary_falls_back_to_concatenation() -> None:
    tok = CharTokenizer(merges=(": T",))  # "### Response:" + " TiO2" would merge
    examples, stats = tokenize_examples(tok, _df([("Formula?", "", "TiO2")]), 10_000)
    prompt = format_prompt("Formula?", "")
    prompt_ids = encode_prompts(tok, [prompt])[0]
    assert stats.n_boundary_fallback == 1
    ex = examples[0]
    assert ex["input_ids"][: len(prompt_ids)] == prompt_ids
    assert ex["labels"] == [IGNORE_INDEX] * len(prompt_ids) + [*_chars(" TiO2"), 2]


def test_truncation_cuts_the_response_and_keeps_the_prompt() -> None:
    tok = CharTokenizer()
    prompt = format_prompt("Explain.", "")
    n_prompt = 1 + len(prompt)
    out = "A long answer about dislocations."
    examples, stats = tokenize_examples(tok, _df([("Explain.", "", out)]), n_prompt + 3)
    assert stats.n_truncated == 1 and stats.n_dropped == 0
    ex = examples[0]
    assert len(ex["input_ids"]) == n_prompt + 3
    assert ex["input_ids"][:n_prompt] == [1, *_chars(prompt)]
    assert ex["labels"][n_prompt:] == _chars(" A ")  # cut answer: no EOS taught


def test_exact_fit_keeps_eos_and_one_over_truncates() -> None:
    tok = CharTokenizer()
    n_full = 1 + len(format_prompt("Q", "")) + len(" ok") + 1
    fit, s1 = tokenize_examples(tok, _df([("Q", "", "ok")]), n_full)
    assert s1.n_truncated == 0 and fit[0]["labels"][-1] == 2
    cut, s2 = tokenize_examples(tok, _df([("Q", "", "ok")]), n_full - 1)
    assert s2.n_truncated == 1 and cut[0]["labels"][-3:] == _chars(" ok")  # only EOS lost


def test_prompt_overflow_is_dropped_and_counted() -> None:
    tok = CharTokenizer()
    long_input = "context " * 50
    rows = [("Q", long_input, "yes"), ("Q", "", "yes")]
    n_prompt = 1 + len(format_prompt("Q", long_input))
    examples, stats = tokenize_examples(tok, _df(rows), n_prompt)  # no room for a response token
    assert stats.n_dropped == 1 and stats.dropped_ids == ["r0"] and len(examples) == 1
    kept, stats = tokenize_examples(tok, _df(rows[:1]), n_prompt + 1)  # exactly one token of room
    assert stats.n_dropped == 0 and stats.n_truncated == 1
    assert [x for x in kept[0]["labels"] if x != IGNORE_INDEX] == _chars(" ")


def test_no_kept_example_is_ever_fully_masked() -> None:
    rng = random.Random(3)
    tok = CharTokenizer(merges=(": T", "e ", "th"))
    rows = [(f"Q{k}", "x" * rng.randint(0, 60), "T" + "e" * rng.randint(0, 40)) for k in range(200)]
    for max_length in (120, 150, 200, 400):
        examples, stats = tokenize_examples(tok, _df(rows), max_length)
        assert stats.n_kept + stats.n_dropped == len(rows)
        for ex in examples:
            assert len(ex["input_ids"]) == len(ex["labels"]) <= max_length
            assert any(label != IGNORE_INDEX for label in ex["labels"])


def test_real_bpe_tokenizer_masks_exactly() -> None:
    from honeybee_core.training.tiny import train_tokenizer

    rows = make_rows(60, seed=4)
    texts = [training_text(r["instruction"], r["input"], r["output"]) for r in rows]
    tok = train_tokenizer(texts, vocab_size=600)
    df = pd.DataFrame(rows)
    examples, stats = tokenize_examples(tok, df, 1024)
    assert stats.n_boundary_fallback == 0  # byte-level BPE splits before the space
    for row, ex in zip(rows, examples, strict=True):
        prompt = format_prompt(row["instruction"], row["input"])
        prompt_ids = encode_prompts(tok, [prompt])[0]
        n = len(prompt_ids)
        assert ex["input_ids"][:n] == prompt_ids
        assert ex["labels"][:n] == [IGNORE_INDEX] * n
        assert ex["labels"][-1] == tok.eos_token_id
        assert tok.decode(ex["input_ids"][n:-1]) == " " + row["output"]
        assert tok.decode(ex["input_ids"][1:n]) == prompt


def test_collator_pads_to_the_longest_in_batch() -> None:
    batch = PaddingCollator(pad_token_id=0)(
        [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8], "labels": [8]}]
    )
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    padded = PaddingCollator(0, pad_to_multiple_of=8)([{"input_ids": [1], "labels": [1]}])
    assert padded["input_ids"].shape == (1, 8)


# ---------------------------------------------------------------- split and snapshot


def test_split_is_seeded_disjoint_and_order_independent() -> None:
    df = pd.DataFrame(make_rows(50, seed=1))
    train, val = split_rows(df, 0.2, seed=7)
    assert len(val) == 10 and len(train) == 40
    assert not set(train["id"]) & set(val["id"])
    shuffled = df.sample(frac=1.0, random_state=0)
    _, val2 = split_rows(shuffled, 0.2, seed=7)
    assert sorted(val2["id"]) == sorted(val["id"])
    _, val3 = split_rows(df, 0.2, seed=8)
    assert sorted(val3["id"]) != sorted(val["id"])
    train0, val0 = split_rows(df, 0.0, seed=7)
    assert len(val0) == 0 and len(train0) == 50


def test_prepare_data_reports_stats() -> None:
    df = _df([("Q", "", "a" * k) for k in range(1, 21)])
    data = prepare_data(CharTokenizer(), df, max_length=10_000, val_fraction=0.25, seed=0)
    assert data.stats["n_train"] == 15 and data.stats["n_val"] == 5
    assert data.stats["n_rows"] == 20 and data.val is not None
    with pytest.raises(InputError, match="max_length"):
        prepare_data(CharTokenizer(), df, max_length=5, val_fraction=0.25, seed=0)


def test_load_snapshot_checks_columns_and_ignores_extras(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "s.parquet", 5)
    df = load_snapshot(path)
    assert list(df.columns) == ["id", "instruction", "input", "output"]
    pd.DataFrame({"id": ["a"], "instruction": ["x"], "output": ["y"]}).to_parquet(tmp_path / "b.pq")
    with pytest.raises(InputError, match="lacks column"):
        load_snapshot(tmp_path / "b.pq")
    pd.DataFrame({"id": [1], "instruction": ["x"], "input": [None], "output": ["y"]}).to_parquet(
        tmp_path / "n.pq"
    )
    assert load_snapshot(tmp_path / "n.pq")["input"].tolist() == [""]
    with pytest.raises(InputError, match="does not exist"):
        load_snapshot(tmp_path / "missing.parquet")


# ---------------------------------------------------------------- config


def test_config_defaults_and_roundtrip(tmp_path: Path) -> None:
    cfg = parse_config({"snapshot_path": "s.parquet", "out_dir": "out"})
    assert (cfg.lora_r, cfg.lora_alpha, cfg.lora_dropout) == (8, 16, 0.05)
    assert cfg.target_modules == ["q_proj", "v_proj"] and cfg.learning_rate == 1e-4
    assert cfg.max_steps == -1 and cfg.precision == "auto" and cfg.base_model == "tiny"
    path = save_config(cfg.resolved(), tmp_path / "run.json")
    again = load_config(path)
    assert again.out_dir.is_absolute() and again.lora_r == 8


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"lora_r": 0}, "lora_r"),
        ({"save_steps": 30, "eval_steps": 20}, "multiple of eval_steps"),
        ({"learning_rte": 1e-4}, "learning_rte"),
        ({"precision": "fp8"}, "precision"),
        ({"max_steps": 0}, "max_steps"),
        ({"max_length": 4096}, "max_position_embeddings"),
    ],
)
def test_bad_config_is_one_sentence_input_error(override: dict, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        parse_config({"snapshot_path": "s.parquet", "out_dir": "o", **override})
    assert "\n" not in str(info.value)


def test_load_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")


def test_check_inputs_reports_missing_files(tmp_path: Path) -> None:
    cfg = RunConfig(snapshot_path=tmp_path / "none.parquet", out_dir=tmp_path / "o")
    with pytest.raises(InputError, match="Snapshot"):
        cfg.check_inputs()
    snap = write_snapshot(tmp_path / "s.parquet", 3)
    bad_base = RunConfig(snapshot_path=snap, out_dir=tmp_path / "o", base_model=str(tmp_path))
    with pytest.raises(InputError, match=r"config\.json"):
        bad_base.check_inputs()


# ---------------------------------------------------------------- runner / metrics IO


def test_read_metrics_is_incremental_and_skips_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"kind": "train", "step": 1}\n{"kind": "train", "step": 2}\n{"kind"')
    recs, nxt = runner.read_metrics(tmp_path)
    assert [r["step"] for r in recs] == [1, 2] and nxt == 2
    with path.open("a") as fh:
        fh.write(': "eval", "step": 2}\n{"kind": "train", "step": 3}\n')
    recs, nxt = runner.read_metrics(tmp_path, since_line=nxt)
    assert [(r["kind"], r["step"]) for r in recs] == [("eval", 2), ("train", 3)] and nxt == 4
    assert runner.read_metrics(tmp_path / "none") == ([], 0)


def test_trim_metrics_drops_steps_past_the_checkpoint(tmp_path: Path) -> None:
    lines = [{"kind": "train", "step": s, "wall_s": s * 1.5} for s in (1, 5, 10, 15)]
    lines.append({"kind": "summary", "step": 15})
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert trim_metrics(tmp_path, 10) == 15.0
    recs, _ = runner.read_metrics(tmp_path)
    assert [r["step"] for r in recs] == [1, 5, 10]


def test_status_of_a_never_started_run(tmp_path: Path) -> None:
    assert runner.read_status(tmp_path)["state"] == "not_started"
    assert not runner.is_running(tmp_path)
    assert runner.stop(tmp_path) is True


def test_dead_pid_in_status_is_reported_failed(tmp_path: Path) -> None:
    (tmp_path / "status.json").write_text(json.dumps({"state": "running", "pid": 2**22 + 7}))
    (tmp_path / "train.log").write_text("".join(f"line {k}\n" for k in range(30)))
    st = runner.read_status(tmp_path)
    assert st["state"] == "failed" and not st["alive"]
    assert st["log_tail"] == [f"line {k}" for k in range(10, 30)]
    # Our own pid is alive but is not a training process (pid reuse guard).
    (tmp_path / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    assert runner.read_status(tmp_path)["state"] == "failed"


def test_build_commands_preview() -> None:
    cmds = runner.build_commands("/runs/a b/run.json", nproc=2, cpu=True)
    tail = "-m honeybee_core.training.train --config '/runs/a b/run.json'"
    assert cmds["python"] == f"python {tail}"
    assert cmds["torchrun"] == f"torchrun --standalone --nproc_per_node 2 {tail}"
    assert cmds["accelerate"] == f"accelerate launch --cpu --num_processes 1 {tail}"
    gpu = runner.build_commands("run.json", nproc=4)
    assert gpu["accelerate"].startswith("accelerate launch --multi_gpu --num_processes 4 -m ")
    with pytest.raises(InputError):
        runner.build_commands("run.json", nproc=0)


def test_manifest_helpers(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"honeybee" * 1000)
    assert sha256_file(f) == hashlib.sha256(b"honeybee" * 1000).hexdigest()
    commit = git_commit()
    assert commit is None or (len(commit) == 40 and int(commit, 16) >= 0)
    assert git_commit(tmp_path) is None
