package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// TokenStill checks that the token a long request (a live stream) authenticated
// with still holds: not revoked nor expired, its owner not disabled, and — when
// the owner's roles asked more than a password at authentication (second) — a
// TOTP or a passkey still enrolled (the policy's finer rules, providers and
// restricted methods, are checked at each request, not rechecked here). The
// stream keeps the subject it opened with; this tells it when to end. The
// streams woken together read their tokens with one statement (db.Gather).
// Errors as AuthenticateToken.
func (s *Service) TokenStill(ctx context.Context, secret string, second bool) error {
	t, ok, err := s.rechecks().tokens.Get(ctx, hashSecret(secret))
	if err != nil {
		return fmt.Errorf("account: recheck a token: %w", err)
	}
	if !ok {
		return problem.New(problem.Unauthorized, "account.error.token_invalid")
	}
	return refused(t.Token, db.Now(), t.disabled, !second || t.factor)
}

// stillToken is what TokenStill reads of a token and its owner.
type stillToken struct {
	Token
	disabled, factor bool
}

// stillSession is what SessionStill reads of a session and its owner.
type stillSession struct {
	stage         string
	expires, seen time.Time
	disabled      bool
}

// rechecks gathers the rechecks of the live streams of this instance.
type rechecks struct {
	tokens   db.Gather[string, stillToken]
	sessions db.Gather[string, stillSession]
}

// rechecks returns the service's gatherers, made at first use.
func (s *Service) rechecks() *rechecks {
	s.recheckOnce.Do(func() {
		s.recheck = &rechecks{}
		s.recheck.tokens.Read = func(ctx context.Context, hashes []string) (map[string]stillToken, error) {
			out := make(map[string]stillToken, len(hashes))
			return out, db.ReadIn(ctx, s.DB.Read, "account: recheck tokens", `SELECT t.token_hash, t.expires_at, t.revoked_at, u.disabled_at IS NOT NULL,
				u.totp_enabled OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) OR EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id)
				FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash IN ($IN)`, hashes, func(r db.Row) error {
				var h string
				var t stillToken
				var exp, rev sql.NullTime
				if err := r.Scan(&h, &exp, &rev, &t.disabled, &t.factor); err != nil {
					return err
				}
				t.ExpiresAt, t.RevokedAt = db.TimePtr(exp), db.TimePtr(rev)
				out[h] = t
				return nil
			})
		}
		s.recheck.sessions.Read = func(ctx context.Context, hashes []string) (map[string]stillSession, error) {
			out := make(map[string]stillSession, len(hashes))
			return out, db.ReadIn(ctx, s.DB.Read, "account: recheck sessions", `SELECT s.id_hash, s.stage, s.expires_at, s.last_seen_at,
				u.disabled_at IS NOT NULL
				FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash IN ($IN)`, hashes, func(r db.Row) error {
				var h string
				var v stillSession
				if err := r.Scan(&h, &v.stage, &v.expires, &v.seen, &v.disabled); err != nil {
					return err
				}
				out[h] = v
				return nil
			})
		}
	})
	return s.recheck
}

// SessionStill checks that the session a long request (a
// live stream) opened with still holds at the same stage: not logged out nor
// expired, its owner not disabled. Like a page, it keeps the session alive
// (at most one write a minute), so that a person who only watches a stream is
// not logged out for idleness. The streams woken together read their sessions
// with one statement (db.Gather).
func (s *Service) SessionStill(ctx context.Context, token, stage string) error {
	h := hashSecret(token)
	v, ok, err := s.rechecks().sessions.Get(ctx, h)
	if err != nil {
		return fmt.Errorf("account: recheck a session: %w", err)
	}
	if !ok {
		return problem.New(problem.Unauthorized, "account.error.login_required")
	}
	at := db.Now()
	switch {
	case s.over(at, v.expires, v.seen):
		return problem.New(problem.Unauthorized, "account.error.session_expired")
	case v.disabled, v.stage != stage:
		return problem.New(problem.Unauthorized, "account.error.login_required")
	}
	return s.seen(ctx, h, v.seen, at)
}
