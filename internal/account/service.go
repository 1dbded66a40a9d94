package account

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"care/internal/platform/db"
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

	recheckOnce sync.Once
	recheck     *rechecks // the live streams' rechecks, gathered (recheck.go)
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

const userColumns = `id, email, name, locale, totp_enabled, disabled_at IS NOT NULL, password_once, created_at, last_login_at, professional_id`

func scanUser(row db.Row) (User, error) {
	var u User
	var last sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Locale, &u.TOTPEnabled, &u.Disabled, &u.PasswordOnce, &u.CreatedAt, &last, &u.ProfessionalID)
	if last.Valid {
		t := last.Time
		u.LastLoginAt = &t
	}
	return u, err
}

// loadUser reads a user with their memberships, policy and ways of logging in, in
// two statements.
func loadUser(ctx context.Context, q db.Querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, problem.ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	return u, loadAccess(ctx, q, &u)
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
