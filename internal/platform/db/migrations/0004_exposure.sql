-- Internet exposure: the declared inventory, scans, what they saw, and findings
-- followed from one scan to the next.

CREATE TABLE exposure_targets (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    value TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    attested_by BIGINT REFERENCES users(id),
    attested_at {{ts}} NOT NULL,
    created_at {{ts}} NOT NULL,
    removed_at {{ts}},
    UNIQUE (org_id, value)
);

CREATE TABLE exposure_scans (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    status TEXT NOT NULL,
    ports TEXT NOT NULL,
    lab {{bool}} NOT NULL DEFAULT FALSE,
    addresses INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    level INTEGER,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    started_at {{ts}},
    finished_at {{ts}}
);
CREATE INDEX exposure_scans_org ON exposure_scans(org_id);
-- One scan at a time per establishment, even across instances.
CREATE UNIQUE INDEX exposure_scans_one_running ON exposure_scans(org_id) WHERE status IN ('queued', 'running');

CREATE TABLE exposure_observations (
    scan_id BIGINT NOT NULL REFERENCES exposure_scans(id),
    address TEXT NOT NULL,
    port INTEGER NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    banner TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (scan_id, address, port)
);

CREATE TABLE exposure_findings (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    finding_key TEXT NOT NULL,
    address TEXT NOT NULL,
    port INTEGER NOT NULL,
    check_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    remediation TEXT NOT NULL DEFAULT '',
    -- a KEV vulnerability, or a service that must never face the Internet: what
    -- makes a critical finding drop the establishment to level 1
    flagged {{bool}} NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    justification TEXT NOT NULL DEFAULT '',
    accepted_until {{ts}},
    first_scan BIGINT NOT NULL REFERENCES exposure_scans(id),
    last_scan BIGINT NOT NULL REFERENCES exposure_scans(id),
    first_seen {{ts}} NOT NULL,
    last_seen {{ts}} NOT NULL,
    fixed_at {{ts}},
    UNIQUE (org_id, finding_key)
);
CREATE INDEX exposure_findings_org ON exposure_findings(org_id, status);

CREATE TABLE exposure_finding_events (
    id {{id}},
    finding_id BIGINT NOT NULL REFERENCES exposure_findings(id),
    at {{ts}} NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    scan_id BIGINT REFERENCES exposure_scans(id),
    actor TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exposure_finding_events_finding ON exposure_finding_events(finding_id);
