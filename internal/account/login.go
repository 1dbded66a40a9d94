package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Login: the password step, sessions and their timeouts, throttling of failures.

// Authenticate checks an e-mail and password, with throttling per account and per
// address. Every refusal looks the same from outside.
func (s *Service) Authenticate(ctx context.Context, email, password, ip string) (User, error) {
	email = NormaliseEmail(email)
	now := db.Now()
	if throttled, err := s.throttled(ctx, s.DB.Read, email, ip); err != nil {
		return User{}, err
	} else if throttled {
		return User{}, problem.New(problem.TooMany, "account.error.throttled")
	}
	var id int64
	var hash string
	var disabled, once bool
	err := s.DB.Read.QueryRowContext(ctx, "SELECT id, password_hash, disabled_at IS NOT NULL, password_once FROM users WHERE email = $1", email).Scan(&id, &hash, &disabled, &once)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash(), password)
	} else if err != nil {
		return User{}, err
	}
	ok := id != 0 && !disabled && CheckPassword(hash, password)
	if ok && once {
		// A one-time password is spent by the login it opens (whoever comes first,
		// should two use it at once); that login must choose a new one.
		res, err := s.DB.Write.ExecContext(ctx, "UPDATE users SET password_hash = '' WHERE id = $1 AND password_hash = $2", id, hash)
		if err != nil {
			return User{}, err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
	}
	if !ok {
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			for _, key := range []string{"acct:" + email, "ip:" + ip} {
				if _, err := tx.ExecContext(ctx, "INSERT INTO login_failures (key, at) VALUES ($1, $2)", key, now); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM login_failures WHERE at < $1", now.Add(-failureWindow))
			return err
		})
		if err != nil {
			return User{}, err
		}
		return User{}, problem.New(problem.Unauthorized, "account.error.credentials")
	}
	return loadUser(ctx, s.DB.Read, id)
}

// throttled reports whether the account or the address failed too often lately.
// Wrong passwords and wrong codes count alike, so the two steps lock together.
func (s *Service) throttled(ctx context.Context, q db.Querier, email, ip string) (bool, error) {
	since := db.Now().Add(-failureWindow)
	var perAccount, perAddress int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN key = $1 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN key = $2 THEN 1 ELSE 0 END), 0)
		FROM login_failures WHERE key IN ($1, $2) AND at > $3`, "acct:"+email, "ip:"+ip, since).Scan(&perAccount, &perAddress)
	return perAccount >= maxFailuresPerAccount || perAddress >= maxFailuresPerAddress, err
}

// clearFailures forgets an account's failures after a complete login.
func clearFailures(ctx context.Context, tx *sql.Tx, email string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM login_failures WHERE key = $1", "acct:"+email)
	return err
}

// StartSession opens a session for u at the stage its second factor allows, and
// returns the cookie value. A new value is issued at each login and each change of
// stage, so that a value seen before login is worth nothing after.
func (s *Service) StartSession(ctx context.Context, u User, ip, userAgent string) (string, string, error) {
	stage := StagePassword
	if !u.PasswordOnce {
		stage = factorStage(u)
	}
	var token string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) (err error) {
		token, err = s.openSession(ctx, tx, "", u.ID, stage, Proof{Method: MethodPassword, Level: identity.Low}, ip, userAgent)
		if err != nil {
			return err
		}
		if stage == StageFull {
			return completeLogin(ctx, tx, u)
		}
		return nil
	})
	return token, stage, err
}

// factorStage is the stage after the password: the code, the enrolment the role
// requires, or a complete login.
func factorStage(u User) string {
	switch {
	case u.TOTPEnabled:
		return StageTOTP
	case u.NeedsSecondFactor():
		return StageEnrol
	}
	return StageFull
}

// SetFirstPassword replaces a spent one-time password by the person's own, and
// moves the session on to its second factor or a complete login. It returns the
// new session value and its stage.
func (s *Service) SetFirstPassword(ctx context.Context, sessionToken, password string) (string, string, error) {
	if key := checkNewPassword(password); key != "" {
		var c problem.Checks
		c.Add("password", key, MinPasswordLength)
		return "", "", c.Err()
	}
	var token, stage string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		var current string
		if err := tx.QueryRowContext(ctx, "SELECT user_id, stage FROM sessions WHERE id_hash = $1", hashSecret(sessionToken)).Scan(&userID, &current); err != nil || current != StagePassword {
			return problem.New(problem.Unauthorized, "account.error.login_required")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, password_once = FALSE, updated_at = $2 WHERE id = $3", HashPassword(password), db.Now(), userID); err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		stage = factorStage(u)
		if token, err = rotate(ctx, tx, sessionToken, stage, false); err != nil {
			return err
		}
		if err := audit.Record(authz.WithSubject(ctx, u.Subject()), tx, audit.Entry{Action: "account.first_password", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: firstPath(u)}); err != nil {
			return err
		}
		if stage == StageFull {
			return completeLogin(ctx, tx, u)
		}
		return nil
	})
	return token, stage, err
}

// openSession opens a session of userID at stage, opened with proof, and
// returns its cookie value. When current is the cookie of a session of the
// same user (one below the policy, being raised), that session is upgraded
// instead — new value, stage, method and level — so that raising never leaves a
// second session behind.
func (s *Service) openSession(ctx context.Context, tx *sql.Tx, current string, userID int64, stage string, proof Proof, ip, userAgent string) (string, error) {
	token := rand.Text()
	now := db.Now()
	if current != "" {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET id_hash = $1, stage = $2, method = $3, provider = $4, assurance = $5, last_seen_at = $6
			WHERE id_hash = $7 AND user_id = $8`, hashSecret(token), stage, proof.Method, proof.Provider, string(proof.Level), now, hashSecret(current), userID)
		if err != nil {
			return "", fmt.Errorf("account: raise session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return token, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, expires_at, ip, user_agent, method, provider, assurance)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10)`, hashSecret(token), userID, stage, now, now.Add(s.absolute()), ip, truncate(userAgent, 300),
		proof.Method, proof.Provider, string(proof.Level)); err != nil {
		return "", fmt.Errorf("account: open session: %w", err)
	}
	return token, nil
}

