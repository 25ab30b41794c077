-- A run can be graded more than once as it trains on (its last checkpoint when stopped, its
-- final adapter once finished), so the weights that answered join the key of a grade:
-- 'final', a checkpoint folder ('checkpoint-40') or an adapter saved by a clean stop
-- ('stopped-at-12'). Grades from before it was recorded are 'final'; the base model, API
-- students and the references are always 'final'.
CREATE TABLE evaluations_weighted (
    run_id VARCHAR NOT NULL,         -- 'base', a training run, provider:model, 'instructor'
    instruction_id VARCHAR NOT NULL,
    evaluator VARCHAR NOT NULL,
    rubric_version VARCHAR NOT NULL,
    decoding VARCHAR NOT NULL DEFAULT 'greedy',
    weights VARCHAR NOT NULL DEFAULT 'final',
    answer VARCHAR NOT NULL,
    accuracy DOUBLE NOT NULL,
    completeness DOUBLE NOT NULL,
    reasonableness DOUBLE NOT NULL,
    rationale VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, instruction_id, evaluator, rubric_version, decoding, weights)
);
INSERT INTO evaluations_weighted (run_id, instruction_id, evaluator, rubric_version, decoding,
    answer, accuracy, completeness, reasonableness, rationale, created_at)
    SELECT run_id, instruction_id, evaluator, rubric_version, decoding, answer, accuracy,
           completeness, reasonableness, rationale, created_at FROM evaluations;
DROP TABLE evaluations;
ALTER TABLE evaluations_weighted RENAME TO evaluations;
