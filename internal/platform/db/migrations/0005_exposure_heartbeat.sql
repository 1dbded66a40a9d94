-- A scan belongs to the instance that runs it: the runner writes a heartbeat, any
-- instance may ask it to stop, and a scan whose heartbeat stopped (the instance died)
-- no longer blocks the establishment.
ALTER TABLE exposure_scans ADD COLUMN heartbeat_at {{ts}};
ALTER TABLE exposure_scans ADD COLUMN cancel_requested {{bool}} NOT NULL DEFAULT FALSE;
