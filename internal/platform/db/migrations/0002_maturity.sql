-- Self-assessments: questionnaire versions, assessments, answers, evidence.

-- Every version of every questionnaire is kept: an assessment is scored with the
-- version it was made with.
CREATE TABLE questionnaires (
    id {{id}},
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    shipped {{bool}} NOT NULL DEFAULT FALSE,
    imported_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    UNIQUE (slug, version)
);

CREATE TABLE assessments (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    questionnaire_id BIGINT NOT NULL REFERENCES questionnaires(id),
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    submitted_at {{ts}},
    validated_at {{ts}},
    validated_by BIGINT REFERENCES users(id),
    locked_at {{ts}},
    -- The result, frozen at validation, so that a roll-up reads one row per
    -- establishment. theme_scores is "theme=percent;theme=percent", quick to parse.
    level TEXT NOT NULL DEFAULT '',
    percent {{float}},
    theme_scores TEXT NOT NULL DEFAULT '',
    -- The latest validated assessment of its establishment for its questionnaire.
    latest {{bool}} NOT NULL DEFAULT FALSE
);
CREATE INDEX assessments_org ON assessments(org_id);
CREATE INDEX assessments_latest ON assessments(questionnaire_id, latest);

CREATE TABLE answers (
    assessment_id BIGINT NOT NULL REFERENCES assessments(id),
    question_id TEXT NOT NULL,
    option_id TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    answered_by BIGINT REFERENCES users(id),
    answered_at {{ts}} NOT NULL,
    PRIMARY KEY (assessment_id, question_id)
);

CREATE TABLE evidence (
    id {{id}},
    assessment_id BIGINT NOT NULL REFERENCES assessments(id),
    question_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{bytes}} NOT NULL,
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at {{ts}} NOT NULL
);
CREATE INDEX evidence_assessment ON evidence(assessment_id);
