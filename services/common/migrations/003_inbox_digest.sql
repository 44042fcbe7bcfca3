-- The inbox keeps the SHA-256 of each input's content next to its id, so the same
-- event_id with other content is rejected duplicate_event_id (domain.md v2 §10) while
-- the same content again stays a silent no-op. Rows claimed before this migration keep
-- NULL: unknown content, which matches anything (they stay silent duplicates).
ALTER TABLE inbox ADD COLUMN digest bytea;
