-- Who owns each consumed partition of this service (the schema is the service), and how
-- far its inputs are processed (services/runtime/ownership.py).
--
-- An instance that is assigned a partition takes it: a new owner raises the epoch. Every
-- processing transaction locks the rows of its partitions, checks that the epoch is
-- still the one its instance took (else it is rolled back: a stale owner, fenced) and
-- advances the position (the next offset to process) with the inbox, state and outbox.
CREATE TABLE partition_owners (
    topic      text NOT NULL,
    partition  integer NOT NULL CHECK (partition >= 0),
    epoch      bigint NOT NULL CHECK (epoch > 0),
    owner      text NOT NULL,
    position   bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    taken_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
