-- The read model: tables designed for the pages (domain.md §11), filled only from the
-- output topics. Every row names the provider whose participant it is: each query is
-- scoped by the viewer's provider_id. Derived columns (stage, next milestone and its
-- projected date, evidence due) are recomputed by the consumer from the facts below
-- with the pure rules of services/views/projections.py whenever those facts change; a
-- page only compares them with its own "today".

CREATE TABLE participants (
    provider_id          text NOT NULL,
    participant_id       text NOT NULL,
    referral_id          text NOT NULL,
    contract_id          text NOT NULL,
    sub_region           text NOT NULL,
    borough              text NOT NULL,
    eligibility_group    text NOT NULL,
    eligibility_subgroup text,
    age_band             text NOT NULL,
    referral_source      text NOT NULL,
    start_date           date NOT NULL,
    window_last_day      date NOT NULL,           -- start + 637 days (before any leaver)
    earnings_threshold_pence bigint NOT NULL,     -- T = 416 x NLW in force on the start
    weekly_hours_min     numeric(12, 2) NOT NULL, -- the contract's
    left_on              date,
    leaver_reason        text,
    started_at           timestamptz NOT NULL,    -- produced_at of ParticipantStarted
    left_at              timestamptz,
    -- derived (projections.py), refreshed with every change of the facts:
    in_work              boolean NOT NULL DEFAULT false,
    milestones_reached   text[] NOT NULL DEFAULT '{}',
    counted_milestones   text[] NOT NULL DEFAULT '{}', -- what the contract pays (projected)
    next_milestone       text,
    next_projected_on    date,                    -- NULL: no projection possible
    next_on_track        boolean,                 -- false: projected outside the window
    evidence_due_since   date,                    -- evidence due when today > this date
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (provider_id, participant_id)
);
CREATE UNIQUE INDEX participants_referral ON participants (provider_id, referral_id);
CREATE INDEX participants_start ON participants (provider_id, start_date);
CREATE INDEX participants_due ON participants (provider_id, evidence_due_since)
    WHERE evidence_due_since IS NOT NULL;
CREATE INDEX participants_next ON participants (provider_id, next_projected_on);
CREATE INDEX participants_sub_region ON participants (sub_region, start_date);

CREATE TABLE placements (
    provider_id          text NOT NULL,
    placement_id         text NOT NULL,
    participant_id       text NOT NULL,
    referral_id          text NOT NULL,
    contract_id          text NOT NULL,
    job_start_date       date NOT NULL,
    employment_type      text NOT NULL,
    hourly_wage_pence    bigint,
    weekly_hours         numeric(12, 2) NOT NULL,
    pays_llw             boolean NOT NULL,
    below_minimum_wage   boolean NOT NULL,
    employer_name        text,
    sic_sector           text,
    ended_on             date,
    ended_at             timestamptz,
    withdrawn_on         date,                    -- the leaver date that withdrew it
    withdrawn_reason     text,
    withdrawn_at         timestamptz,
    latest_evidence_end  date,                    -- latest counting evidence period end
    confirmed_at         timestamptz NOT NULL,
    PRIMARY KEY (provider_id, placement_id)
);
CREATE INDEX placements_participant ON placements (provider_id, participant_id);
CREATE INDEX placements_below_minimum ON placements (job_start_date) WHERE below_minimum_wage;

-- What sustainment counted so far (the latest EvidenceProgress of each participant).
CREATE TABLE progress (
    provider_id                  text NOT NULL,
    participant_id               text NOT NULL,
    earnings_threshold_pence     bigint NOT NULL,
    weekly_hours_min             numeric(12, 2) NOT NULL,
    counted_earnings_pence       bigint NOT NULL,
    latest_employed_evidence_end date,
    in_work_weeks                integer NOT NULL,
    self_employment_days         integer NOT NULL,
    latest_self_employment_end   date,
    evidence_placement_ids       text[] NOT NULL DEFAULT '{}', -- with, index by index,
    evidence_period_ends         date[] NOT NULL DEFAULT '{}', -- the latest counting end
    produced_at                  timestamptz NOT NULL,
    PRIMARY KEY (provider_id, participant_id)
);

