-- Quarantine: the full, unmasked original of every input a service rejected (its
-- rejection event carries only a bounded, masked prefix). For inspection and replay
-- (python -m tools.replay). Written in the transaction that decided the rejection.
CREATE TABLE quarantine (
    id          bigserial PRIMARY KEY,
    message_id  text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    key         bytea,
    value       bytea NOT NULL,
    sha256      text NOT NULL,
    reason      text NOT NULL,
    message     text NOT NULL,
    rejected_at timestamptz NOT NULL,
    replayed_at timestamptz
);
CREATE INDEX quarantine_message_id ON quarantine (message_id);
CREATE INDEX quarantine_reason ON quarantine (reason) WHERE replayed_at IS NULL;

-- Dead letters: outbox rows the broker refused permanently (too large, unknown topic,
-- not authorised, invalid record). Moved here by the relay so the rows behind them are
-- published; kept with the error for an operator.
CREATE TABLE dead_letters (
    id         bigint PRIMARY KEY,
    topic      text NOT NULL,
    key        text NOT NULL,
    event_id   text NOT NULL,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL,
    error      text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
