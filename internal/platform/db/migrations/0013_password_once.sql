-- A password handed over by someone else (account creation, command line) works
-- once: the login it opens must set a new one before anything else.
ALTER TABLE users ADD COLUMN password_once BOOLEAN NOT NULL DEFAULT FALSE;
