-- 0003 users: the people who use the HTTP API (API.md "Authentication and roles") and the
-- bearer tokens they hold. Passwords are argon2id strings (libsodium crypto_pwhash_str: the
-- salt and cost parameters are inside the string). Tokens are stored as the SHA-256 of the
-- token (hex), never the token itself: a leaked table grants nothing.
-- convoys.leader_username (0001) names a users.username; it is deliberately not a foreign key
-- so a fleet file can name a leader before their account exists.

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    username text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
    role text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'manager', 'leader')),
    password_hash text NOT NULL CHECK (password_hash <> ''),
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    token_sha256 text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at);

CREATE INDEX convoys_leader_username ON convoys (leader_username);
