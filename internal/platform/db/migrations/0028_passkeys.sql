-- Passkeys (WebAuthn discoverable credentials, issue 18).
-- The user handle the authenticators keep for the account: random, never shown.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT NOT NULL DEFAULT '';

CREATE TABLE passkeys (
    id {{id}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    credential TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    last_used_at {{ts}}
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A registration or login ceremony under way: its challenge, single use.
CREATE TABLE webauthn_ceremonies (
    id_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id BIGINT,
    data TEXT NOT NULL,
    expires_at {{ts}} NOT NULL
);
