-- The payments ledger: every payment and reversal issued, and the decisions not to pay.
CREATE TABLE payments (
    payment_id         text PRIMARY KEY,
    contract_id        text NOT NULL,
    contract_version   text NOT NULL,
    provider_id        text NOT NULL,
    participant_id     text NOT NULL,
    milestone          text NOT NULL,
    occurrence         integer NOT NULL,
    reached_on         date NOT NULL,
    amount_pence       bigint NOT NULL,
    base_pence         bigint NOT NULL,
    uplift_pence       bigint NOT NULL,
    reverses           text REFERENCES payments (payment_id),
    reversed_by        text,
    milestone_event_id text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_participant ON payments (contract_id, participant_id);
-- One payment per (contract, participant, milestone, occurrence), and one reversal.
CREATE UNIQUE INDEX payments_one_per_occurrence
    ON payments (contract_id, participant_id, milestone, occurrence, (amount_pence > 0));

-- Which outcome milestones (earnings / self-employment) were received, paid or not:
-- the first received is the one paid; the other is superseded.
CREATE TABLE outcomes_received (
    contract_id    text NOT NULL,
    participant_id text NOT NULL,
    milestone      text NOT NULL,
    PRIMARY KEY (contract_id, participant_id, milestone)
);

CREATE TABLE not_paid (
    contract_id    text NOT NULL,
    participant_id text NOT NULL,
    milestone      text NOT NULL,
    occurrence     integer NOT NULL,
    reason         text NOT NULL,
    reached_on     date NOT NULL,
    PRIMARY KEY (contract_id, participant_id, milestone, occurrence)
);
