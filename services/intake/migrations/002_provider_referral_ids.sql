-- Rule book v3 §9: a referral_id is the sending provider's own. Two providers may use
-- the same id for different people, so a referral is keyed by (provider_id, referral_id).
ALTER TABLE referrals DROP CONSTRAINT referrals_pkey;
ALTER TABLE referrals ADD PRIMARY KEY (provider_id, referral_id);
