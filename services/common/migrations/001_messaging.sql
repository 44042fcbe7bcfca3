-- Messaging tables every service has in its own schema: inbox, outbox, hold.

-- Inbox: ids of inputs already processed (event_id, or the record position of an
-- undecodable record). Written in the same transaction as the effects.
CREATE TABLE inbox (
    message_id   text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Outbox: events decided in a transaction, published by the relay, then deleted.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        text NOT NULL,
    event_id   text NOT NULL,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Hold: inputs that refer to something not yet known (topics are not ordered with
-- respect to each other). Released when it arrives; rejected after the hold time.
CREATE TABLE held (
    message_id  text PRIMARY KEY,
    waiting_for text NOT NULL,
    spec_name   text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    key         bytea,
    value       bytea NOT NULL,
    held_at     timestamptz NOT NULL
);
CREATE INDEX held_waiting_for ON held (waiting_for);
CREATE INDEX held_held_at ON held (held_at);
