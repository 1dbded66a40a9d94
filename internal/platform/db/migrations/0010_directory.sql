-- Active Directory audits: each audit keeps its compressed snapshot and its verdict;
-- each failed checkpoint is followed from one audit to the next with an owner and a
-- due date. Bind passwords are stored only for scheduled audits, encrypted.

CREATE TABLE directory_audits (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    source TEXT NOT NULL,              -- live, import or scheduled
    transport TEXT NOT NULL,           -- ldaps, starttls, plain, or file for an import
    verified {{bool}} NOT NULL,        -- the DC's certificate was checked
    server TEXT NOT NULL,
    domain TEXT NOT NULL,
    base_dn TEXT NOT NULL,
    collected_at {{ts}} NOT NULL,
    level INTEGER NOT NULL,
    objects INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    results TEXT NOT NULL,             -- the evaluation with each checkpoint's change since the previous audit
    snapshot {{bytes}} NOT NULL,       -- gzip'd JSON
    snapshot_sha256 TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    UNIQUE (org_id, snapshot_sha256)
);
CREATE INDEX directory_audits_org ON directory_audits(org_id, collected_at);

CREATE TABLE directory_checkpoints (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,              -- open or fixed
    objects INTEGER NOT NULL DEFAULT 0,
    first_audit BIGINT NOT NULL REFERENCES directory_audits(id),
    last_audit BIGINT NOT NULL REFERENCES directory_audits(id),
    fixed_audit BIGINT REFERENCES directory_audits(id),
    owner TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, check_id)
);

-- The key that seals snapshots exported for an establishment whose DC the server
-- cannot reach.
CREATE TABLE directory_import_keys (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    import_key TEXT NOT NULL,
    created_at {{ts}} NOT NULL
);

-- How to reach the establishment's directory; the password only when audits are
-- scheduled (AES-GCM with the instance's secret key).
CREATE TABLE directory_sources (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    url TEXT NOT NULL,
    bind_dn TEXT NOT NULL,
    base_dn TEXT NOT NULL DEFAULT '',
    starttls {{bool}} NOT NULL DEFAULT FALSE,
    allow_plain {{bool}} NOT NULL DEFAULT FALSE,
    insecure {{bool}} NOT NULL DEFAULT FALSE,
    ca_pem TEXT NOT NULL DEFAULT '',
    password_enc {{bytes}},
    every_days INTEGER NOT NULL DEFAULT 0,
    next_run_at {{ts}},
    last_run_at {{ts}},
    last_error TEXT NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES users(id),
    updated_at {{ts}} NOT NULL
);
