"""Start, watch and stop training runs as detached processes (no database, no torch import).

The UI calls launch() and then polls read_status()/read_metrics(); the training process
writes everything it reports into its out_dir, so a restarted UI loses nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from honeybee_core.errors import InputError, TrainingError
from honeybee_core.training.config import RunConfig, last_checkpoint, load_config, save_config
from honeybee_core.training.files import now_iso, read_json, write_json_atomic
from honeybee_core.training.status import checkpoint_step, previous_max_steps

MODULE = "honeybee_core.training.train"
PID_FILE = "train.pid"
LOG_FILE = "train.log"
RUN_FILE = "run.json"
STATUS_FILE = "status.json"  # training.status writes it
METRICS_FILE = "metrics.jsonl"
LOCK_FILE = "training.lock"
TRAINER_LOCK = "trainer.lock"  # flock held by the one trainer of a run folder while it lives
LOCK_FD_ENV = "HONEYBEE_TRAINER_LOCK_FD"  # set for a child that inherited the held lock
REPO_ROOT = Path(__file__).resolve().parents[2]

# Popen objects of runs started by this process, so their exits are reaped (no zombies).
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass
class LaunchInfo:
    pid: int
    out_dir: Path
    config_path: Path
    log_path: Path
    command: list[str]


def pid_alive(pid: int | None) -> TypeGuard[int]:
    """True while `pid` is a live (non-zombie) HoneyBee training process."""
    if not pid or pid <= 0:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:  # our own child: poll() is exact and reaps it
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            # Guard against pid reuse: the process must still be one of ours.
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            if b"honeybee_core.training" not in cmdline:
                return False
        except (OSError, IndexError):
            pass
    return True


def _run_pid(out_dir: Path) -> int | None:
    info = read_json(Path(out_dir) / PID_FILE)
    return int(info["pid"]) if info and info.get("pid") else None


def is_running(out_dir: str | Path) -> bool:
    """Whether the run in out_dir has a live process (launched by us or reporting status)."""
    out_dir = Path(out_dir)
    status = read_json(out_dir / STATUS_FILE) or {}
    return pid_alive(_run_pid(out_dir)) or (
        status.get("state") in ("running", "starting") and pid_alive(status.get("pid"))
    )


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Serialises concurrent launch() calls (two browser tabs clicking Start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def hold_trainer_lock(out_dir: Path) -> int:
    """An open descriptor holding the run folder's trainer lock (flock: the kernel frees it
    when the last holder exits, even on kill -9); TrainingError while another trainer has it."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / TRAINER_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:  # a file in the way, no permission, or a planted symlink (ELOOP)
        raise TrainingError(f"Cannot take the trainer lock {out_dir / TRAINER_LOCK} "
                            f"({exc.strerror or exc}); check the run folder.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise TrainingError(
            f"Another trainer (pid {holder}) is running for {out_dir}: one trainer per run "
            "folder. Stop it first, or wait for it to end."
        ) from None
    return fd


def _note_holder(fd: int, pid: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{pid}\n".encode(), 0)


def check_snapshot(path: Path) -> None:
    """InputError unless path is a Parquet file with rows and the snapshot columns (read from
    its footer only), so a wrong file is refused before anything launches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from honeybee_core.training.config import SNAPSHOT_COLUMNS

    try:
        meta = pq.read_metadata(path)
        names = set(meta.schema.to_arrow_schema().names)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"Snapshot {path} is not a Parquet file ({str(exc).splitlines()[0][:120]}); give a "
            "snapshot id or a Parquet file from `honeybee curate` / `honeybee export`."
        ) from None
    missing = [c for c in SNAPSHOT_COLUMNS if c not in names]
    if missing:
        raise InputError(f"Snapshot {path} lacks column(s) {', '.join(missing)}; it needs "
                         f"{', '.join(SNAPSHOT_COLUMNS)}.")
    if meta.num_rows == 0:
        raise InputError(f"Snapshot {path} has no rows; approve some items first.")


def _as_config(config: RunConfig | str | Path) -> RunConfig:
    if isinstance(config, RunConfig):
        return config
    return load_config(config)


def train_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a training child: this checkout importable, unbuffered logs."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def launch(
    config: RunConfig | str | Path,
    *,
    force: bool = False,
    lock_dir: str | Path | None = None,
    python: str | None = None,
    env: dict[str, str] | None = None,
) -> LaunchInfo:
    """Start a detached training process for `config`; TrainingError if one is already alive.

    `lock_dir` (optional) is shared by runs that must not overlap (e.g. one per machine);
    force=True launches anyway, leaving any live run alone.
    """
    cfg = _as_config(config).resolved()
    cfg.check_inputs()
    check_snapshot(cfg.snapshot_path)
    out_dir = cfg.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Run folder {out_dir} cannot be created ({exc.strerror or exc}); "
                         "choose another out_dir.") from None
    lock_path = Path(lock_dir) / LOCK_FILE if lock_dir is not None else None
    shared = _flock(lock_path.with_suffix(".guard")) if lock_path else contextlib.nullcontext()
    with _flock(out_dir / ".launch.lock"), shared:
        if not force:
            if is_running(out_dir):
                raise TrainingError(
                    f"A training run is still alive in {out_dir}; stop it first or launch with "
                    "force."
                )
            holder = read_json(lock_path) if lock_path else None
            if holder and pid_alive(holder.get("pid")):
                raise TrainingError(
                    f"Training run {holder.get('out_dir')} (pid {holder.get('pid')}) holds the "
                    f"lock in {lock_dir}; wait for it or stop it first."
                )
        held = hold_trainer_lock(out_dir)  # force or not: never two trainers in one folder
        try:
            config_path = save_config(cfg, out_dir / RUN_FILE)
            log_path = out_dir / LOG_FILE
            cmd = [python or sys.executable, "-m", MODULE, "--config", str(config_path)]
            with open(log_path, "ab") as log:
                log.write(f"\n=== launch {now_iso()}: {shlex.join(cmd)}\n".encode())
                log.flush()
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=out_dir,
                    env=train_env({**(env or {}), LOCK_FD_ENV: str(held)}),
                    start_new_session=True,  # own process group: stop() signals it as a whole
                    close_fds=True,
                    pass_fds=(held,),  # the child inherits the held lock and keeps it to its end
                )
            _note_holder(held, proc.pid)
        finally:
            os.close(held)  # ours only; the child's copy keeps the lock
        _CHILDREN[proc.pid] = proc
        record = {"pid": proc.pid, "started_at": now_iso(), "command": cmd}
        step, max_steps = _starting_point(cfg)
        write_json_atomic(out_dir / PID_FILE, record)
        if lock_path is not None:
            write_json_atomic(lock_path, record | {"out_dir": str(out_dir)})
        write_json_atomic(
            out_dir / STATUS_FILE,
            {
                "state": "starting",
                "phase": "launching",
                "pid": proc.pid,
                "step": step,
                "max_steps": max_steps,
                "started_at": record["started_at"],
                "updated_at": record["started_at"],
                "eta_s": None,
                "error": None,
            },
        )
    return LaunchInfo(proc.pid, out_dir, config_path, log_path, cmd)


def _starting_point(cfg: RunConfig) -> tuple[int, int | None]:
    """(step, max_steps) a launch reports before the trainer does: a resumed run stands at its
    last checkpoint's step from the first moment, not at 0."""
    ckpt = last_checkpoint(cfg.out_dir) if cfg.resume else None
    max_steps = cfg.max_steps if cfg.max_steps > 0 else None
    if ckpt is None:
        return 0, max_steps
    return checkpoint_step(ckpt), max_steps or previous_max_steps(cfg.out_dir)


def log_tail(out_dir: str | Path, n: int = 20) -> list[str]:
    path = Path(out_dir) / LOG_FILE
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64_000))
            lines = fh.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return lines[-n:]


