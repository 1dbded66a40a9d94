package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// TokenStill checks, in one statement, that the token a long request (a live
// stream) authenticated with still holds: not revoked nor expired, its owner
// not disabled, and — when the owner's roles needed a second factor at
// authentication (second) — that factor still enrolled. The stream keeps the
// subject it opened with; this tells it when to end. Errors as AuthenticateToken.
func (s *Service) TokenStill(ctx context.Context, secret string, second bool) error {
	var t Token
	var exp, rev sql.NullTime
	var disabled, totp bool
	err := s.DB.Read.QueryRowContext(ctx, `SELECT t.expires_at, t.revoked_at, u.disabled_at IS NOT NULL, u.totp_enabled
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hashSecret(secret)).Scan(&exp, &rev, &disabled, &totp)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.Unauthorized, "account.error.token_invalid")
	}
	if err != nil {
		return fmt.Errorf("account: recheck a token: %w", err)
	}
	t.ExpiresAt, t.RevokedAt = db.TimePtr(exp), db.TimePtr(rev)
	switch {
	case !t.Active(db.Now()):
		return problem.New(problem.Unauthorized, "account.error.token_expired")
	case disabled:
		return problem.New(problem.Unauthorized, "account.error.token_invalid")
	case second && !totp:
		return problem.New(problem.Unauthorized, "account.error.token_needs_totp")
	}
	return nil
}
