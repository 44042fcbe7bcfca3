-- Intake state. The NINO and the date of birth live here and nowhere else.
CREATE TABLE referrals (
    referral_id          text PRIMARY KEY,
    provider_id          text NOT NULL,
    contract_id          text NOT NULL,
    participant_id       text NOT NULL,  -- keyed HMAC-SHA256 of the normalised NINO
    nino                 text NOT NULL,  -- normalised
    date_of_birth        date NOT NULL,
    referral_date        date NOT NULL,
    content              jsonb NOT NULL, -- the accepted referral event, for re-send checks
    start_date           date,
    end_date             date,
    end_reason           text
);
-- A person (same NINO) may start at most once across all contracts.
CREATE UNIQUE INDEX referrals_one_start_per_person
    ON referrals (participant_id) WHERE start_date IS NOT NULL;
CREATE INDEX referrals_participant ON referrals (participant_id);
