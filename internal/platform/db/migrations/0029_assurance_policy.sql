-- Assurance policy per role (issue 18, points 4 and 8): the minimum assurance a
-- session of a holder of the role must reach (password, second_factor,
-- substantial, high) and, when methods is not empty, the only ways it may be
-- opened (space-separated among password_totp, passkey, oidc:<provider id>).
-- A role without a row follows the defaults of internal/account/policy.go.
CREATE TABLE assurance_policies (
    role TEXT PRIMARY KEY,
    min_assurance TEXT NOT NULL,
    methods TEXT NOT NULL DEFAULT '',
    updated_at {{ts}} NOT NULL
);

-- The eIDAS level a provider asserted at the last login of the identity: what
-- an API token of its owner may count on when the policy names that provider.
ALTER TABLE user_identities ADD COLUMN assurance TEXT NOT NULL DEFAULT '';
