-- The subject of a held input (evidence:<evidence_id>, placement:<placement_id>, ...):
-- what its arrival order matters for. An input whose subject already has held rows is
-- held behind them (domain.md §9 "Evidence versions", §10: the first of two equal
-- versions stands), so a release hands them over in arrival order. Rows held before
-- this migration keep NULL: no subject, they hold nothing back.
ALTER TABLE held ADD COLUMN subject text;
CREATE INDEX held_subject ON held (subject) WHERE subject IS NOT NULL;
