-- Logins through an OpenID Connect provider (issue 18).
-- The national professional identifier (RPPS, formerly ADELI) an administrator
-- records on an account: a first login through Pro Santé Connect links to it.
ALTER TABLE users ADD COLUMN professional_id TEXT NOT NULL DEFAULT '';

-- How each session was opened: password, password_totp, oidc, oidc_totp,
-- passkey; the provider and the eIDAS level it asserted for oidc.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN assurance TEXT NOT NULL DEFAULT '';

-- An account's identity at a provider, recorded at the first login that links it.
CREATE TABLE user_identities (
    id {{id}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    last_used_at {{ts}},
    UNIQUE (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities(user_id);

-- A login started at a provider and not yet back: single use, short-lived, and
-- bound to the browser by a cookie holding the state.
CREATE TABLE oidc_states (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    retour TEXT NOT NULL DEFAULT '',
    expires_at {{ts}} NOT NULL
);
