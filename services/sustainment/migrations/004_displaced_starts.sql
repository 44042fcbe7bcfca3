-- Rule book v3 (§4): a participant's start may be displaced by an earlier start of the
-- same person under another referral. Sustainment keeps which start (provider and
-- referral) a participant's window and each placement belong to: a placement counts only
-- under the start it was confirmed for, and a displaced start counts for nothing.
ALTER TABLE participants ADD COLUMN referral_id text;
ALTER TABLE participants ADD COLUMN displaced boolean NOT NULL DEFAULT false;
ALTER TABLE placements ADD COLUMN referral_id text;
-- The starts displaced so far: a placement confirmed under one of them that arrives after
-- the displacement is kept as withdrawn at once (it never counts), not held for a start
-- that will never come.
CREATE TABLE displaced_starts (
    provider_id    text NOT NULL,
    referral_id    text NOT NULL,
    participant_id text NOT NULL,
    PRIMARY KEY (provider_id, referral_id)
);
