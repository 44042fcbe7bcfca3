-- Rule book v2: withdrawn placements (§5) and the money each announced milestone is due
-- (§7: a change of amount, payable or reason is announced again as a new occurrence).
ALTER TABLE placements ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;
ALTER TABLE milestones ADD COLUMN amount_due_pence bigint NOT NULL DEFAULT 0;
ALTER TABLE milestones ADD COLUMN payable boolean NOT NULL DEFAULT true;
ALTER TABLE milestones ADD COLUMN not_payable_reason text;
