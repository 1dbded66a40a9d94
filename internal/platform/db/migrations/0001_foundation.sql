-- The spine: organisation tree, accounts, roles, sessions, tokens, audit trail.

-- path is the materialised ancestry "/1/4/9/": a subtree is the range of paths that
-- start with its root's path, which both engines answer from an index (byte order).
CREATE TABLE orgs (
    id {{id}},
    parent_id BIGINT REFERENCES orgs(id),
    path {{path}} NOT NULL UNIQUE,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    finess TEXT UNIQUE,
    kind TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    activity_weight {{float}} NOT NULL DEFAULT 0,
    -- name, FINESS and code folded (lower case, no accents) for search on both engines
    search TEXT NOT NULL DEFAULT '',
    archived_at {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);
-- One national root, even when several instances start on a new database at once.
CREATE UNIQUE INDEX orgs_single_root ON orgs ((parent_id IS NULL)) WHERE parent_id IS NULL;
CREATE INDEX orgs_level ON orgs(level);

CREATE TABLE users (
    id {{id}},
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'fr',
    totp_secret TEXT NOT NULL DEFAULT '',
    totp_enabled {{bool}} NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    disabled_at {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    last_login_at {{ts}}
);

CREATE TABLE memberships (
    id {{id}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    role TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    UNIQUE (user_id, org_id, role)
);
CREATE INDEX memberships_org ON memberships(org_id);

-- Only a hash of the session cookie is stored: a stolen database opens no session.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    stage TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    last_seen_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id {{id}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {{ts}} NOT NULL,
    expires_at {{ts}},
    last_used_at {{ts}},
    revoked_at {{ts}}
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL,
    used_at {{ts}}
);

-- Failed logins, counted per account and per address over a sliding window, in the
-- database so that several instances share the limit.
CREATE TABLE login_failures (
    id {{id}},
    key TEXT NOT NULL,
    at {{ts}} NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

-- Append-only: the product never updates or deletes these rows.
CREATE TABLE audit_log (
    id {{id}},
    at {{ts}} NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL DEFAULT '',
    org_path {{path}} NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_org_path ON audit_log(org_path);
