package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Administration of the policy: every role's policy read and edited by an
// administrator (issue 18 points 4 and 8).

// canAdminister refuses anyone but an administrator: the policy binds every
// role, the administrator's own included.
func canAdminister(ctx context.Context) error {
	if !authz.Current(ctx).HasRole(authz.Admin) {
		return problem.New(problem.Forbidden, "policy.error.admin_only")
	}
	return nil
}

// Policies lists every role's policy, set or default, in the order of authz.Roles.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	if err := canAdminister(ctx); err != nil {
		return nil, err
	}
	set, err := loadPolicies(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	return allPolicies(set), nil
}

func allPolicies(set map[authz.Role]Policy) []Policy {
	out := make([]Policy, 0, len(authz.Roles))
	for _, r := range authz.Roles {
		p, ok := set[r]
		if !ok {
			p = DefaultPolicy(r)
		}
		out = append(out, p)
	}
	return out
}

// checkPolicies validates edits whole against the providers configured
// (their ids): a known role at most once, a known level, known ways — and a
// policy its holders can meet (a high level needs a provider, the only way to
// reach it), so that an edit never locks a role out, administrators included.
func checkPolicies(in []Policy, providers []string) error {
	var c problem.Checks
	seen := map[authz.Role]bool{}
	for _, p := range in {
		field := "role." + string(p.Role)
		if !p.Role.Valid() || seen[p.Role] {
			c.Add(field, "policy.error.role", string(p.Role))
			continue
		}
		seen[p.Role] = true
		if !p.Min.Valid() {
			c.Add(field, "policy.error.level", string(p.Min))
			continue
		}
		badWay := false
		for _, m := range p.Methods {
			id, oidc := strings.CutPrefix(m, WayOIDCPrefix)
			if (oidc && !slices.Contains(providers, id)) || (!oidc && m != WayPasswordTOTP && m != WayPasskey) {
				c.Add(field, "policy.error.way", m)
				badWay = true
			}
		}
		if badWay {
			continue
		}
		if p.Min == AssuranceHigh {
			reach := slices.ContainsFunc(providers, func(id string) bool { return len(p.Methods) == 0 || slices.Contains(p.Methods, WayOIDCPrefix+id) })
			if !reach {
				c.Add(field, "policy.error.unreachable", string(p.Role))
			}
		}
	}
	return c.Err()
}

// SetPolicies records the policies given (a role left out keeps its own), all
// or none: the whole edit is checked first. A policy equal to the default is
// stored as no row. Each change is an entry of the audit trail, in the same
// transaction; sessions and tokens follow the new policy at their next request.
func (s *Service) SetPolicies(ctx context.Context, in []Policy, providers []string) error {
	if err := canAdminister(ctx); err != nil {
		return err
	}
	for i := range in {
		in[i].Methods = normaliseWays(in[i].Methods)
	}
	if err := checkPolicies(in, providers); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		set, err := loadPolicies(ctx, tx)
		if err != nil {
			return err
		}
		var root string
		if err := tx.QueryRowContext(ctx, "SELECT path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").Scan(&root); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account: policy root: %w", err)
		}
		for _, p := range in {
			before, ok := set[p.Role]
			if !ok {
				before = DefaultPolicy(p.Role)
			}
			if before.Min == p.Min && slices.Equal(before.Methods, p.Methods) {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM assurance_policies WHERE role = $1", string(p.Role)); err != nil {
				return fmt.Errorf("account: policy of %s: %w", p.Role, err)
			}
			def := DefaultPolicy(p.Role)
			if p.Min != def.Min || len(p.Methods) > 0 {
				if _, err := tx.ExecContext(ctx, "INSERT INTO assurance_policies (role, min_assurance, methods, updated_at) VALUES ($1, $2, $3, $4)",
					string(p.Role), string(p.Min), strings.Join(p.Methods, " "), db.Now()); err != nil {
					return fmt.Errorf("account: policy of %s: %w", p.Role, err)
				}
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "identity.policy", ObjectType: "role", ObjectID: string(p.Role), OrgPath: root,
				Changes: map[string]audit.Change{
					"min_assurance": {Before: string(before.Min), After: string(p.Min)},
					"methods":       {Before: strings.Join(before.Methods, " "), After: strings.Join(p.Methods, " ")},
				}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// normaliseWays sorts and dedups ways, so that equal sets compare equal.
func normaliseWays(ways []string) []string {
	out := slices.Clone(ways)
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}
