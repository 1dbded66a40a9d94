-- Each node's latest directory audit and latest finished exposure scan carry a
-- flag kept in the same transaction as the write that makes them latest, as the
-- maturity assessments do: a roll-up reads one row per establishment, whatever
-- the years of history behind it.
ALTER TABLE directory_audits ADD COLUMN latest {{bool}} NOT NULL DEFAULT FALSE;
UPDATE directory_audits SET latest = TRUE WHERE id = (SELECT l.id FROM directory_audits l
    WHERE l.org_id = directory_audits.org_id ORDER BY l.collected_at DESC, l.id DESC LIMIT 1);
CREATE UNIQUE INDEX directory_audits_latest ON directory_audits(org_id) WHERE latest;

ALTER TABLE exposure_scans ADD COLUMN latest {{bool}} NOT NULL DEFAULT FALSE;
UPDATE exposure_scans SET latest = TRUE WHERE id = (SELECT l.id FROM exposure_scans l
    WHERE l.org_id = exposure_scans.org_id AND l.status = 'done' ORDER BY l.finished_at DESC, l.id DESC LIMIT 1);
CREATE UNIQUE INDEX exposure_scans_latest ON exposure_scans(org_id) WHERE latest;

-- Exercises finished in a year, read from the index alone: an exercise row holds
-- its kit (tens of kilobytes), which a scan of the table would read.
CREATE INDEX exercises_finished ON exercises(status, finished_at, org_id);
