-- The CaRE programme content (funding domains, calls, objectives): every version
-- kept as its YAML text; the newest is in force. The binary's own version is
-- stored at start-up when the database holds none as new.
CREATE TABLE funding_programmes (
    version INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    shipped {{bool}} NOT NULL DEFAULT FALSE,
    imported_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL
);
