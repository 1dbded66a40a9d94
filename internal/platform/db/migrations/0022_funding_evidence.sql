-- From acceptance to payment (issue 14 point 2): the evidence deposited per
-- objective of an accepted candidature (a file, a link, a record of the
-- platform), the declaration of attainment signed by the direction, the ARS
-- verification per objective, the national control and the payment. Amounts are
-- integer euros; statuses plain text, to aggregate easily.
CREATE TABLE funding_evidence (
    id {{id}},
    candidature_id BIGINT NOT NULL REFERENCES funding_candidatures(id),
    objective TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    filename TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    data {{bytes}},
    added_by BIGINT REFERENCES users(id),
    added_at {{ts}} NOT NULL
);
CREATE INDEX funding_evidence_candidature ON funding_evidence (candidature_id, objective);

-- The objectives a declaration names, with the ARS verification of each:
-- declared, accepted, more (the ARS asks for more evidence), refused.
CREATE TABLE funding_objective_states (
    candidature_id BIGINT NOT NULL REFERENCES funding_candidatures(id),
    objective TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    declared_at {{ts}} NOT NULL,
    verified_by BIGINT REFERENCES users(id),
    verified_at {{ts}},
    PRIMARY KEY (candidature_id, objective)
);

-- The declaration, the national control and the payment of a candidature.
ALTER TABLE funding_candidatures ADD COLUMN amount_requested BIGINT;
ALTER TABLE funding_candidatures ADD COLUMN declared_by BIGINT REFERENCES users(id);
ALTER TABLE funding_candidatures ADD COLUMN declared_at {{ts}};
ALTER TABLE funding_candidatures ADD COLUMN control_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE funding_candidatures ADD COLUMN amount_granted BIGINT;
ALTER TABLE funding_candidatures ADD COLUMN controlled_by BIGINT REFERENCES users(id);
ALTER TABLE funding_candidatures ADD COLUMN controlled_at {{ts}};
ALTER TABLE funding_candidatures ADD COLUMN payment_status TEXT NOT NULL DEFAULT '';
ALTER TABLE funding_candidatures ADD COLUMN amount_paid BIGINT;
ALTER TABLE funding_candidatures ADD COLUMN paid_on {{ts}};

-- Reminders sent before a deadline: one per candidature, step and deadline, so
-- that a restart does not send them again.
CREATE TABLE funding_reminders (
    candidature_id BIGINT NOT NULL REFERENCES funding_candidatures(id),
    step TEXT NOT NULL,
    deadline TEXT NOT NULL,
    sent_at {{ts}} NOT NULL,
    PRIMARY KEY (candidature_id, step, deadline)
);
