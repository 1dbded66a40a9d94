-- Security incidents of an establishment, declared after décret 2022-715 (CSP
-- D.1111-16-2 to D.1111-16-4): a draft the establishment fills, submitted (then
-- frozen: snapshot keeps the declaration as submitted, in JSON), qualified by
-- CERT Santé, closed. categories is a comma-separated list of the decree's five
-- categories. The official declaration stays on the national portal: portal_*
-- records when, by whom and under which reference it was made there. shared
-- opens the establishment's other pages to CERT Santé until closure. The links
-- to an exercise RETEX or a PCRA activation are the exercise id and the
-- number of the PCRA version activated (capability continuity).
CREATE TABLE incidents (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    status TEXT NOT NULL,
    categories TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    occurred_at {{ts}},
    detected_at {{ts}},
    perimeter TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    degraded_mode {{bool}} NOT NULL DEFAULT FALSE,
    pca_activated {{bool}} NOT NULL DEFAULT FALSE,
    patient_impact {{bool}} NOT NULL DEFAULT FALSE,
    patient_impact_detail TEXT NOT NULL DEFAULT '',
    actions_taken TEXT NOT NULL DEFAULT '',
    support_requested {{bool}} NOT NULL DEFAULT FALSE,
    contact_phone TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    submitted_by BIGINT REFERENCES users(id),
    submitted_at {{ts}},
    snapshot TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    qualified_category TEXT NOT NULL DEFAULT '',
    qualified_by BIGINT REFERENCES users(id),
    qualified_at {{ts}},
    closed_by BIGINT REFERENCES users(id),
    closed_at {{ts}},
    portal_at {{ts}},
    portal_by BIGINT REFERENCES users(id),
    portal_reference TEXT NOT NULL DEFAULT '',
    shared {{bool}} NOT NULL DEFAULT FALSE,
    exercise_id BIGINT,
    pcra_version INTEGER
);
CREATE INDEX incidents_org ON incidents (org_id);
CREATE INDEX incidents_status ON incidents (status, submitted_at);

-- The shared timeline of a submitted incident: entries from the establishment
-- and from CERT Santé (side), and the attachments either side adds.
CREATE TABLE incident_entries (
    id {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    side TEXT NOT NULL,
    text TEXT NOT NULL,
    author_id BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL
);
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, created_at);

CREATE TABLE incident_attachments (
    id {{id}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    side TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{bytes}} NOT NULL,
    author_id BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL
);
CREATE INDEX incident_attachments_incident ON incident_attachments (incident_id);
