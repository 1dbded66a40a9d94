package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The second factor: TOTP enrolment and the code step of a login.

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
			newToken, err = rotate(ctx, tx, sessionToken, StageFull, true)
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
		if newToken, err = rotate(ctx, tx, sessionToken, StageFull, true); err != nil {
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

// rotate replaces a session's cookie value (keeping its times) and sets its
// stage. code: a TOTP code was just checked — the session's method says so
// (password_totp, oidc_totp) and its level is raised to substantial, the level
// of two factors (policy.go).
func rotate(ctx context.Context, tx *sql.Tx, oldToken, stage string, code bool) (string, error) {
	token := rand.Text()
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET id_hash = $1, stage = $2, last_seen_at = $3,
		method = CASE WHEN $5 AND method IN ('password', 'oidc') THEN method || '_totp' ELSE method END,
		assurance = CASE WHEN $5 AND assurance <> 'high' THEN 'substantial' ELSE assurance END
		WHERE id_hash = $4`, hashSecret(token), stage, db.Now(), hashSecret(oldToken), code)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", problem.New(problem.Unauthorized, "account.error.login_required")
	}
	return token, nil
}
