"""Student inference as a detached process: a run's answers to an evaluation set, in its folder.

    python -m honeybee_core.training.student --config RUN/eval/SET/student.json

For each target the process reads items-<target>.parquet (id, instruction, input), loads the
run's base + adapter (or the checkpoint student.json names) once and appends one JSON line per
answer to answers-<target>.jsonl: target
"student" is base + adapter, "base" is the same base with the adapter switched off. It never
opens the database (the parent ingests the files); status.json reports progress, and a restart
skips what is already answered.
The launch/status helpers import neither torch nor the database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from honeybee_core.errors import InputError, TrainingError
from honeybee_core.training import runner
from honeybee_core.training.files import now_iso, read_json, write_json_atomic
from honeybee_core.training.stopflag import StopFlag

MODULE = "honeybee_core.training.student"
CONFIG_FILE = "student.json"
STATUS_FILE = "status.json"
LOG_FILE = "student.log"
PID_FILE = "student.pid"
TARGETS = ("student", "base")

_CHILDREN: dict[int, subprocess.Popen] = {}  # reaped by _alive, so no zombies linger


@dataclass
class StudentConfig:
    """What one inference process does; saved as student.json next to its outputs."""

    run_dir: str
    targets: list[str] = field(default_factory=lambda: list(TARGETS))
    max_new_tokens: int = 128
    batch_size: int = 8
    decoding: dict[str, Any] | None = None  # a training.decoding.Decoding; None: greedy
    adapter: str | None = None  # the adapter or checkpoint folder; None: the run's newest

    def check(self) -> None:
        unknown = set(self.targets) - set(TARGETS)
        if unknown or not self.targets:
            raise InputError(f"Student targets must be among {', '.join(TARGETS)}; "
                             f"got {', '.join(sorted(unknown)) or 'none'}.")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise InputError("max_new_tokens and batch_size must be at least 1.")


def items_path(folder: str | Path, target: str) -> Path:
    return Path(folder) / f"items-{target}.parquet"


def answers_path(folder: str | Path, target: str) -> Path:
    return Path(folder) / f"answers-{target}.jsonl"


def read_answers(folder: str | Path, target: str) -> dict[str, str]:
    """id -> answer from answers-<target>.jsonl; a half-written last line is ignored."""
    try:
        text = answers_path(folder, target).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    answers = {}
    for line in text.splitlines():
        try:
            rec = json.loads(line)
            answers[str(rec["id"])] = str(rec["answer"])
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return answers


def write_config(folder: str | Path, config: StudentConfig) -> Path:
    config.check()
    path = Path(folder) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, asdict(config))
    return path


def load_config(path: str | Path) -> StudentConfig:
    data = read_json(Path(path))
    if data is None:
        raise InputError(f"Student config {path} is missing or not a JSON object.")
    try:
        config = StudentConfig(**data)
    except TypeError as exc:
        raise InputError(f"Student config {path} has unexpected fields ({exc}).") from None
    config.check()
    return config


def _alive(pid: int | None) -> TypeGuard[int]:
    child = _CHILDREN.get(pid or -1)
    if child is not None:
        return child.poll() is None
    return runner.pid_alive(pid)  # checks the command line names honeybee_core.training


def is_running(folder: str | Path) -> bool:
    info = read_json(Path(folder) / PID_FILE) or {}
    return _alive(info.get("pid"))


def launch(folder: str | Path, python: str | None = None) -> int:
    """Start the inference process for folder/student.json (or return the live one's pid)."""
    folder = Path(folder)
    info = read_json(folder / PID_FILE) or {}
    if _alive(info.get("pid")):
        return int(info["pid"])  # two jobs on one set share one process
    cmd = [python or sys.executable, "-m", MODULE, "--config", str(folder / CONFIG_FILE)]
    with open(folder / LOG_FILE, "ab") as log:
        log.write(f"\n=== launch {now_iso()}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, cwd=folder, env=runner.train_env(),
                                start_new_session=True, close_fds=True)
    _CHILDREN[proc.pid] = proc
    write_json_atomic(folder / PID_FILE, {"pid": proc.pid, "started_at": now_iso(), "command": cmd})
    write_json_atomic(folder / STATUS_FILE, {"state": "starting", "pid": proc.pid, "done": 0,
                                       "total": None, "error": None, "updated_at": now_iso()})
    return proc.pid


def read_status(folder: str | Path) -> dict[str, Any]:
    """status.json; a process that died without saying so is reported failed with its log."""
    folder = Path(folder)
    status = read_json(folder / STATUS_FILE) or {"state": "not_started", "error": None}
    if status.get("state") in ("starting", "running") and not is_running(folder):
        status["state"] = "failed"
        status["error"] = (f"The inference process (pid {status.get('pid')}) ended without "
                           "reporting; see student.log.")
    if status.get("state") == "failed":
        status["log_tail"] = _log_tail(folder)
    return status


def _log_tail(folder: Path, n: int = 20) -> list[str]:
    try:
        return (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines()[-n:]
    except OSError:
        return []


def stop(folder: str | Path) -> None:
    """SIGTERM the inference process group; answers written so far are kept."""
    info = read_json(Path(folder) / PID_FILE) or {}
    pid = info.get("pid")
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(pid), signal.SIGTERM)


# -- the process itself --------------------------------------------------------------------------
def _report(folder: Path, **fields: Any) -> None:
    status = read_json(folder / STATUS_FILE) or {}
    write_json_atomic(folder / STATUS_FILE, {**status, **fields, "pid": os.getpid(),
                                       "updated_at": now_iso()})


def answer_all(folder: str | Path, config: StudentConfig, stop_flag: Any = None) -> int:
    """Answer every unanswered item for every target, appending as each batch finishes; a stop
    request (SIGTERM) ends it between batches, so no answer line is left half-written."""
    import pandas as pd

    from honeybee_core.training.adapters import weights_at
    from honeybee_core.training.inference import AdapterGenerator

    folder = Path(folder)
    todo = {}
    for target in config.targets:
        items = pd.read_parquet(items_path(folder, target), columns=["id", "instruction", "input"])
        items["input"] = items["input"].fillna("")
        todo[target] = items[~items["id"].isin(read_answers(folder, target))]
    total = sum(len(frame) for frame in todo.values())
    count = 0
    _report(folder, state="running", done=count, total=total, error=None)
    if not total:
        _report(folder, state="finished")
        return count
    generator = AdapterGenerator.from_run(
        config.run_dir, weights=weights_at(config.adapter) if config.adapter else None)
    for target in config.targets:
        # shortest prompts together: less padding in each batch
        frame = todo[target].assign(_len=todo[target]["instruction"].str.len()
                                    + todo[target]["input"].str.len()).sort_values("_len")
        for start in range(0, len(frame), config.batch_size):
            if stop_flag is not None and stop_flag.requested:
                _report(folder, state="stopped", done=count)
                return count
            chunk = frame.iloc[start : start + config.batch_size]
            pairs = list(zip(chunk["instruction"], chunk["input"], strict=True))
            answers = _generate(generator, pairs, target, config)
            with open(answers_path(folder, target), "a", encoding="utf-8") as out:
                for item_id, answer in zip(chunk["id"], answers, strict=True):
                    out.write(json.dumps({"id": item_id, "answer": answer},
                                         ensure_ascii=False) + "\n")
            count += len(chunk)
            _report(folder, done=count, phase=target)
    _report(folder, state="finished", done=count)
    return count


def _generate(generator: Any, pairs: list[tuple[str, str]], target: str,
              config: StudentConfig) -> list[str]:
    from honeybee_core.training.decoding import Decoding

    kwargs = {"max_new_tokens": config.max_new_tokens, "batch_size": config.batch_size,
              "decoding": Decoding(**config.decoding) if config.decoding else None}
    if target == "base":  # the untrained base: same weights with the LoRA layers bypassed
        with generator.model.disable_adapter():
            return generator.generate(pairs, **kwargs)
    return generator.generate(pairs, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 finished, 1 failed, 2 invalid config."""
    parser = argparse.ArgumentParser(description="HoneyBee student inference")
    parser.add_argument("--config", required=True, help="path to student.json")
    ns = parser.parse_args(argv)
    flag = StopFlag()
    flag.install()
    folder = Path(ns.config).resolve().parent
    try:
        config = load_config(ns.config)
    except InputError as err:
        _report(folder, state="failed", error=str(err))
        print(f"[honeybee.student] {err}", file=sys.stderr, flush=True)
        return 2
    try:
        answer_all(folder, config, flag)
    except BaseException as err:  # noqa: BLE001 - every failure must reach status.json
        traceback.print_exc()
        ours = isinstance(err, InputError | TrainingError)
        _report(folder, state="failed", error=str(err) if ours else f"{type(err).__name__}: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
