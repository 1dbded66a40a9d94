-- Continuity: the PCRA project, activities and their BIA, resources (applications,
-- infrastructure, suppliers, staff, premises), dependencies, degraded-mode sheets,
-- generated plan versions and plan tests.

CREATE TABLE continuity_plans (
    id {{id}},
    org_id BIGINT NOT NULL UNIQUE REFERENCES orgs(id),
    rpcra_name TEXT NOT NULL DEFAULT '',
    rpcra_email TEXT NOT NULL DEFAULT '',
    mission TEXT NOT NULL DEFAULT '',
    perimeter TEXT NOT NULL DEFAULT '',
    calendar TEXT NOT NULL DEFAULT '',
    governance TEXT NOT NULL DEFAULT '',
    review_due {{ts}},
    reminded_at {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);

CREATE TABLE activities (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    catalogue_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    minimum_staff TEXT NOT NULL DEFAULT '',
    peak_periods TEXT NOT NULL DEFAULT '',
    pdma_hours INTEGER,
    dmia_override_hours INTEGER,
    dmia_justification TEXT NOT NULL DEFAULT '',
    bia_updated_at {{ts}},
    review_due {{ts}},
    reminded_at {{ts}},
    archived_at {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX activities_org ON activities(org_id);

CREATE TABLE activity_impacts (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    criterion TEXT NOT NULL,
    horizon TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (activity_id, criterion, horizon)
);

CREATE TABLE resources (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    catalogue_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    rto_hours INTEGER,
    rpo_hours INTEGER,
    backup_scheme TEXT NOT NULL DEFAULT '',
    offline_copy {{bool}} NOT NULL DEFAULT FALSE,
    immutable_copy {{bool}} NOT NULL DEFAULT FALSE,
    last_restore_test {{ts}},
    owner TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX resources_org ON resources(org_id);

CREATE TABLE activity_dependencies (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    resource_id BIGINT NOT NULL REFERENCES resources(id),
    critical {{bool}} NOT NULL DEFAULT FALSE,
    PRIMARY KEY (activity_id, resource_id)
);

CREATE TABLE degraded_sheets (
    activity_id BIGINT PRIMARY KEY REFERENCES activities(id),
    trigger_text TEXT NOT NULL DEFAULT '',
    first_actions TEXT NOT NULL DEFAULT '',
    paper_forms TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    communication TEXT NOT NULL DEFAULT '',
    return_to_normal TEXT NOT NULL DEFAULT '',
    rekeying TEXT NOT NULL DEFAULT '',
    updated_at {{ts}} NOT NULL
);

-- Every generation of the plan is kept with what changed since the previous one.
CREATE TABLE plan_versions (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    version INTEGER NOT NULL,
    change_log TEXT NOT NULL DEFAULT '',
    snapshot TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    UNIQUE (org_id, version)
);

CREATE TABLE plan_tests (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    planned_on {{ts}},
    done_on {{ts}},
    result TEXT NOT NULL DEFAULT '',
    actions TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE INDEX plan_tests_org ON plan_tests(org_id);
