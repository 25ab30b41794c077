"""`honeybee agreement | curate`: the audit numbers and frozen snapshots for training."""

from __future__ import annotations

from typing import Annotated

import typer

from honeybee_core.cli.common import (
    DbOption,
    JsonOption,
    app,
    cli_actor,
    emit,
    get_settings,
    open_repo,
)


@app.command()
def agreement(
    verifier: Annotated[str | None, typer.Option(help="Only this verifier.")] = None,
    annotator: Annotated[str | None, typer.Option(help="Only this reviewer.")] = None,
    stage: Annotated[int | None, typer.Option(help="Only items of this stage.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only items of this topic.")] = None,
    blind_only: Annotated[bool, typer.Option("--blind-only", help="Only blind ratings.")]
    = False,
    rule: Annotated[str | None, typer.Option(help="Filter rule to score against expert "
                                             "approvals (default from settings).")] = None,
    bootstrap: Annotated[bool, typer.Option("--bootstrap", help="Bootstrap CIs (1,000 "
                                            "resamples) instead of Fisher z.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verifier vs experts, experts vs each other, and the filter rule against approvals."""
    from honeybee_core import audit

    result = audit.report(
        open_repo(db),
        audit.AuditFilters(verifier, annotator, stage, topic, blind_only),
        rule=rule or get_settings().filter_rule, ci="bootstrap" if bootstrap else "fisher",
    )
    lines = [f"{result['counts']['items']} items, {result['counts']['reviewers']} reviewers, "
             f"{result['counts']['verifiers']} verifiers (paper: 0.6-0.8)"]
    for row in result["verifier_vs_experts"]:
        if row["status"] == "ok":
            lines.append(f"{row['dimension']:>15} {row['method']:>8}: {row['estimate']:.3f} "
                         f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}] n={row['n']}")
        else:
            lines.append(f"{row['dimension']:>15} {row['method']:>8}: {row['message']}")
    emit(result, as_json, "\n".join(lines))


@app.command()
def curate(
    rule: Annotated[str | None, typer.Option(help="Verifier rule (default from settings).")]
    = None,
    require_approval: Annotated[bool, typer.Option(
        "--require-approval", help="Only items a curator approved.")] = False,
    stage: Annotated[list[int] | None, typer.Option(help="Only these stages (repeatable).")]
    = None,
    name: Annotated[str | None, typer.Option(help="A name for the snapshot.")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Count only; freeze nothing.")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Freeze the selected items into a hashed Parquet snapshot for training."""
    from honeybee_core import curation
    from honeybee_core.rules import parse_rule

    spec = curation.SnapshotSpec(rule or get_settings().filter_rule, require_approval,
                                 tuple(stage or ()), name)
    repo = open_repo(db)
    if preview:
        count = curation.preview(repo, spec)
        sentence = parse_rule(spec.rule).describe()
        emit({"rule": spec.rule, "description": sentence, "items": count}, as_json,
             f"{count} items pass {spec.rule}: {sentence}.")
        return
    snap = curation.create_snapshot(repo, spec, cli_actor())
    emit(snap, as_json, f"Snapshot {snap['id']}: {snap['n_items']} items, sha256 "
         f"{snap['sha256'][:12]}…, {snap['path']}")
