-- Rule book v3 §9: placement and evidence ids are the sending provider's own. Two
-- providers may use the same id for different things, so they are keyed by
-- (provider_id, id). (Evidence names a placement of its own provider.)
ALTER TABLE evidence DROP CONSTRAINT evidence_placement_id_fkey;
ALTER TABLE evidence DROP CONSTRAINT evidence_pkey;
ALTER TABLE evidence ADD PRIMARY KEY (provider_id, evidence_id);
ALTER TABLE placements DROP CONSTRAINT placements_pkey;
ALTER TABLE placements ADD PRIMARY KEY (provider_id, placement_id);
ALTER TABLE evidence ADD FOREIGN KEY (provider_id, placement_id)
    REFERENCES placements (provider_id, placement_id);
