package account

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Logins through an OpenID Provider: the state kept between the two legs, the
// link of an identity to an account, and the session it opens. The protocol
// itself is internal/identity's.

// oidcStateValidity bounds the time between leaving for the provider and coming back.
const oidcStateValidity = 10 * time.Minute

// Session methods: how a session was opened (shown in the sessions list).
const (
	MethodPassword     = "password"
	MethodPasswordTOTP = "password_totp"
	MethodOIDC         = "oidc"
	MethodOIDCTOTP     = "oidc_totp"
)

// SaveOIDCState keeps a login sent to provider until it comes back.
func (s *Service) SaveOIDCState(ctx context.Context, provider string, p identity.Pending, retour string) error {
	now := db.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM oidc_states WHERE expires_at < $1", now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO oidc_states (state_hash, provider, nonce, verifier, retour, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
			hashSecret(p.State), provider, p.Nonce, p.Verifier, retour, now.Add(oidcStateValidity))
		return err
	})
}

// TakeOIDCState returns and forgets the login started with state at provider: a
// state is good once, for its provider, before it expires.
func (s *Service) TakeOIDCState(ctx context.Context, provider, state string) (identity.Pending, string, error) {
	if state == "" {
		return identity.Pending{}, "", identity.ErrState
	}
	var p identity.Pending
	var retour, from string
	var expires time.Time
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT provider, nonce, verifier, retour, expires_at FROM oidc_states WHERE state_hash = $1", hashSecret(state)).
			Scan(&from, &p.Nonce, &p.Verifier, &retour, &expires)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM oidc_states WHERE state_hash = $1", hashSecret(state))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (from != provider || db.Now().After(expires))) {
		return identity.Pending{}, "", identity.ErrState
	}
	if err != nil {
		return identity.Pending{}, "", err
	}
	p.State = state
	return p, retour, nil
}

// OIDCLogin opens a session for the account the identity belongs to. The first
// login through a provider links it to an existing account (invited or active):
// by the national professional identifier recorded on the account, or by an
// e-mail address the provider says it verified. Anything else is refused — an
// identity never makes an account. The session opens in full when the provider
// asserts eIDAS substantial or more; below, it goes on to the second factor the
// account has or its role requires, as after a password.
//
// current is the browser's session cookie, if any: a session of the same
// account (below the policy, being raised) is upgraded rather than doubled.
func (s *Service) OIDCLogin(ctx context.Context, who identity.Identity, current, ip, userAgent string) (User, string, string, error) {
	token := ""
	stage := ""
	var u User
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		userID, linkedBy, err := findIdentity(ctx, tx, who)
		if err != nil {
			return err
		}
		if u, err = loadUser(ctx, tx, userID); err != nil {
			return err
		}
		if u.Disabled {
			return problem.New(problem.Unauthorized, "account.error.oidc_disabled")
		}
		actx := authz.WithSubject(ctx, u.Subject())
		now := db.Now()
		if linkedBy != "" {
			if _, err := tx.ExecContext(ctx, "INSERT INTO user_identities (user_id, provider, subject, created_at, last_used_at) VALUES ($1, $2, $3, $4, $4)",
				u.ID, who.Provider, who.Subject, now); err != nil {
				return err
			}
			if err := audit.Record(actx, tx, audit.Entry{Action: "account.oidc_link", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: firstPath(u),
				Changes: map[string]audit.Change{"provider": {After: who.Provider}, "linked_by": {After: linkedBy}}}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_identities SET last_used_at = $1, assurance = $2 WHERE provider = $3 AND subject = $4", now, string(who.Level), who.Provider, who.Subject); err != nil {
			return err
		}
		stage = StageFull
		if !who.Level.AtLeast(identity.Substantial) {
			stage = factorStage(u)
		}
		if token, err = s.openSession(ctx, tx, current, u.ID, stage, Proof{Method: MethodOIDC, Provider: who.Provider, Level: who.Level}, ip, userAgent); err != nil {
			return err
		}
		entry := audit.Entry{Action: "account.oidc_login", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: firstPath(u),
			Changes: map[string]audit.Change{"provider": {After: who.Provider}, "assurance": {After: string(who.Level)}}}
		if stage == StageFull {
			return finishLogin(ctx, tx, u, entry)
		}
		return audit.Record(actx, tx, entry)
	})
	if err != nil {
		return User{}, "", "", err
	}
	return u, token, stage, nil
}

