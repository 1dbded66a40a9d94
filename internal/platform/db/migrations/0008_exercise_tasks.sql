-- A main courante entry of kind "action" is a task of its cell until someone marks
-- it done; animators and observers may keep notes that players never see.
ALTER TABLE exercise_log ADD COLUMN done_at {{ts}};
