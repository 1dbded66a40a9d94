-- Kits imported by the programme's content managers, next to those shipped in the
-- binary: each version kept as its YAML text.
CREATE TABLE exercise_kits (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (id, version)
);
