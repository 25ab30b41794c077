-- Derived tables for pages at scale, kept current by the writers (store/derived.py): a rating,
-- score, decision or new item updates the rows of its items, never the whole table. They start
-- empty here; the first read-write open fills them (derived.ensure_derived), and fills them
-- again should they ever disagree with the tables they come from.

-- One row per item: what Explore filters and sorts on and what the review queue stratifies by.
CREATE TABLE item_facts (
    id VARCHAR PRIMARY KEY,
    no INTEGER NOT NULL,             -- 1, 2, ... in insertion order: the key of the postings
    stage INTEGER,
    topic VARCHAR,
    task_type VARCHAR,
    source VARCHAR,
    created_at TIMESTAMP,
    accuracy DOUBLE,                 -- means over every verifier score row of the item
    relevance DOUBLE,
    completeness DOUBLE,
    reasonableness DOUBLE,
    verifier_mean DOUBLE,
    n_ratings INTEGER NOT NULL DEFAULT 0,   -- expert ratings that are not skips
    expert_mean DOUBLE,
    decision VARCHAR NOT NULL DEFAULT 'undecided'
);
-- Where each item's row is in instructions (its rowid), recorded once its insert has committed
-- (inside a transaction DuckDB gives new rows provisional rowids): items are fetched by rowid.
CREATE TABLE item_rows (no INTEGER NOT NULL, rid BIGINT NOT NULL);
-- Per item and verifier: that verifier's means (over its rubric versions).
CREATE TABLE item_verifier_facts (
    instruction_id VARCHAR NOT NULL,
    verifier VARCHAR NOT NULL,
    accuracy DOUBLE,
    relevance DOUBLE,
    completeness DOUBLE,
    reasonableness DOUBLE,
    verifier_mean DOUBLE,
    PRIMARY KEY (instruction_id, verifier)
);
-- How often each annotator's ratings changed: a reviewer's cached queue state is checked
-- against this one row instead of the whole ratings table.
CREATE TABLE annotator_activity (annotator VARCHAR PRIMARY KEY, changes BIGINT NOT NULL);
-- One item's scores and ratings without reading the whole table.
CREATE INDEX verifier_scores_item ON verifier_scores (instruction_id);
CREATE INDEX expert_ratings_item ON expert_ratings (instruction_id);

-- Text search without reading every text: the distinct lower-cased letter/digit runs of an
-- item's instruction, input and output, each a (token_no, no) posting. search_postings holds
-- runs sorted by token_no (so a lookup reads few row groups); search_recent is the unsorted
-- tail of recent inserts, folded into a sorted run once it is large.
CREATE MACRO search_tokens(t) AS regexp_extract_all(lower(t), '[\p{L}\p{N}]+');
CREATE SEQUENCE search_token_seq;
CREATE TABLE search_vocab (
    token_no INTEGER PRIMARY KEY DEFAULT nextval('search_token_seq'),
    token VARCHAR NOT NULL UNIQUE
);
CREATE TABLE search_postings (token_no INTEGER NOT NULL, no INTEGER NOT NULL);
CREATE TABLE search_recent (token_no INTEGER NOT NULL, no INTEGER NOT NULL);
CREATE TABLE search_runs (runs INTEGER NOT NULL);
INSERT INTO search_runs VALUES (0);
