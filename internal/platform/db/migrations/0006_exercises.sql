-- Crisis exercises: an exercise keeps its own copy of the kit (edited locally), its
-- participants, the stimuli with their delivery, and one ordered stream of events
-- per exercise (stimuli delivered, log entries, state changes) that live clients
-- follow on any instance.

CREATE TABLE exercises (
    id {{id}},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kit_id TEXT NOT NULL,
    kit_version INTEGER NOT NULL,
    kit {{bytes}} NOT NULL,            -- the kit as copied, without its stimuli (JSON)
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    status TEXT NOT NULL,              -- draft, planned, running, finished, closed
    planned_for {{ts}},
    speed INTEGER NOT NULL DEFAULT 1,
    started_at {{ts}},
    paused_at {{ts}},
    paused_ms BIGINT NOT NULL DEFAULT 0, -- wall time spent paused before paused_at
    finished_at {{ts}},
    closed_at {{ts}},
    event_seq BIGINT NOT NULL DEFAULT 0, -- last event number; its row lock orders events
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL
);
CREATE INDEX exercises_org ON exercises(org_id);
CREATE INDEX exercises_status ON exercises(status);

CREATE TABLE exercise_stimuli (
    id {{id}},
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    ref TEXT NOT NULL,
    offset_seconds INTEGER NOT NULL,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,          -- cell ids separated by spaces, or "all"
    title TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '',
    expected TEXT NOT NULL DEFAULT '', -- expected reactions, one per line
    criteria TEXT NOT NULL DEFAULT '',
    delivered_at {{ts}},
    skipped {{bool}} NOT NULL DEFAULT FALSE,
    UNIQUE (exercise_id, ref)
);
CREATE INDEX exercise_stimuli_due ON exercise_stimuli(exercise_id, delivered_at, offset_seconds);

CREATE TABLE exercise_participants (
    id {{id}},
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,                -- animator, observer, player
    cell TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    UNIQUE (exercise_id, user_id)
);
CREATE INDEX exercise_participants_user ON exercise_participants(user_id);

CREATE TABLE exercise_log (
    id {{id}},
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    cell TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,                -- information, decision, action
    body TEXT NOT NULL,
    stimulus_id BIGINT REFERENCES exercise_stimuli(id),
    created_at {{ts}} NOT NULL
);
CREATE INDEX exercise_log_exercise ON exercise_log(exercise_id);

CREATE TABLE exercise_events (
    exercise_id BIGINT NOT NULL REFERENCES exercises(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,                -- stimulus, log, state
    ref_id BIGINT NOT NULL DEFAULT 0,
    audience TEXT NOT NULL DEFAULT 'all', -- cell ids separated by spaces, "all", or "staff" (animators and observers)
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (exercise_id, seq)
);
