-- Scheduled directory audits may bind with Kerberos (the instance's krb5.conf).
ALTER TABLE directory_sources ADD COLUMN kerberos {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE directory_sources ADD COLUMN spn TEXT NOT NULL DEFAULT '';
