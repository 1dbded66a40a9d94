-- Crisis exercises after the play: observers' marks on the grid, the RETEX and its
-- action plan, which outlives the exercise and may point at a continuity activity.

CREATE TABLE exercise_marks (
    id {{id}},
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    criterion TEXT NOT NULL,
    score INTEGER NOT NULL,            -- 1 not met, 2 partly met, 3 met
    note TEXT NOT NULL DEFAULT '',
    elapsed_seconds INTEGER NOT NULL,  -- exercise time of the mark
    created_at {{ts}} NOT NULL
);
CREATE INDEX exercise_marks_exercise ON exercise_marks(exercise_id);

CREATE TABLE exercise_retex (
    exercise_id BIGINT PRIMARY KEY REFERENCES exercises(id),
    strengths TEXT NOT NULL DEFAULT '',
    improvements TEXT NOT NULL DEFAULT '',
    updated_at {{ts}} NOT NULL,
    closed_by BIGINT REFERENCES users(id)
);

CREATE TABLE exercise_actions (
    id {{id}},
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on {{ts}} NOT NULL,
    status TEXT NOT NULL,              -- todo, in_progress, done
    activity_id BIGINT REFERENCES activities(id),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX exercise_actions_org ON exercise_actions(org_id, status);
