package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// TokenStill checks, in one statement, that the token a long request (a live
// stream) authenticated with still holds: not revoked nor expired, its owner
// not disabled, and — when the owner's roles asked more than a password at
// authentication (second) — a TOTP or a passkey still enrolled (the policy's
// finer rules, providers and restricted methods, are checked at each request,
// not rechecked here). The stream keeps the subject it opened with; this tells
// it when to end. Errors as AuthenticateToken.
func (s *Service) TokenStill(ctx context.Context, secret string, second bool) error {
	var t Token
	var exp, rev sql.NullTime
	var disabled, factor bool
	err := s.DB.ReadRow(ctx, `SELECT t.expires_at, t.revoked_at, u.disabled_at IS NOT NULL,
		u.totp_enabled OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) OR EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id)
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hashSecret(secret)).Scan(&exp, &rev, &disabled, &factor)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.Unauthorized, "account.error.token_invalid")
	}
	if err != nil {
		return fmt.Errorf("account: recheck a token: %w", err)
	}
	t.ExpiresAt, t.RevokedAt = db.TimePtr(exp), db.TimePtr(rev)
	return refused(t, db.Now(), disabled, !second || factor)
}

// SessionStill checks, in one statement, that the session a long request (a
// live stream) opened with still holds at the same stage: not logged out nor
// expired, its owner not disabled. Like a page, it keeps the session alive
// (at most one write a minute), so that a person who only watches a stream is
// not logged out for idleness.
func (s *Service) SessionStill(ctx context.Context, token, stage string) error {
	h := hashSecret(token)
	var now string
	var expires, seen time.Time
	var disabled bool
	err := s.DB.ReadRow(ctx, `SELECT s.stage, s.expires_at, s.last_seen_at, u.disabled_at IS NOT NULL
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`, h).Scan(&now, &expires, &seen, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.Unauthorized, "account.error.login_required")
	}
	if err != nil {
		return fmt.Errorf("account: recheck a session: %w", err)
	}
	at := db.Now()
	switch {
	case s.over(at, expires, seen):
		return problem.New(problem.Unauthorized, "account.error.session_expired")
	case disabled, now != stage:
		return problem.New(problem.Unauthorized, "account.error.login_required")
	}
	return s.seen(ctx, h, seen, at)
}
