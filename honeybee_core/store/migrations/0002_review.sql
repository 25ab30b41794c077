-- A "skip" (or a "flag" on an item too broken to score) is not a rating: its scores are NULL,
-- so agreement statistics read them as missing instead of as made-up numbers.
ALTER TABLE expert_ratings ALTER COLUMN accuracy DROP NOT NULL;
ALTER TABLE expert_ratings ALTER COLUMN relevance DROP NOT NULL;
ALTER TABLE expert_ratings ALTER COLUMN completeness DROP NOT NULL;
ALTER TABLE expert_ratings ALTER COLUMN reasonableness DROP NOT NULL;
