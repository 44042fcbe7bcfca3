-- Placement state: who is on programme (from intake) and the jobs they started.
CREATE TABLE participants (
    participant_id text PRIMARY KEY,
    referral_id    text NOT NULL UNIQUE,
    provider_id    text NOT NULL,
    contract_id    text NOT NULL,
    start_date     date NOT NULL,
    leaver_date    date
);

CREATE TABLE placements (
    placement_id       text PRIMARY KEY,
    participant_id     text NOT NULL REFERENCES participants (participant_id),
    provider_id        text NOT NULL,
    job_start_date     date NOT NULL,
    pays_llw           boolean NOT NULL,
    below_minimum_wage boolean NOT NULL,
    content            jsonb NOT NULL,  -- the accepted job start, for re-send checks
    end_date           date
);
CREATE INDEX placements_participant ON placements (participant_id);
