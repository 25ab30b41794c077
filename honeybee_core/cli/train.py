"""`honeybee train`: LoRA finetuning on a snapshot, or the run.json it would use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from honeybee_core.cli.common import DbOption, JsonOption, app, emit, json_file, open_repo
from honeybee_core.errors import InputError


@app.command()
def train(
    snapshot: Annotated[str | None, typer.Option(help="Snapshot id or Parquet file.")] = None,
    base_model: Annotated[str, typer.Option(help="tiny, a local path, or a hub id (downloads "
                                            "only when you name one).")] = "tiny",
    init_adapter: Annotated[Path | None, typer.Option(help="Continue from this adapter "
                                                      "(progressive stages).")] = None,
    epochs: Annotated[float | None, typer.Option(help="Epochs (default 3).")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after K optimizer steps.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Default 1e-4.")] = None,
    lora_r: Annotated[int | None, typer.Option(help="Default 8.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Per-device batch (default 4).")]
    = None,
    config: Annotated[Path | None, typer.Option(help="JSON file of further run.json fields.")]
    = None,
    stage: Annotated[int | None, typer.Option(help="Stage this run trains.")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default data/runs/<id>).")]
    = None,
    resume: Annotated[str | None, typer.Option(help="Resume this run id from its last "
                                               "checkpoint.")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Return once started.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Launch even if a run is active.")]
    = False,
    preset: Annotated[str, typer.Option(help="Recipe: paper (the released HoneyBee recipe) or "
                                        "fast (CPU-friendly defaults).")] = "fast",
    print_config: Annotated[bool, typer.Option("--print-config", help="Print the resolved "
                                               "run.json and launch nothing.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """LoRA-finetune on a snapshot (a preset recipe); waits unless --detach."""
    from honeybee_core import training_runs
    from honeybee_core.auth import CLI_ACTOR

    given = {"base_model": base_model, "init_adapter": init_adapter, "epochs": epochs,
             "max_steps": max_steps, "learning_rate": learning_rate, "lora_r": lora_r,
             "per_device_batch_size": batch_size}
    if print_config:
        _print_config(preset, {**(json_file(config) if config else {}),
                               **{k: str(v) if isinstance(v, Path) else v
                                  for k, v in given.items() if v is not None}}, out)
        return
    repo = open_repo(db)
    if resume:
        run = training_runs.resume_run(repo, resume, CLI_ACTOR, extra_steps=max_steps)
    else:
        if not snapshot:
            raise InputError("Give --snapshot ID|FILE (or --resume RUN_ID).")
        overrides = json_file(config) if config else {}
        overrides |= {k: str(v) if isinstance(v, Path) else v for k, v in given.items()
                      if v is not None}
        run = training_runs.launch_run(repo, snapshot, CLI_ACTOR, overrides=overrides,
                                       stage=stage, out_dir=out, force=force,
                                       preset=preset)
    if not detach:
        run = training_runs.wait_for(repo, run["id"], on_update=None if as_json else _show_run,
                                     actor=CLI_ACTOR)
    emit(run, as_json, f"\nRun {run['id']}: {run['status']} at step {run['step']}; "
         f"folder {run['out_dir']}")
    if run["status"] == "failed":
        raise typer.Exit(1)

def _print_config(preset: str, overrides: dict[str, Any], out: Path | None) -> None:
    """The run.json a launch with these settings would write, resolved for this machine's
    devices; what the machine changes at start (8-bit loading) is one line on stderr."""
    from honeybee_core.training import presets

    cuda, bnb, bf16_ok, gpus = presets.machine()
    config = presets.build_config(preset, overrides, out, world_size=max(1, gpus))
    loading = presets.resolve_loading(config.base_8bit, config.precision, cuda, bnb, bf16_ok)
    if loading.note:
        typer.echo(f"note: {loading.note}", err=True)
    typer.echo(config.model_dump_json(indent=2))


def _show_run(run: dict[str, Any]) -> None:
    typer.echo(f"\r{run['status']} step {run['step']}/{run['max_steps'] or '?'}", err=True,
               nl=False)
