-- Domaine 2, O1.C: the minimum BIA perimeter is asked "where they exist" (one care
-- service with a major impact on patients, the most critical administrative
-- process, one technical platform of the care pathway). An establishment records
-- here the items it does not have (comma-separated activity types: care, admin,
-- platform), so that it is not failed for lacking them.
ALTER TABLE continuity_plans ADD COLUMN absent_perimeter TEXT NOT NULL DEFAULT '';

-- The required RTO of an application follows from the activities that depend on
-- it: how long the rehearsed degraded mode of each holds (on its sheet; none when
-- not rehearsed, and the DMIA applies), minus a detection and decision margin set
-- per establishment (none unless set).
ALTER TABLE degraded_sheets ADD COLUMN holds_hours INTEGER;
ALTER TABLE continuity_plans ADD COLUMN margin_hours INTEGER;
