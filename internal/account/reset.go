package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Passwords: change, reset by e-mailed link.

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
