-- The schema as first shipped: items, scores, ratings, decisions, snapshots, jobs, runs,
-- evaluations and the LLM call log. Shipped migrations are never edited; a change is a new file.
CREATE TABLE instructions (
    id VARCHAR PRIMARY KEY,          -- content hash of instruction + input + output
    stage INTEGER NOT NULL DEFAULT 1,
    topic VARCHAR,
    task_type VARCHAR,
    instruction VARCHAR NOT NULL,
    input VARCHAR NOT NULL DEFAULT '',
    output VARCHAR NOT NULL,
    source VARCHAR NOT NULL DEFAULT 'imported',   -- generated | imported | feedback
    generator VARCHAR,
    prompt_version VARCHAR,
    parent_id VARCHAR,
    job_id VARCHAR,
    duplicate_of VARCHAR,            -- near-duplicate (ROUGE-L) of a kept item
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE verifier_scores (
    instruction_id VARCHAR NOT NULL,
    verifier VARCHAR NOT NULL,
    rubric_version VARCHAR NOT NULL DEFAULT 'imported',
    accuracy DOUBLE NOT NULL,
    relevance DOUBLE NOT NULL,
    completeness DOUBLE NOT NULL,
    reasonableness DOUBLE NOT NULL,
    rationale VARCHAR,
    raw_response VARCHAR,
    llm_call_id VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (instruction_id, verifier, rubric_version)
);
CREATE TABLE annotators (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL DEFAULT 'reviewer',     -- reviewer | curator | admin
    password_hash VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE expert_ratings (
    instruction_id VARCHAR NOT NULL,
    annotator VARCHAR NOT NULL,
    accuracy DOUBLE NOT NULL,
    relevance DOUBLE NOT NULL,
    completeness DOUBLE NOT NULL,
    reasonableness DOUBLE NOT NULL,
    verdict VARCHAR,                 -- reviewer's call: approve | reject | skip | flag
    comment VARCHAR,
    blind BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (instruction_id, annotator)
);
CREATE SEQUENCE decisions_seq;
CREATE TABLE decisions (
    id BIGINT PRIMARY KEY DEFAULT nextval('decisions_seq'),
    instruction_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,       -- approve | reject (history kept; latest wins)
    decided_by VARCHAR NOT NULL,
    reason VARCHAR,
    rule VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE snapshots (
    id VARCHAR PRIMARY KEY,
    name VARCHAR,
    rule VARCHAR,
    require_approval BOOLEAN NOT NULL DEFAULT FALSE,
    stages VARCHAR,
    n_items INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE snapshot_items (
    snapshot_id VARCHAR NOT NULL,
    instruction_id VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, instruction_id)
);
CREATE TABLE jobs (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,           -- generate | verify | train | evaluate | feedback
    params VARCHAR NOT NULL DEFAULT '{}',
    status VARCHAR NOT NULL DEFAULT 'queued',
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    cost_usd DOUBLE NOT NULL DEFAULT 0,
    batch_ids VARCHAR,
    error VARCHAR,
    created_by VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    heartbeat_at TIMESTAMP
);
CREATE TABLE training_runs (
    id VARCHAR PRIMARY KEY,
    snapshot_id VARCHAR,
    stage INTEGER NOT NULL DEFAULT 1,
    base_model VARCHAR NOT NULL,
    init_adapter VARCHAR,
    config VARCHAR NOT NULL,
    out_dir VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'starting',
    pid INTEGER,
    step INTEGER NOT NULL DEFAULT 0,
    max_steps INTEGER,
    final_metrics VARCHAR,
    error VARCHAR,
    created_by VARCHAR,
    started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at TIMESTAMP
);
CREATE TABLE training_metrics (
    run_id VARCHAR NOT NULL,
    line INTEGER NOT NULL,           -- line number in the run's metrics.jsonl
    step INTEGER NOT NULL,
    epoch DOUBLE,
    loss DOUBLE,
    eval_loss DOUBLE,
    learning_rate DOUBLE,
    tokens_per_s DOUBLE,
    tokens_seen BIGINT,
    wall_s DOUBLE,
    PRIMARY KEY (run_id, line)
);
CREATE TABLE evaluations (
    run_id VARCHAR NOT NULL,         -- 'base' or a training run id
    instruction_id VARCHAR NOT NULL,
    evaluator VARCHAR NOT NULL,
    rubric_version VARCHAR NOT NULL,
    answer VARCHAR NOT NULL,
    accuracy DOUBLE NOT NULL,
    completeness DOUBLE NOT NULL,
    reasonableness DOUBLE NOT NULL,
    rationale VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, instruction_id, evaluator, rubric_version)
);
CREATE TABLE llm_calls (
    id VARCHAR PRIMARY KEY,
    provider VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    request_hash VARCHAR NOT NULL,
    purpose VARCHAR,
    request VARCHAR,
    raw_response VARCHAR,
    parsed VARCHAR,
    ok BOOLEAN NOT NULL,
    error VARCHAR,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd DOUBLE NOT NULL DEFAULT 0,
    latency_ms DOUBLE,
    attempt INTEGER NOT NULL DEFAULT 1,
    batch BOOLEAN NOT NULL DEFAULT FALSE,
    job_id VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX llm_calls_key ON llm_calls (provider, model, request_hash);
CREATE INDEX decisions_item ON decisions (instruction_id);
-- the latest decision per item is the one in force; the table keeps the history
CREATE VIEW current_decisions AS
    SELECT instruction_id, arg_max(decision, id) AS decision,
           arg_max(decided_by, id) AS decided_by, max(created_at) AS decided_at
    FROM decisions GROUP BY instruction_id;