def read_status(out_dir: str | Path) -> dict[str, Any]:
    """status.json plus `alive`; a 'running' run whose process is gone is reported failed."""
    out_dir = Path(out_dir)
    status = read_json(out_dir / STATUS_FILE)
    launched = read_json(out_dir / PID_FILE) or {}
    if status is None:
        if not launched:
            return {"state": "not_started", "alive": False, "error": None}
        status = {"state": "starting", "pid": launched.get("pid"), "error": None}
    alive = is_running(out_dir)
    status["alive"] = alive
    if status.get("state") in ("running", "starting") and not alive:
        tail = log_tail(out_dir)
        status["state"] = "failed"
        status["error"] = (
            f"The training process (pid {status.get('pid')}) ended without reporting; it was "
            "killed or crashed. See the log tail."
        )
        status["log_tail"] = tail
    elif status.get("state") == "failed":
        status["log_tail"] = log_tail(out_dir)
    return status


def read_metrics(out_dir: str | Path, since_line: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Metric records from line `since_line` on, and the line number to pass next time.

    A half-written last line is left for the next call. If the file is shorter than
    since_line (a resume trimmed it), reading restarts at 0: upsert records by (kind, step).
    """
    path = Path(out_dir) / METRICS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], 0
    lines = text.split("\n")
    complete = lines[:-1]  # the last element is '' or an unfinished line
    if since_line > len(complete):
        since_line = 0
    records = []
    for line in complete[since_line:]:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records, len(complete)


def stop(out_dir: str | Path, timeout: float | None = None) -> bool:
    """SIGTERM the run's process group (clean stop at the next step, with a checkpoint).

    Returns True if the process is gone (or was not running); with timeout=None it only
    sends the signal and returns whether it was delivered.
    """
    out_dir = Path(out_dir)
    pids = {_run_pid(out_dir), (read_json(out_dir / STATUS_FILE) or {}).get("pid")}
    targets = [p for p in pids if pid_alive(p)]
    if not targets:
        return True
    for pid in targets:
        try:
            os.killpg(os.getpgid(pid), signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            continue
    if timeout is None:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p) for p in targets):
            return True
        time.sleep(0.2)
    return False


def wait(out_dir: str | Path, timeout: float = 600.0, poll_s: float = 0.2) -> dict[str, Any]:
    """Block until the run is no longer alive (or timeout); returns read_status()."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_running(out_dir):
        time.sleep(poll_s)
    return read_status(out_dir)


def build_commands(
    config_path: str | Path, nproc: int = 1, cpu: bool | None = None
) -> dict[str, str]:
    """Equivalent shell lines for a run.json (for the UI to preview or copy).

    Several CPU processes need torchrun (gloo); `accelerate launch --cpu` runs one process
    unless MPI is configured, so its CPU line stays single-process.
    """
    if nproc < 1:
        raise InputError(f"nproc must be at least 1, got {nproc}.")
    path = shlex.quote(str(config_path))
    tail = f"-m {MODULE} --config {path}"
    if cpu:
        accel = "accelerate launch --cpu --num_processes 1"
    elif nproc > 1:
        accel = f"accelerate launch --multi_gpu --num_processes {nproc}"
    else:
        accel = "accelerate launch --num_processes 1"
    return {
        "python": f"python {tail}",
        "torchrun": f"torchrun --standalone --nproc_per_node {nproc} {tail}",
        "accelerate": f"{accel} {tail}",
    }
