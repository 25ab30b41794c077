-- Answers depend on how they were decoded (greedy, the paper's beams, an API model), so the
-- decoding joins the key of a grade; grades from before it was recorded are 'greedy'.
CREATE TABLE evaluations_keyed (
    run_id VARCHAR NOT NULL,         -- 'base', a training run, provider:model, 'instructor'
    instruction_id VARCHAR NOT NULL,
    evaluator VARCHAR NOT NULL,
    rubric_version VARCHAR NOT NULL,
    decoding VARCHAR NOT NULL DEFAULT 'greedy',
    answer VARCHAR NOT NULL,
    accuracy DOUBLE NOT NULL,
    completeness DOUBLE NOT NULL,
    reasonableness DOUBLE NOT NULL,
    rationale VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, instruction_id, evaluator, rubric_version, decoding)
);
INSERT INTO evaluations_keyed (run_id, instruction_id, evaluator, rubric_version, answer,
    accuracy, completeness, reasonableness, rationale, created_at)
    SELECT run_id, instruction_id, evaluator, rubric_version, answer, accuracy,
           completeness, reasonableness, rationale, created_at FROM evaluations;
DROP TABLE evaluations;
ALTER TABLE evaluations_keyed RENAME TO evaluations;
-- the ability a feedback triple was written to train (accuracy, completeness, ...)
ALTER TABLE instructions ADD COLUMN target_dimension VARCHAR;
-- the held-out evaluation set: drawn once, graded for every row, kept out of snapshots
CREATE TABLE heldout_sets (
    id VARCHAR PRIMARY KEY,
    n INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    min_score DOUBLE NOT NULL,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE heldout_items (
    set_id VARCHAR NOT NULL,
    instruction_id VARCHAR NOT NULL,
    PRIMARY KEY (set_id, instruction_id)
);
