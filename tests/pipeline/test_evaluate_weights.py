"""A run graded as it trains on: from its last checkpoint when it stopped, then again from its
final adapter once resumed to the end; both kept, the newest read by default. Real training
and real student inference on the tiny model."""

from __future__ import annotations

from pathlib import Path

from honeybee_core import stage_table
from honeybee_core import training_runs as runs
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.pipeline.evaluation_job import EvaluateParams, run_evaluate
from honeybee_core.pipeline.feedback import FeedbackParams, run_feedback
from tests.core.test_training_runs import (  # noqa: F401
    _observe,
    demo_source,
    env,
    killed_after_a_checkpoint,
)


def test_a_checkpoint_then_the_final_adapter_are_graded_and_the_final_is_read(env):  # noqa: F811
    repo, settings = env
    run = killed_after_a_checkpoint(repo, settings)  # no final adapter: only its checkpoints
    params = EvaluateParams(run=run["id"], n=3, include_base=False, max_new_tokens=8)
    early = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    ckpt = early.weights_label
    assert early.status == "finished" and ckpt.startswith("checkpoint-") and early.scored == 3
    table = stage_table.stage_table(stage_table.evaluation_frame(repo))
    assert table["model"].tolist() == [f"stage 1 · {run['id']} at {ckpt}"]
    assert table["weights"].tolist() == [ckpt]

    runs.resume_run(repo, run["id"], CLI_ACTOR, extra_steps=4)
    _observe(repo, run["id"], lambda r: r["status"] == "finished", timeout=120)
    again = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert again.status == "finished" and again.weights_label == "final"
    assert again.scored == 3 and again.answered == 3  # new answers from the new weights
    assert Path(again.folder).name == "answers-8" and Path(again.folder) != Path(early.folder)
    assert repo.evaluation_count(run["id"]) == 6  # both kept
    assert repo.evaluation_count(run["id"], ckpt) == repo.evaluation_count(run["id"], "final")
    assert repo.graded_weights(run["id"]) == ["final", ckpt]  # newest first

    report = stage_table.report(repo)  # `honeybee stages`: the final adapter's row
    assert [(r["model"], r["weights"]) for r in report["rows"]] == [
        (f"stage 1 · {run['id']}", "final adapter")]
    every = stage_table.stage_table(stage_table.evaluation_frame(repo, weights=None))
    assert every["weights"].tolist() == [ckpt, "final adapter"]  # in training order
    assert set(repo.weak_answers(run["id"], None, 101.0)["weights"]) == {"final"}
    assert len(repo.weak_answers(run["id"], None, 101.0, weights=ckpt)) == 3
    # a third evaluation of the same weights adds nothing
    assert run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR).scored == 0
    feedback = run_feedback(repo, FeedbackParams(run=run["id"], threshold=100.0, n=1),
                            settings=settings, actor=CLI_ACTOR)
    assert feedback.status == "finished" and feedback.new_items >= 1
