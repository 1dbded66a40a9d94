-- GHT directory convergence: per GHT, the target of its members' technical
-- directories (one shared directory, or an architecture of trusts) and the
-- milestones that lead there, each with its date, its owner and whether it is done.
-- A PUT replaces the target and the whole list of milestones at once.

CREATE TABLE directory_convergence (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),  -- the GHT
    target TEXT NOT NULL,                           -- single or trust
    note TEXT NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES users(id),
    updated_at {{ts}} NOT NULL
);

CREATE TABLE directory_milestones (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES directory_convergence(org_id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    due_on TEXT NOT NULL,              -- YYYY-MM-DD
    owner TEXT NOT NULL DEFAULT '',    -- a person's name or role, as text
    done {{bool}} NOT NULL DEFAULT FALSE,
    UNIQUE (org_id, position)
);