// findIdentity is the account an identity belongs to, and how it was found when
// this login links it ("" when it was linked before).
func findIdentity(ctx context.Context, tx *sql.Tx, who identity.Identity) (int64, string, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2", who.Provider, who.Subject).Scan(&id)
	if err == nil {
		return id, "", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, "", err
	}
	unknown := problem.New(problem.Unauthorized, "account.error.oidc_unknown")
	by := ""
	switch {
	case who.ProfessionalID != "":
		err, by = tx.QueryRowContext(ctx, "SELECT id FROM users WHERE professional_id = $1", who.ProfessionalID).Scan(&id), "professional_id"
		if errors.Is(err, sql.ErrNoRows) && who.EmailVerified && who.Email != "" {
			err, by = tx.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", who.Email).Scan(&id), "email"
		}
	case who.EmailVerified && who.Email != "":
		err, by = tx.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", who.Email).Scan(&id), "email"
	default:
		return 0, "", unknown
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", unknown
	}
	if err != nil {
		return 0, "", err
	}
	// An account holds one identity per provider: another person's identity at the
	// same provider cannot take it over through a shared address.
	var other int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND provider = $2", id, who.Provider).Scan(&other); err != nil {
		return 0, "", err
	}
	if other > 0 {
		return 0, "", problem.New(problem.Conflict, "account.error.oidc_other_identity")
	}
	return id, by, nil
}

// OIDCFailure records a refused login through provider, with the reason's code.
func (s *Service) OIDCFailure(ctx context.Context, provider, reason string) error {
	return s.LoginFailure(ctx, "account.oidc_failure", "identity_provider", provider, reason)
}

// LoginFailure records a refused login (no account is known yet: the entry is
// filed at the national root, where administrators read it).
func (s *Service) LoginFailure(ctx context.Context, action, objectType, objectID, reason string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var root string
		if err := tx.QueryRowContext(ctx, "SELECT path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").Scan(&root); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: objectID, OrgPath: root,
			Changes: map[string]audit.Change{"reason": {After: reason}}})
	})
}

// professionalID: the national identifiers of health professionals are digits
// (RPPS: 11; with Pro Santé Connect's leading type digit, 12), letters for some
// other registers; anything else is a typing mistake.
var professionalID = regexp.MustCompile(`^[0-9A-Za-z]{6,20}$`)

// SetProfessionalID records (or clears, with "") the national professional
// identifier of an account, for those who may manage every role it holds.
func (s *Service) SetProfessionalID(ctx context.Context, userID int64, pid string) error {
	pid = strings.TrimSpace(pid)
	if pid != "" && !professionalID.MatchString(pid) {
		var c problem.Checks
		c.Add("professional_id", "account.error.professional_id")
		return c.Err()
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.visibleUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		sub := authz.Current(ctx)
		for _, m := range u.Memberships {
			if !sub.CanGrant(m.Role, m.OrgPath) {
				return problem.New(problem.Forbidden, "account.error.cannot_disable", string(m.Role))
			}
		}
		if u.ProfessionalID == pid {
			return nil
		}
		if pid != "" {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE professional_id = $1 AND id <> $2", pid, userID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				var c problem.Checks
				c.Add("professional_id", "account.error.professional_id_taken")
				return c.Err()
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET professional_id = $1, updated_at = $2 WHERE id = $3", pid, db.Now(), userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.professional_id", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: firstPath(u),
			Changes: map[string]audit.Change{"professional_id": {Before: u.ProfessionalID, After: pid}}})
	})
}