-- Every occurrence of every milestone: reached, later perhaps revoked, perhaps not paid.
CREATE TABLE milestones (
    provider_id        text NOT NULL,
    participant_id     text NOT NULL,
    milestone          text NOT NULL,
    occurrence         integer NOT NULL,
    contract_id        text NOT NULL,
    reached_on         date,
    placement_id       text,
    evidence_ids       text[] NOT NULL DEFAULT '{}',
    job_pays_llw       boolean,
    payable            boolean,
    not_payable_reason text,
    reached_at         timestamptz,               -- produced_at of the reached event
    revoked_at         timestamptz,               -- produced_at of the revoked event
    not_paid_reason    text,                      -- from payments' MilestoneNotPaid
    not_paid_at        timestamptz,
    PRIMARY KEY (provider_id, participant_id, milestone, occurrence)
);

CREATE TABLE payments (
    payment_id         text PRIMARY KEY,
    event_id           uuid NOT NULL,
    milestone_event_id text NOT NULL,
    provider_id        text NOT NULL,
    participant_id     text NOT NULL,
    contract_id        text NOT NULL,
    contract_version   text NOT NULL,
    milestone          text NOT NULL,
    occurrence         integer NOT NULL,
    reached_on         date NOT NULL,
    amount_pence       bigint NOT NULL,
    base_pence         bigint NOT NULL,
    uplift_pence       bigint NOT NULL,
    reverses           text,
    placement_id       text,
    evidence_ids       text[] NOT NULL DEFAULT '{}',
    issued_at          timestamptz NOT NULL,
    source_produced_at timestamptz                -- when the provider event behind it was made
);
CREATE INDEX payments_participant ON payments (provider_id, participant_id);
CREATE INDEX payments_contract_month ON payments (contract_id, issued_at);

-- Rejections of every service (internal and provider topics). The ids a provider
-- recognises (referral, placement, evidence) are read from the masked prefix when it
-- decodes, so a rejection can be shown on its participant's line.
CREATE TABLE rejections (
    event_id            uuid PRIMARY KEY,
    provider_id         text,
    service             text NOT NULL,
    reason              text NOT NULL,
    message             text NOT NULL,
    source_topic        text NOT NULL,
    source_partition    integer NOT NULL,
    source_offset       bigint NOT NULL,
    source_event_id     text,
    event_type          text,
    referral_id         text,
    placement_id        text,
    evidence_id         text,
    original_prefix_b64 text NOT NULL,
    original_length     integer NOT NULL,
    original_sha256     text NOT NULL,
    rejected_at         timestamptz NOT NULL
);
CREATE INDEX rejections_provider ON rejections (provider_id, rejected_at);
CREATE INDEX rejections_referral ON rejections (provider_id, referral_id) WHERE referral_id IS NOT NULL;
CREATE INDEX rejections_placement ON rejections (provider_id, placement_id) WHERE placement_id IS NOT NULL;

-- Each accepted version of each evidence, and its retraction (sustainment's ledger).
CREATE TABLE evidence (
    provider_id          text NOT NULL,
    evidence_id          text NOT NULL,
    version              integer NOT NULL,
    participant_id       text NOT NULL,
    placement_id         text NOT NULL,
    kind                 text NOT NULL,
    period_start         date NOT NULL,
    period_end           date NOT NULL,
    gross_earnings_pence bigint NOT NULL,
    hours                numeric(12, 2) NOT NULL,
    reported_on          date NOT NULL,
    recorded_at          timestamptz NOT NULL,
    retracted_at         timestamptz,
    PRIMARY KEY (provider_id, evidence_id, version)
);
CREATE INDEX evidence_participant ON evidence (provider_id, participant_id);
