package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"care/internal/audit"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Passkeys: WebAuthn discoverable credentials, registered from the profile (as
// many as the person wants, each named) and used alone at the login page. A
// passkey asks the authenticator to verify its user (PIN or biometrics): what
// the person has and what they know or are, two factors (W3C WebAuthn Level 3
// §6.2.3 user verification; Regulation (EU) 2015/1502 annex 2.2.1), which the
// RIE accepts for the substantial level (FIDO2, care-domain §6.1).

// MethodPasskey is a session opened with a passkey.
const MethodPasskey = "passkey"

// passkeyProof is a session opened with a passkey: user verification makes it
// two factors, eIDAS substantial (see the package comment above).
var passkeyProof = Proof{Method: MethodPasskey, Level: identity.Substantial}

const ceremonyValidity = 5 * time.Minute

// Passkey is a registered passkey as its owner sees it.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// passkeyUser is an account as go-webauthn sees it.
type passkeyUser struct {
	id     int64
	handle []byte
	email  string
	name   string
	creds  []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u passkeyUser) WebAuthnName() string                       { return u.email }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// relyingParty is the WebAuthn relying party of the instance: its host is the
// RP ID (a name: browsers refuse an IP address), its base URL the origin.
func (s *Service) relyingParty() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("account: passkeys need the instance's base URL: %q", s.BaseURL)
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: "CaRE", RPOrigins: []string{u.Scheme + "://" + u.Host}})
}

// passkeyUserOf reads an account with its passkeys.
func passkeyUserOf(ctx context.Context, q db.Querier, userID int64) (passkeyUser, error) {
	u := passkeyUser{id: userID}
	var handle string
	if err := q.QueryRowContext(ctx, "SELECT email, name, webauthn_handle FROM users WHERE id = $1", userID).Scan(&u.email, &u.name, &handle); err != nil {
		return u, fmt.Errorf("account: load passkey user %d: %w", userID, err)
	}
	u.handle, _ = base64.RawURLEncoding.DecodeString(handle)
	rows, err := q.QueryContext(ctx, "SELECT credential FROM passkeys WHERE user_id = $1 ORDER BY id", userID)
	if err != nil {
		return u, fmt.Errorf("account: load passkeys of %d: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		var c webauthn.Credential
		if err := rows.Scan(&raw); err != nil {
			return u, err
		}
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return u, fmt.Errorf("account: passkey of %d: %w", userID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, rows.Err()
}

// saveCeremony keeps a ceremony's session data under a new id, returned.
func saveCeremony(ctx context.Context, tx *sql.Tx, kind string, userID int64, sd *webauthn.SessionData) (string, error) {
	b, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	id := rand.Text()
	now := db.Now()
	if _, err := tx.ExecContext(ctx, "DELETE FROM webauthn_ceremonies WHERE expires_at < $1", now); err != nil {
		return "", err
	}
	var user any
	if userID != 0 {
		user = userID
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO webauthn_ceremonies (id_hash, kind, user_id, data, expires_at) VALUES ($1, $2, $3, $4, $5)",
		hashSecret(id), kind, user, string(b), now.Add(ceremonyValidity))
	return id, err
}

// takeCeremony returns and forgets a ceremony of kind (for userID, 0 for a login).
func takeCeremony(ctx context.Context, tx *sql.Tx, id, kind string, userID int64) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	var data string
	var user sql.NullInt64
	var expires time.Time
	refused := problem.New(problem.Invalid, "account.error.passkey_ceremony")
	err := tx.QueryRowContext(ctx, "SELECT data, user_id, expires_at FROM webauthn_ceremonies WHERE id_hash = $1 AND kind = $2", hashSecret(id), kind).Scan(&data, &user, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sd, refused
	}
	if err != nil {
		return sd, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM webauthn_ceremonies WHERE id_hash = $1", hashSecret(id)); err != nil {
		return sd, err
	}
	if user.Int64 != userID || db.Now().After(expires) {
		return sd, refused
	}
	return sd, json.Unmarshal([]byte(data), &sd)
}

// BeginPasskeyRegistration returns the options of a new passkey for the
// account (a discoverable credential, user verification required, none of the
// account's passkeys again) and the ceremony's id.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, userID int64) ([]byte, string, error) {
	wa, err := s.relyingParty()
	if err != nil {
		return nil, "", err
	}
	var out []byte
	var id string
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// The handle is drawn once per account: 32 random bytes, no personal data
		// (WebAuthn §14.6.1 user handle contents).
		if _, err := tx.ExecContext(ctx, "UPDATE users SET webauthn_handle = $1 WHERE id = $2 AND webauthn_handle = ''",
			base64.RawURLEncoding.EncodeToString([]byte(rand.Text() + rand.Text())[:32]), userID); err != nil {
			return err
		}
		u, err := passkeyUserOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		var exclude []protocol.CredentialDescriptor
		for _, c := range u.creds {
			exclude = append(exclude, c.Descriptor())
		}
		creation, sd, err := wa.BeginRegistration(u,
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
				RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}),
			webauthn.WithExclusions(exclude))
		if err != nil {
			return err
		}
		if id, err = saveCeremony(ctx, tx, "register", userID, sd); err != nil {
			return err
		}
		out, err = json.Marshal(creation)
		return err
	})
	return out, id, err
}

