-- Domaine 2, O1.C: the minimum BIA perimeter is asked "where they exist" (one care
-- service with a major impact on patients, the most critical administrative
-- process, one technical platform of the care pathway). An establishment records
-- here the items it does not have (comma-separated activity types: care, admin,
-- platform), so that it is not failed for lacking them.
ALTER TABLE continuity_plans ADD COLUMN absent_perimeter TEXT NOT NULL DEFAULT '';
