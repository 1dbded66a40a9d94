package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Service is the account use cases.
type Service struct {
	DB      *db.DB
	Mail    mail.Sender
	BaseURL string // e.g. http://127.0.0.1:8080, for links in e-mails

	IdleTimeout     time.Duration // a session unused this long ends
	AbsoluteTimeout time.Duration // a session ends this long after login, used or not
	// SecretKey seals the TOTP seeds at rest; without it they are stored as they are.
	SecretKey []byte
}

// Defaults for sessions and login throttling.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	failureWindow          = 15 * time.Minute
	maxFailuresPerAccount  = 5
	maxFailuresPerAddress  = 30
	resetValidity          = time.Hour
)

func (s *Service) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Service) absolute() time.Duration {
	if s.AbsoluteTimeout > 0 {
		return s.AbsoluteTimeout
	}
	return DefaultAbsoluteTimeout
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

const userColumns = `id, email, name, locale, totp_enabled, disabled_at IS NOT NULL, password_once, created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var last sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Locale, &u.TOTPEnabled, &u.Disabled, &u.PasswordOnce, &u.CreatedAt, &last)
	if last.Valid {
		t := last.Time
		u.LastLoginAt = &t
	}
	return u, err
}

// loadUser reads a user and their memberships (at live nodes only: a role held at an
// archived node grants nothing).
func loadUser(ctx context.Context, q db.Querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, problem.ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	u.Memberships, err = memberships(ctx, q, id)
	return u, err
}

func memberships(ctx context.Context, q db.Querier, userID int64) ([]Membership, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.org_id, o.name, o.path, o.level, m.role FROM memberships m
		JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 AND o.archived_at IS NULL ORDER BY o.path, m.role`, userID)
	if err != nil {
		return nil, fmt.Errorf("account: memberships: %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.ID, &m.OrgID, &m.OrgName, &m.OrgPath, &m.OrgLevel, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ---- login ----

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
		CheckPassword(dummyHash, password)
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
	token := rand.Text()
	now := db.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`, hashSecret(token), u.ID, stage, now, now.Add(s.absolute()), ip, truncate(userAgent, 300)); err != nil {
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
		if token, err = rotate(ctx, tx, sessionToken, stage); err != nil {
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

func completeLogin(ctx context.Context, tx *sql.Tx, u User) error {
	if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = $1 WHERE id = $2", db.Now(), u.ID); err != nil {
		return err
	}
	if err := clearFailures(ctx, tx, u.Email); err != nil {
		return err
	}
	ctx = authz.WithSubject(ctx, u.Subject())
	return audit.Record(ctx, tx, audit.Entry{Action: "account.login", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: firstPath(u)})
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

// Lookup returns the session behind a cookie value and its user, enforcing the idle
// and absolute timeouts, and records the activity.
func (s *Service) Lookup(ctx context.Context, token string) (Session, User, error) {
	if token == "" {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	h := hashSecret(token)
	var sess Session
	err := s.DB.Read.QueryRowContext(ctx, `SELECT user_id, stage, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions WHERE id_hash = $1`, h).
		Scan(&sess.UserID, &sess.Stage, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.IP, &sess.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	if err != nil {
		return Session{}, User{}, err
	}
	now := db.Now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.idle() {
		_, _ = s.DB.Write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", h)
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.session_expired")
	}
	u, err := loadUser(ctx, s.DB.Read, sess.UserID)
	if err != nil || u.Disabled {
		return Session{}, User{}, problem.New(problem.Unauthorized, "account.error.login_required")
	}
	// Write the activity at most once a minute: reads should not all become writes.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if _, err := s.DB.Write.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", now, h); err != nil {
			return Session{}, User{}, err
		}
	}
	sess.Handle = h[:16]
	sess.Current = true
	return sess, u, nil
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.DB.Write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(token))
	return err
}

// Sessions lists the user's open sessions; currentToken marks the one asking.
func (s *Service) Sessions(ctx context.Context, userID int64, currentToken string) ([]Session, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id_hash, stage, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions
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
		if err := rows.Scan(&h, &sess.Stage, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.IP, &sess.UserAgent); err != nil {
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

// ---- second factor ----

// BeginEnrolment draws a new TOTP secret for the user, not active until confirmed.
func (s *Service) BeginEnrolment(ctx context.Context, userID int64) (string, error) {
	seed := NewTOTPSecret()
	stored, err := s.storeTOTP(userID, seed)
	if err != nil {
		return "", err
	}
	_, err = s.DB.Write.ExecContext(ctx, "UPDATE users SET totp_secret = $1, updated_at = $2 WHERE id = $3 AND totp_enabled = FALSE", stored, db.Now(), userID)
	return seed, err
}

// PendingSecret returns the secret awaiting confirmation.
func (s *Service) PendingSecret(ctx context.Context, userID int64) (string, error) {
	var stored string
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT totp_secret FROM users WHERE id = $1 AND totp_enabled = FALSE", userID).Scan(&stored); err != nil {
		return "", err
	}
	seed, _, err := s.readTOTP(userID, stored)
	return seed, err
}

// ConfirmEnrolment activates the pending secret when code matches it. When the
// session token is given its stage is raised to full, under a new value (returned).
func (s *Service) ConfirmEnrolment(ctx context.Context, userID int64, code, sessionToken string) (string, error) {
	var newToken string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var stored string
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT totp_secret, totp_last_step FROM users WHERE id = $1 AND totp_enabled = FALSE", userID).Scan(&stored, &last); err != nil || stored == "" {
			return problem.New(problem.Conflict, "account.error.no_enrolment")
		}
		seed, _, err := s.readTOTP(userID, stored)
		if err != nil {
			return err
		}
		step, ok := MatchTOTP(seed, code, time.Now(), last)
		if !ok {
			return problem.New(problem.Invalid, "account.error.totp_code")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_enabled = TRUE, totp_last_step = $1, updated_at = $2 WHERE id = $3", step, db.Now(), userID); err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		actx := authz.WithSubject(ctx, u.Subject())
		if err := audit.Record(actx, tx, audit.Entry{Action: "account.totp_enable", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: firstPath(u)}); err != nil {
			return err
		}
		if sessionToken != "" {
			newToken, err = rotate(ctx, tx, sessionToken, StageFull)
			if err != nil {
				return err
			}
			return completeLogin(ctx, tx, u)
		}
		return nil
	})
	return newToken, err
}

// VerifyTOTP completes a login waiting for its code; it returns the new session value.
func (s *Service) VerifyTOTP(ctx context.Context, sessionToken, code, ip string) (string, error) {
	var newToken string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		var stage string
		if err := tx.QueryRowContext(ctx, "SELECT user_id, stage FROM sessions WHERE id_hash = $1", hashSecret(sessionToken)).Scan(&userID, &stage); err != nil || stage != StageTOTP {
			return problem.New(problem.Unauthorized, "account.error.login_required")
		}
		var stored, email string
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT totp_secret, totp_last_step, email FROM users WHERE id = $1 AND totp_enabled = TRUE", userID).Scan(&stored, &last, &email); err != nil {
			return problem.New(problem.Unauthorized, "account.error.login_required")
		}
		// Guesses are counted per account and address, whatever the session: the
		// count is checked before the code, and past it the half-open session ends.
		if throttled, err := s.throttled(ctx, tx, email, ip); err != nil {
			return err
		} else if throttled {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(sessionToken)); err != nil {
				return err
			}
			return problem.New(problem.TooMany, "account.error.throttled")
		}
		seed, reseal, err := s.readTOTP(userID, stored)
		if err != nil {
			return err
		}
		step, ok := MatchTOTP(seed, code, time.Now(), last)
		if !ok {
			return problem.New(problem.Invalid, "account.error.totp_code")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_last_step = $1 WHERE id = $2", step, userID); err != nil {
			return err
		}
		if reseal {
			sealed, err := s.storeTOTP(userID, seed)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_secret = $1 WHERE id = $2", sealed, userID); err != nil {
				return err
			}
		}
		if newToken, err = rotate(ctx, tx, sessionToken, StageFull); err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		return completeLogin(ctx, tx, u)
	})
	if problem.Is(err, problem.Invalid) {
		// A wrong code counts as a failed login, so codes cannot be guessed at leisure.
		_ = s.recordCodeFailure(ctx, sessionToken, ip)
	}
	return newToken, err
}

func (s *Service) recordCodeFailure(ctx context.Context, sessionToken, ip string) error {
	var email string
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT u.email FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1", hashSecret(sessionToken)).Scan(&email); err != nil {
		return err
	}
	now := db.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at > $2", "acct:"+email, now.Add(-failureWindow)).Scan(&n); err != nil {
			return err
		}
		if n+1 >= maxFailuresPerAccount {
			// Too many wrong codes: the half-open session ends, the password is needed again.
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hashSecret(sessionToken)); err != nil {
				return err
			}
		}
		for _, key := range []string{"acct:" + email, "ip:" + ip} {
			if _, err := tx.ExecContext(ctx, "INSERT INTO login_failures (key, at) VALUES ($1, $2)", key, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// rotate replaces a session's cookie value (keeping its times) and sets its stage.
func rotate(ctx context.Context, tx *sql.Tx, oldToken, stage string) (string, error) {
	token := rand.Text()
	res, err := tx.ExecContext(ctx, "UPDATE sessions SET id_hash = $1, stage = $2, last_seen_at = $3 WHERE id_hash = $4", hashSecret(token), stage, db.Now(), hashSecret(oldToken))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", problem.New(problem.Unauthorized, "account.error.login_required")
	}
	return token, nil
}

// ---- passwords ----

// ChangePassword sets a new password after checking the current one, and ends the
// user's other sessions.
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next, keepToken string) error {
	var c problem.Checks
	var hash string
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT password_hash FROM users WHERE id = $1", userID).Scan(&hash); err != nil {
		return err
	}
	if !CheckPassword(hash, current) {
		c.Add("current", "account.error.current_password")
	}
	if key := checkNewPassword(next); key != "" {
		c.Add("password", key, MinPasswordLength)
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3", HashPassword(next), db.Now(), userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", userID, hashSecret(keepToken)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "account.password_change", ObjectType: "user", ObjectID: audit.ID(userID)})
	})
}

// RequestReset e-mails a single-use reset link to the account with this address, if
// any. The answer is the same whether or not the account exists.
func (s *Service) RequestReset(ctx context.Context, email string, lang i18n.Lang) error {
	email = NormaliseEmail(email)
	var id int64
	err := s.DB.Read.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1 AND disabled_at IS NULL", email).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	token := rand.Text()
	now := db.Now()
	if _, err := s.DB.Write.ExecContext(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
		hashSecret(token), id, now, now.Add(resetValidity)); err != nil {
		return err
	}
	link := strings.TrimSuffix(s.BaseURL, "/") + "/reinitialisation/" + token
	return s.Mail.Send(ctx, mail.Message{To: email, Subject: lang.T("mail.reset.subject"), Body: lang.T("mail.reset.body", link)})
}

// CheckReset reports whether a reset token is still usable.
func (s *Service) CheckReset(ctx context.Context, token string) error {
	var n int
	err := s.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", hashSecret(token), db.Now()).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return problem.New(problem.NotFound, "account.error.reset_invalid")
	}
	return nil
}

// Reset sets a new password with a reset token, once, and ends every session.
func (s *Service) Reset(ctx context.Context, token, password string) error {
	if key := checkNewPassword(password); key != "" {
		var c problem.Checks
		c.Add("password", key, MinPasswordLength)
		return c.Err()
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		now := db.Now()
		err := tx.QueryRowContext(ctx, "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2", hashSecret(token), now).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "account.error.reset_invalid")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL", now, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, password_once = FALSE, updated_at = $2 WHERE id = $3", HashPassword(password), now, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		return audit.Record(authz.WithSubject(ctx, u.Subject()), tx, audit.Entry{Action: "account.password_reset", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: firstPath(u)})
	})
}

// ---- users and roles ----

// Create makes an account holding one role at one node, and returns it with a
// one-time password to hand over. The caller must be allowed to grant that role there.
func (s *Service) Create(ctx context.Context, n NewUser) (User, string, error) {
	n.Email = NormaliseEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	var c problem.Checks
	n.validate(&c)
	password := rand.Text()
	var u User
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if !c.Has("email") {
			var exists int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE email = $1", n.Email).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				c.Add("email", "account.error.email_taken")
			}
		}
		path, err := s.checkGrant(ctx, tx, n.Role, n.OrgID, &c)
		if err != nil {
			return err
		}
		if err := c.Err(); err != nil {
			return err
		}
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, password_once, created_at, updated_at) VALUES ($1, $2, $3, TRUE, $4, $4) RETURNING id`,
			n.Email, n.Name, HashPassword(password), now).Scan(&u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)", u.ID, n.OrgID, n.Role, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: audit.ID(u.ID), OrgPath: path,
			Changes: audit.Diff(nil, map[string]any{"email": n.Email, "name": n.Name, "role": string(n.Role), "org_id": n.OrgID})}); err != nil {
			return err
		}
		u, err = loadUser(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return User{}, "", err
	}
	return u, password, nil
}

