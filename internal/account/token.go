package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// tokenPrefix marks API tokens, so that a leaked one is recognisable by scanners.
const tokenPrefix = "care_"

// CreateToken issues an API token for the user and returns it with its secret, which
// is shown this once and stored only as a hash. It acts with its owner's roles.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, validity time.Duration) (Token, string, error) {
	name = strings.TrimSpace(name)
	var c problem.Checks
	if name == "" || utf8.RuneCountInString(name) > 100 {
		c.Add("name", "account.error.token_name")
	}
	if validity < 0 || validity > 2*366*24*time.Hour {
		c.Add("validity", "account.error.token_validity")
	}
	if err := c.Err(); err != nil {
		return Token{}, "", err
	}
	u, err := loadUser(ctx, s.DB.Read, userID)
	if err != nil {
		return Token{}, "", err
	}
	if !u.MeetsPolicy() {
		return Token{}, "", problem.New(problem.Conflict, "account.error.token_needs_totp")
	}
	secret := tokenPrefix + rand.Text()
	now := db.Now()
	t := Token{UserID: userID, Name: name, Prefix: secret[:len(tokenPrefix)+6], CreatedAt: now}
	var expires any
	if validity > 0 {
		e := now.Add(validity)
		t.ExpiresAt, expires = &e, e
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			userID, name, t.Prefix, hashSecret(secret), now, expires).Scan(&t.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "token.create", ObjectType: "token", ObjectID: audit.ID(t.ID),
			Changes: map[string]audit.Change{"name": {After: name}, "user_id": {After: userID}}})
	})
	return t, secret, err
}

const tokenColumns = "id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at"

func scanToken(row db.Row) (Token, error) {
	var t Token
	var exp, used, rev sql.NullTime
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &exp, &used, &rev)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = db.TimePtr(exp), db.TimePtr(used), db.TimePtr(rev)
	return t, err
}

// Tokens lists the user's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE user_id = $1 ORDER BY id DESC", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the user's tokens; another user's token is not found.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL", db.Now(), tokenID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "token.revoke", ObjectType: "token", ObjectID: audit.ID(tokenID)})
	})
}

// refused is why token t no longer authenticates at now, or nil: expired or
// revoked, its owner disabled, or — a token acting with its owner's roles —
// an owner who holds no way to open a session their roles' policy accepts
// (meets false: no TOTP, passkey or provider identity that would do).
func refused(t Token, now time.Time, disabled, meets bool) error {
	switch {
	case !t.Active(now):
		return problem.New(problem.Unauthorized, "account.error.token_expired")
	case disabled:
		return problem.New(problem.Unauthorized, "account.error.token_invalid")
	case !meets:
		return problem.New(problem.Forbidden, "account.error.token_needs_totp")
	}
	return nil
}

// AuthenticateToken returns the owner of an active API token and records its use.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (User, error) {
	denied := problem.New(problem.Unauthorized, "account.error.token_invalid")
	if !strings.HasPrefix(secret, tokenPrefix) {
		return User{}, denied
	}
	t, err := scanToken(s.DB.Read.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE token_hash = $1", hashSecret(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, denied
	}
	if err != nil {
		return User{}, err
	}
	now := db.Now()
	if !t.Active(now) {
		return User{}, problem.New(problem.Unauthorized, "account.error.token_expired")
	}
	u, err := loadUser(ctx, s.DB.Read, t.UserID)
	if err != nil {
		return User{}, denied
	}
	if err := refused(t, now, u.Disabled, u.MeetsPolicy()); err != nil {
		return User{}, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if _, err := s.DB.Write.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", now, t.ID); err != nil {
			return User{}, err
		}
	}
	return u, nil
}
