-- Rule book v3 (§4): a participant's start may be displaced by an earlier start of the
-- same person (same participant_id) under another referral. The displaced start's row
-- is marked (it names no participant on programme any more) until the winning start
-- replaces it: one row per participant, the start that stands now.
ALTER TABLE participants ADD COLUMN displaced boolean NOT NULL DEFAULT false;
