-- Rule book v3 §9: referral and placement ids are the sending provider's own. Two
-- providers may use the same id for different things, so they are keyed by
-- (provider_id, id); a re-send's event_id is unique per provider too.
ALTER TABLE participants DROP CONSTRAINT participants_referral_id_key;
ALTER TABLE participants ADD UNIQUE (provider_id, referral_id);

ALTER TABLE placement_resends DROP CONSTRAINT placement_resends_placement_id_fkey;
ALTER TABLE placement_resends ADD COLUMN provider_id text;
UPDATE placement_resends r SET provider_id = p.provider_id
    FROM placements p WHERE p.placement_id = r.placement_id;
ALTER TABLE placement_resends ALTER COLUMN provider_id SET NOT NULL;
ALTER TABLE placement_resends DROP CONSTRAINT placement_resends_pkey;
ALTER TABLE placement_resends ADD PRIMARY KEY (provider_id, event_id);
DROP INDEX placement_resends_placement;
CREATE INDEX placement_resends_placement ON placement_resends (provider_id, placement_id);

ALTER TABLE placements DROP CONSTRAINT placements_pkey;
ALTER TABLE placements ADD PRIMARY KEY (provider_id, placement_id);
ALTER TABLE placement_resends ADD FOREIGN KEY (provider_id, placement_id)
    REFERENCES placements (provider_id, placement_id);