// checkGrant validates giving role at orgID: the node exists and is visible, the role
// may be held at its level, and the caller may grant it there. The CLI runs without a
// subject and may grant anything.
func (s *Service) checkGrant(ctx context.Context, q db.Querier, role authz.Role, orgID int64, c *problem.Checks) (string, error) {
	var path, level string
	var archived bool
	err := q.QueryRowContext(ctx, "SELECT path, level, archived_at IS NOT NULL FROM orgs WHERE id = $1", orgID).Scan(&path, &level, &archived)
	sub, hasSubject := authz.FromContext(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && hasSubject && !sub.Can(authz.UserRead, path) && !sub.Can(authz.OrgRead, path)) {
		c.Add("org", "account.error.org_unknown")
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if archived {
		c.Add("org", "account.error.org_archived")
	}
	if role.Valid() && !slices.Contains(role.HeldAt(), level) {
		c.Add("role", "account.error.role_level", string(role))
	}
	if hasSubject && role.Valid() && !sub.CanGrant(role, path) {
		return "", problem.New(problem.Forbidden, "account.error.cannot_grant", string(role))
	}
	return path, nil
}

// Grant gives an existing user one more role at a node.
func (s *Service) Grant(ctx context.Context, userID int64, role authz.Role, orgID int64) error {
	var c problem.Checks
	if !role.Valid() {
		c.Add("role", "account.error.role_unknown", string(role))
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.visibleUser(ctx, tx, userID); err != nil {
			return err
		}
		path, err := s.checkGrant(ctx, tx, role, orgID, &c)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND org_id = $2 AND role = $3", userID, orgID, role).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			c.Add("role", "account.error.role_held")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)", userID, orgID, role, db.Now()); err != nil {
			return err
		}
		// A change of privilege ends the user's sessions: they log in again with the new rights.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		// A role that requires a second factor ends the tokens of someone without
		// one: a token must not carry the role past the enrolment.
		if role.RequiresSecondFactor() {
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM users WHERE id = $2 AND totp_enabled = TRUE)`, db.Now(), userID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.grant", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: path,
			Changes: map[string]audit.Change{"role": {After: string(role) + "@" + audit.ID(orgID)}}})
	})
}

// Revoke removes one membership; the caller must be allowed to grant it.
func (s *Service) Revoke(ctx context.Context, userID, membershipID int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.visibleUser(ctx, tx, userID); err != nil {
			return err
		}
		var role authz.Role
		var orgID int64
		var path string
		err := tx.QueryRowContext(ctx, "SELECT m.role, m.org_id, o.path FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1 AND m.user_id = $2", membershipID, userID).Scan(&role, &orgID, &path)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		sub := subject(ctx)
		if !sub.Can(authz.UserRead, path) {
			return problem.ErrNotFound
		}
		if !sub.CanGrant(role, path) {
			return problem.New(problem.Forbidden, "account.error.cannot_grant", string(role))
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM memberships WHERE id = $1", membershipID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.revoke", ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: path,
			Changes: map[string]audit.Change{"role": {Before: string(role) + "@" + audit.ID(orgID)}}})
	})
}

// visibleUser loads a user the caller may see: one holding a role in the caller's
// user-read scope, or the caller themself.
func (s *Service) visibleUser(ctx context.Context, q db.Querier, id int64) (User, error) {
	u, err := loadUser(ctx, q, id)
	if err != nil {
		return User{}, err
	}
	sub := subject(ctx)
	if sub.UserID == id {
		return u, nil
	}
	for _, m := range u.Memberships {
		if sub.Can(authz.UserRead, m.OrgPath) {
			return u, nil
		}
	}
	return User{}, problem.ErrNotFound
}

// Get returns a user the caller may see, with only the memberships inside the
// caller's scope.
func (s *Service) Get(ctx context.Context, id int64) (User, error) {
	u, err := s.visibleUser(ctx, s.DB.Read, id)
	if err != nil {
		return User{}, err
	}
	sub := subject(ctx)
	if sub.UserID != id {
		u.Memberships = slices.DeleteFunc(u.Memberships, func(m Membership) bool { return !sub.Can(authz.UserRead, m.OrgPath) })
	}
	return u, nil
}

// UserFilter narrows the user list.
type UserFilter struct {
	Query         string
	Limit, Offset int
}

// List returns the users holding a role inside the caller's scope, and their count.
func (s *Service) List(ctx context.Context, f UserFilter) ([]User, int, error) {
	sub := subject(ctx)
	scope, args := authz.ScopeClause("o.path", sub.Scope(authz.UserRead), 1)
	where := "u.id IN (SELECT m.user_id FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE " + scope + ")"
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+strings.ToLower(q)+"%")
		where += fmt.Sprintf(" AND (LOWER(u.email) LIKE $%d OR LOWER(u.name) LIKE $%d)", len(args), len(args))
	}
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM users u WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.DB.Read.QueryContext(ctx, fmt.Sprintf("SELECT u.%s FROM users u WHERE %s ORDER BY u.name, u.id LIMIT %d OFFSET %d",
		strings.ReplaceAll(userColumns, ", ", ", u."), where, limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		ms, err := memberships(ctx, s.DB.Read, out[i].ID)
		if err != nil {
			return nil, 0, err
		}
		out[i].Memberships = slices.DeleteFunc(ms, func(m Membership) bool { return !sub.Can(authz.UserRead, m.OrgPath) })
	}
	return out, total, nil
}

// SetLocale records the user's language.
func (s *Service) SetLocale(ctx context.Context, userID int64, l i18n.Lang) error {
	_, err := s.DB.Write.ExecContext(ctx, "UPDATE users SET locale = $1 WHERE id = $2", string(l), userID)
	return err
}

// SetPassword sets a password without the current one: for the command line only.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	_, err := s.DB.Write.ExecContext(ctx, "UPDATE users SET password_hash = $1, password_once = FALSE, updated_at = $2 WHERE id = $3", HashPassword(password), db.Now(), userID)
	return err
}

// ByEmail finds a user by address, unscoped: for the command line only.
func (s *Service) ByEmail(ctx context.Context, email string) (User, error) {
	var id int64
	err := s.DB.Read.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", NormaliseEmail(email)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, problem.ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	return loadUser(ctx, s.DB.Read, id)
}

// inviteValidity is how long an invitation link stays usable: guests are often
// invited a week or more before the exercise.
const inviteValidity = 14 * 24 * time.Hour

// Invite returns the account of a guest, creating it without any role when the
// address is unknown, and then e-mails the new guest a link to choose a password.
// A guest holds no role anywhere: they see only what they are seated in (an
// exercise). created tells whether the account is new.
func (s *Service) Invite(ctx context.Context, email, name, what string, lang i18n.Lang) (id int64, created bool, err error) {
	email = NormaliseEmail(email)
	name = strings.TrimSpace(name)
	var c problem.Checks
	NewUser{Email: email, Name: name}.validate(&c)
	if c.Has("email") || c.Has("name") {
		return 0, false, c.Err()
	}
	err = s.DB.Read.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", email).Scan(&id)
	if err == nil {
		// A known address gets a notice instead of an activation link: the inviter
		// sees the same answer either way, so invitations cannot probe addresses.
		link := strings.TrimSuffix(s.BaseURL, "/") + "/connexion"
		if err := s.Mail.Send(ctx, mail.Message{To: email, Subject: lang.T("mail.invite.subject", what), Body: lang.T("mail.invite_known.body", what, link)}); err != nil {
			slog.Warn("invitation not sent", "user", id, "err", err)
		}
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	token := rand.Text()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
			email, name, HashPassword(rand.Text()), now).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
			hashSecret(token), id, now, now.Add(inviteValidity)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.invite", ObjectType: "user", ObjectID: audit.ID(id),
			Changes: audit.Diff(nil, map[string]any{"email": email, "name": name, "for": what})})
	})
	if err != nil {
		return 0, false, err
	}
	link := strings.TrimSuffix(s.BaseURL, "/") + "/reinitialisation/" + token
	if err := s.Mail.Send(ctx, mail.Message{To: email, Subject: lang.T("mail.invite.subject", what), Body: lang.T("mail.invite.body", what, link)}); err != nil {
		slog.Warn("invitation not sent", "user", id, "err", err)
	}
	return id, true, nil
}

// SetDisabled disables or re-enables an account. Disabling ends its sessions at
// once, and its API tokens stop working (every request checks the account). The
// caller must be able to manage every role the person holds — a local manager
// cannot shut out someone with wider roles — and cannot disable themself.
func (s *Service) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.visibleUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		sub := subject(ctx)
		if sub.UserID == userID {
			return problem.New(problem.Conflict, "account.error.disable_self")
		}
		for _, m := range u.Memberships {
			if !sub.CanGrant(m.Role, m.OrgPath) {
				return problem.New(problem.Forbidden, "account.error.cannot_disable", string(m.Role))
			}
		}
		if u.Disabled == disabled {
			return nil
		}
		var at any
		if disabled {
			at = db.Now()
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled_at = $1 WHERE id = $2", at, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		path := ""
		if len(u.Memberships) > 0 {
			path = u.Memberships[0].OrgPath
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "user", ObjectID: audit.ID(userID), OrgPath: path,
			Changes: map[string]audit.Change{"disabled": {Before: !disabled, After: disabled}}})
	})
}
