-- Rule book v2 (§7): sustainment decides `superseded` from the evidence as it stands,
-- so payments no longer remembers which outcome kind arrived first.
DROP TABLE outcomes_received;
