-- SILENE audits (ANSSI) an establishment records: the programme's Domaine 1
-- exposure indicator rests on them, not on the platform's own scans.
CREATE TABLE exposure_silene (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    audited_on {{ts}} NOT NULL,
    level INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{bytes}} NOT NULL,
    recorded_by BIGINT REFERENCES users(id),
    recorded_at {{ts}} NOT NULL
);
CREATE INDEX exposure_silene_org ON exposure_silene (org_id, audited_on);
