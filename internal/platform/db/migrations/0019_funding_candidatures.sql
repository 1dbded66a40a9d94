-- Candidatures to the CaRE funding calls: an establishment, or a GHT for its
-- member establishments, candidates to a call of the programme content; the ARS
-- of its region accepts or rejects it with a reason. One candidature per node and
-- call. The call and domain are the ids of the programme content.
CREATE TABLE funding_candidatures (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    call_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    programme_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    submitted_by BIGINT REFERENCES users(id),
    submitted_at {{ts}} NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at {{ts}},
    withdrawn_at {{ts}},
    UNIQUE (org_id, call_id)
);
CREATE INDEX funding_candidatures_call ON funding_candidatures (call_id);

-- The member establishments a GHT's candidature carries.
CREATE TABLE funding_candidature_members (
    candidature_id BIGINT NOT NULL REFERENCES funding_candidatures(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (candidature_id, org_id)
);
CREATE INDEX funding_candidature_members_org ON funding_candidature_members (org_id);
