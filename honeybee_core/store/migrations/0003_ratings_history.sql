-- A rating an import replaces (an admin's `import-ratings --replace`, or an author
-- re-importing their own) keeps its old values here, with who replaced it and when.
CREATE SEQUENCE ratings_history_seq;
CREATE TABLE ratings_history (
    id BIGINT PRIMARY KEY DEFAULT nextval('ratings_history_seq'),
    instruction_id VARCHAR NOT NULL,
    annotator VARCHAR NOT NULL,      -- the author of the old rating
    accuracy DOUBLE,
    relevance DOUBLE,
    completeness DOUBLE,
    reasonableness DOUBLE,
    verdict VARCHAR,
    comment VARCHAR,
    blind BOOLEAN,
    rated_at TIMESTAMP,              -- the old rating's updated_at
    replaced_by VARCHAR NOT NULL,
    replaced_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    reason VARCHAR                   -- e.g. "import ratings.csv --replace"
);
CREATE INDEX ratings_history_key ON ratings_history (instruction_id, annotator);
