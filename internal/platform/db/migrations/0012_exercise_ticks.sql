-- When a delivery loop last ticked a running exercise: a long silence means the
-- platform was down, and the exercise clock does not count it.
ALTER TABLE exercises ADD COLUMN ticked_at {{ts}};
