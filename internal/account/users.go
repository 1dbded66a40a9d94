package account

import (
	"context"
	"crypto/rand"
	"database/sql"
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

// Users and roles: accounts, grants, invitations, disabling.

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
		// A role whose policy the person cannot meet yet (no TOTP, passkey or
		// provider identity it accepts) ends their tokens: a token must not
		// carry the role past the step that raises the session.
		u, err := loadUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !u.MeetsPolicy() {
			if _, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", db.Now(), userID); err != nil {
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
		sub := authz.Current(ctx)
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
	sub := authz.Current(ctx)
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
	sub := authz.Current(ctx)
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
	sub := authz.Current(ctx)
	if !sub.CanAnywhere(authz.UserRead) {
		// A role that reads no account anywhere gets a refusal, not an empty list.
		return nil, 0, problem.New(problem.Forbidden, "error.forbidden")
	}
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
		sub := authz.Current(ctx)
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
