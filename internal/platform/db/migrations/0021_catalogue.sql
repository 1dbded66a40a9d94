-- The catalogue of cyber offers open to health and medico-social structures
-- (ANSSI, ANS and CERT Santé, GRADeS, purchasing centrals…): the starting set
-- shipped in the binary (ref set, shipped), offers imported by the national
-- pilot and offers a GRADeS adds for its region. themes and audience hold the
-- chosen values between commas (",prevenir,reagir,") so that one LIKE filters
-- them on both engines; region is a region code of the tree, '' for national.
-- search is the offer's words folded (lower case, no accents) in Go, the text
-- both engines' full-text search reads.
CREATE TABLE catalogue_offers (
    id {{id}},
    ref TEXT UNIQUE,
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    themes TEXT NOT NULL,
    audience TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    cost TEXT NOT NULL,
    url TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    search TEXT NOT NULL,
    shipped {{bool}} NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX catalogue_offers_region ON catalogue_offers (region);
--sqlite: CREATE VIRTUAL TABLE catalogue_offers_fts USING fts5(search, tokenize = 'unicode61 remove_diacritics 2');
--postgres: CREATE INDEX catalogue_offers_search ON catalogue_offers USING gin (to_tsvector('simple', search));

-- The shipped offers someone deleted: the start-up sync does not bring them
-- back.
CREATE TABLE catalogue_withdrawn (
    ref TEXT PRIMARY KEY
);

-- Awareness: per establishment, year and population of staff, how many people
-- work there and how many followed an awareness action.
CREATE TABLE awareness_counts (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    year INTEGER NOT NULL,
    population TEXT NOT NULL,
    staff INTEGER NOT NULL,
    trained INTEGER NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    updated_at {{ts}} NOT NULL,
    PRIMARY KEY (org_id, year, population)
);
