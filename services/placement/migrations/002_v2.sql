-- Rule book v2 (§5): a job start found to start after a later-arriving leaver date is
-- withdrawn, and the provider told with a rejection of the original job start event,
-- so the original record (as received) is kept with the placement.
ALTER TABLE placements ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;
ALTER TABLE placements ADD COLUMN source_event_id text;
ALTER TABLE placements ADD COLUMN source_spec text;
ALTER TABLE placements ADD COLUMN source_topic text;
ALTER TABLE placements ADD COLUMN source_partition integer;
ALTER TABLE placements ADD COLUMN source_offset bigint;
ALTER TABLE placements ADD COLUMN source_key bytea;
ALTER TABLE placements ADD COLUMN source_value bytea;
