-- Sustainment state: windows, placements, the current version of each evidence_id,
-- and the milestones announced so far (to compute reached/revoked changes).
CREATE TABLE participants (
    participant_id              text PRIMARY KEY,
    provider_id                 text NOT NULL,
    contract_id                 text NOT NULL,
    eligibility_group           text NOT NULL,
    start_date                  date NOT NULL,
    leaver_date                 date,
    nlw_pence_at_start          integer NOT NULL,
    weekly_hours_min_hundredths integer NOT NULL
);

CREATE TABLE placements (
    placement_id    text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participants (participant_id),
    provider_id     text NOT NULL,
    job_start_date  date NOT NULL,
    employment_type text NOT NULL,
    pays_llw        boolean NOT NULL,
    end_date        date
);
CREATE INDEX placements_participant ON placements (participant_id);

CREATE TABLE evidence (
    evidence_id          text PRIMARY KEY,
    placement_id         text NOT NULL REFERENCES placements (placement_id),
    participant_id       text NOT NULL,
    provider_id          text NOT NULL,
    version              integer NOT NULL,
    retracted            boolean NOT NULL DEFAULT false,
    kind                 text NOT NULL,
    period_start         date NOT NULL,
    period_end           date NOT NULL,
    gross_earnings_pence bigint NOT NULL,
    hours_hundredths     integer NOT NULL,
    reported_on          date NOT NULL
);
CREATE INDEX evidence_participant ON evidence (participant_id);

CREATE TABLE milestones (
    participant_id text NOT NULL,
    milestone      text NOT NULL,
    occurrence     integer NOT NULL,
    active         boolean NOT NULL,
    reached_on     date NOT NULL,
    PRIMARY KEY (participant_id, milestone)
);