// FinishPasskeyRegistration checks the authenticator's answer to the ceremony
// and keeps the new passkey under name. With current (the cookie of a session
// being raised), the session is raised to a passkey's level — the
// authenticator has just verified its user — under a new value, returned.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, userID int64, ceremony, name string, answer []byte, current, ip, userAgent string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		var c problem.Checks
		c.Add("name", "account.error.passkey_name")
		return "", c.Err()
	}
	wa, err := s.relyingParty()
	if err != nil {
		return "", err
	}
	var token string
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		sd, err := takeCeremony(ctx, tx, ceremony, "register", userID)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
		if err != nil {
			return problem.New(problem.Invalid, "account.error.passkey_invalid")
		}
		u, err := passkeyUserOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		cred, err := wa.CreateCredential(u, sd, parsed)
		if err != nil {
			return problem.New(problem.Invalid, "account.error.passkey_invalid")
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO passkeys (user_id, name, credential_id, credential, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			userID, name, base64.RawURLEncoding.EncodeToString(cred.ID), string(raw), db.Now()).Scan(&id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "account.passkey_add", ObjectType: "user", ObjectID: audit.ID(userID),
			Changes: map[string]audit.Change{"name": {After: name}}}); err != nil || current == "" {
			return err
		}
		if token, err = s.openSession(ctx, tx, current, userID, StageFull, passkeyProof, ip, userAgent); err != nil {
			return err
		}
		owner, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		return completeLogin(ctx, tx, owner)
	})
	return token, err
}

// Passkeys lists the account's passkeys.
func (s *Service) Passkeys(ctx context.Context, userID int64) ([]Passkey, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("account: list passkeys of %d: %w", userID, err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var used sql.NullTime
		if err := rows.Scan(&p.ID, &p.Name, &p.CreatedAt, &used); err != nil {
			return nil, err
		}
		p.LastUsedAt = db.TimePtr(used)
		out = append(out, p)
	}
	return out, rows.Err()
}

// RenamePasskey names one of the account's passkeys anew.
func (s *Service) RenamePasskey(ctx context.Context, userID, id int64, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		var c problem.Checks
		c.Add("name", "account.error.passkey_name")
		return c.Err()
	}
	return s.passkeyChange(ctx, userID, id, "account.passkey_rename", "UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2", name)
}

// RevokePasskey removes one of the account's passkeys: it opens nothing after.
func (s *Service) RevokePasskey(ctx context.Context, userID, id int64) error {
	return s.passkeyChange(ctx, userID, id, "account.passkey_revoke", "DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
}

func (s *Service) passkeyChange(ctx context.Context, userID, id int64, action, query string, args ...any) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, "SELECT name FROM passkeys WHERE id = $1 AND user_id = $2", id, userID).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, query, append([]any{id, userID}, args...)...); err != nil {
			return err
		}
		changes := map[string]audit.Change{"name": {Before: name}}
		if len(args) > 0 {
			changes["name"] = audit.Change{Before: name, After: args[0]}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "user", ObjectID: audit.ID(userID), Changes: changes})
	})
}

// BeginPasskeyLogin returns the options of a login with any passkey of this
// instance (discoverable: the authenticator names the account) and the ceremony's id.
func (s *Service) BeginPasskeyLogin(ctx context.Context) ([]byte, string, error) {
	wa, err := s.relyingParty()
	if err != nil {
		return nil, "", err
	}
	assertion, sd, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", err
	}
	var id string
	if err := s.DB.Tx(ctx, func(tx *sql.Tx) (err error) {
		id, err = saveCeremony(ctx, tx, "login", 0, sd)
		return err
	}); err != nil {
		return nil, "", err
	}
	out, err := json.Marshal(assertion)
	return out, id, err
}

// FinishPasskeyLogin checks the authenticator's signature with the passkey the
// account holds under that credential id, and opens a full session (or raises
// current, the browser's session of the same account: see openSession). A
// passkey the account does not hold (another account's, or one revoked) opens
// nothing.
func (s *Service) FinishPasskeyLogin(ctx context.Context, ceremony string, answer []byte, current, ip, userAgent string) (User, string, error) {
	wa, err := s.relyingParty()
	if err != nil {
		return User{}, "", err
	}
	refused := problem.New(problem.Unauthorized, "account.error.passkey_refused")
	var token string
	var u User
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		sd, err := takeCeremony(ctx, tx, ceremony, "login", 0)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
		if err != nil {
			return refused
		}
		owner, cred, err := wa.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
			var id int64
			if err := tx.QueryRowContext(ctx, "SELECT id FROM users WHERE webauthn_handle = $1 AND webauthn_handle <> ''", base64.RawURLEncoding.EncodeToString(handle)).Scan(&id); err != nil {
				return nil, err
			}
			return passkeyUserOf(ctx, tx, id)
		}, sd, parsed)
		if err != nil {
			return refused
		}
		pu := owner.(passkeyUser)
		if !bytes.Equal(pu.handle, parsed.Response.UserHandle) {
			return refused
		}
		if u, err = loadUser(ctx, tx, pu.id); err != nil {
			return err
		}
		if u.Disabled {
			return refused
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		now := db.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE user_id = $3 AND credential_id = $4",
			string(raw), now, u.ID, base64.RawURLEncoding.EncodeToString(cred.ID)); err != nil {
			return err
		}
		if token, err = s.openSession(ctx, tx, current, u.ID, StageFull, passkeyProof, ip, userAgent); err != nil {
			return err
		}
		return finishLogin(ctx, tx, u, audit.Entry{Action: "account.passkey_login", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: firstPath(u)})
	})
	if err != nil {
		return User{}, "", err
	}
	return u, token, nil
}
