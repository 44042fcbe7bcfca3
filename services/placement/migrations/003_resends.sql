-- Re-sends of an accepted job start (same content, another event id) have no effect, but
-- if the placement is withdrawn (§5) each is rejected like the original would have been
-- on arrival, so their records are kept too.
CREATE TABLE placement_resends (
    event_id     text PRIMARY KEY,
    placement_id text NOT NULL REFERENCES placements (placement_id),
    spec_name    text NOT NULL,
    topic        text NOT NULL,
    "partition"  integer NOT NULL,
    "offset"     bigint NOT NULL,
    key          bytea,
    value        bytea NOT NULL
);
CREATE INDEX placement_resends_placement ON placement_resends (placement_id);
