-- The review guideline, versioned: every save is a new row, older versions stay readable.
CREATE TABLE guidelines (
    version INTEGER PRIMARY KEY,     -- 1, 2, 3, ... in the order saved
    body VARCHAR NOT NULL,           -- Markdown
    note VARCHAR,                    -- what changed, in the editor's words
    saved_by VARCHAR NOT NULL,       -- 'system' for the default shipped with HoneyBee
    saved_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- the guideline version in force when a rating was saved (NULL: imported, or rated before)
ALTER TABLE expert_ratings ADD COLUMN guideline_version INTEGER;
ALTER TABLE ratings_history ADD COLUMN guideline_version INTEGER;
