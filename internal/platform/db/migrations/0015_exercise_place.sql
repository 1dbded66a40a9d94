-- Where an exercise takes place: with its date, it fills the kit's invitation and
-- internal notice.
ALTER TABLE exercises ADD COLUMN place TEXT NOT NULL DEFAULT '';
