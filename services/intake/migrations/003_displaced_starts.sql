-- Rule book v3 (§4): a start accepted before an earlier-dated start of the same person
-- arrived is displaced when that one arrives, and its provider is told already_started
-- with a rejection of the original start event: so the start record (as received) is
-- kept with the referral. A displaced referral goes back to "not started"
-- (start_date NULL); the one-start-per-person index stays as it is.
ALTER TABLE referrals ADD COLUMN start_event_id text;
ALTER TABLE referrals ADD COLUMN start_source_spec text;
ALTER TABLE referrals ADD COLUMN start_source_topic text;
ALTER TABLE referrals ADD COLUMN start_source_partition integer;
ALTER TABLE referrals ADD COLUMN start_source_offset bigint;
ALTER TABLE referrals ADD COLUMN start_source_key bytea;
ALTER TABLE referrals ADD COLUMN start_source_value bytea;
ALTER TABLE referrals ADD COLUMN displaced_by text;
