-- The web app's own tables (schema web): who may sign in, their sessions, the sign-in
-- attempts that rate-limit them, and the audit of every participant page viewed.
-- Nothing here names a NINO or a date of birth: participants appear by participant_id.

CREATE TABLE users (
    user_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{0,99}$'),
    role text NOT NULL CHECK (length(role) BETWEEN 1 AND 100),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL
);

-- A session is known by the SHA-256 of its random token (the cookie holds the token,
-- signed); user_id is NULL before sign-in (it still carries the CSRF token of the form).
CREATE TABLE sessions (
    token_sha256 bytea PRIMARY KEY,
    user_id bigint REFERENCES users (user_id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE sign_in_attempts (
    attempt_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    address text NOT NULL,
    attempted_at timestamptz NOT NULL,
    succeeded boolean NOT NULL
);
CREATE INDEX sign_in_attempts_username ON sign_in_attempts (username, attempted_at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, attempted_at);

-- Every view of a participant's page: who (username and role at the time), when, which.
CREATE TABLE participant_page_views (
    view_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    role text NOT NULL,
    participant_id text NOT NULL,
    viewed_at timestamptz NOT NULL
);
CREATE INDEX participant_page_views_participant ON participant_page_views (participant_id, viewed_at);