func completeLogin(ctx context.Context, tx *sql.Tx, u User) error {
	return finishLogin(ctx, tx, u, audit.Entry{Action: "account.login", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: firstPath(u)})
}

// finishLogin marks a complete login of u and records it as entry.
func finishLogin(ctx context.Context, tx *sql.Tx, u User, entry audit.Entry) error {
	if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = $1 WHERE id = $2", db.Now(), u.ID); err != nil {
		return err
	}
	if err := clearFailures(ctx, tx, u.Email); err != nil {
		return err
	}
	return audit.Record(authz.WithSubject(ctx, u.Subject()), tx, entry)
}

// firstPath is where entries about u are filed: the first node u holds a role at.
func firstPath(u User) string {
	if len(u.Memberships) > 0 {
		return u.Memberships[0].OrgPath
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// over reports whether a session that expires at expires and was last seen at
// seen has ended at now: past its end, or idle too long.
func (s *Service) over(now, expires, seen time.Time) bool {
	return now.After(expires) || now.Sub(seen) > s.idle()
}

// seen records the activity of the session hashed h, at most once a minute:
// reads should not all become writes.
func (s *Service) seen(ctx context.Context, h string, last, now time.Time) error {
	if now.Sub(last) <= time.Minute {
		return nil
	}
	if _, err := s.DB.Write.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", now, h); err != nil {
		return fmt.Errorf("account: session seen: %w", err)
	}
	return nil
}

// Lookup returns the session behind a cookie value and its user, enforcing the idle
// and absolute timeouts, and records the activity.
func (s *Service) Lookup(ctx context.Context, token string) (Session, User, error) {
	if token == "" {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	h := hashSecret(token)
	var sess Session
	err := s.DB.Read.QueryRowContext(ctx, `SELECT user_id, stage, created_at, last_seen_at, expires_at, ip, user_agent, method, provider, assurance FROM sessions WHERE id_hash = $1`, h).
		Scan(&sess.UserID, &sess.Stage, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.IP, &sess.UserAgent, &sess.Method, &sess.Provider, &sess.Assurance)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	if err != nil {
		return Session{}, User{}, err
	}
	now := db.Now()
	if s.over(now, sess.ExpiresAt, sess.LastSeenAt) {
		_, _ = s.DB.Write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", h)
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.session_expired")
	}
	u, err := loadUser(ctx, s.DB.Read, sess.UserID)
	if err != nil || u.Disabled {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	if err := s.seen(ctx, h, sess.LastSeenAt, now); err != nil {
		return Session{}, User{}, err
	}
	sess.Handle = h[:16]
	sess.Current = true
	// A complete session below the policy of its owner's roles (the policy
	// changed, or the login was not enough for it) is taken back to the step
	// that raises it.
	if sess.Stage == StageFull && !u.Policy.Allows(SessionProof(sess.Method, sess.Provider, sess.Assurance)) {
		sess.Stage, sess.BelowPolicy = StageEnrol, true
	}
	return sess, u, nil
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.DB.Write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(token))
	return err
}

// Sessions lists the user's open sessions; currentToken marks the one asking.
func (s *Service) Sessions(ctx context.Context, userID int64, currentToken string) ([]Session, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id_hash, stage, created_at, last_seen_at, expires_at, ip, user_agent, method, provider, assurance FROM sessions
		WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC`, userID, db.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cur := hashSecret(currentToken)
	var out []Session
	for rows.Next() {
		var h string
		sess := Session{UserID: userID}
		if err := rows.Scan(&h, &sess.Stage, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.IP, &sess.UserAgent, &sess.Method, &sess.Provider, &sess.Assurance); err != nil {
			return nil, err
		}
		sess.Handle, sess.Current = h[:16], h == cur
		out = append(out, sess)
	}
	return out, rows.Err()
}

// RevokeSession ends the user's session whose handle is given; another user's
// session is not found.
func (s *Service) RevokeSession(ctx context.Context, userID int64, handle string) error {
	if len(handle) != 16 || strings.Trim(handle, "0123456789abcdef") != "" {
		return problem.ErrNotFound
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1 AND SUBSTR(id_hash, 1, 16) = $2", userID, handle)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "account.session_revoke", ObjectType: "user", ObjectID: audit.ID(userID)})
	})
}
