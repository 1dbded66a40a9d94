package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/db"
)

// The assurance policy: per role, the minimum assurance a session of one of its
// holders must reach, and optionally the only ways it may be opened. A session
// below the policy of a role its owner holds reaches only the page that raises
// it (the second-factor step, http.go).

// Assurance is the minimum a policy asks of a session.
type Assurance string

// Assurances, weakest first.
//
// The equivalence chosen: a password and a TOTP code count as eIDAS
// substantial, like a passkey that verifies its user and a provider asserting
// substantial. Regulation (EU) 2015/1502, annex 2.2.1, asks of substantial "at
// least two authentication factors from different categories" (here what the
// person knows and the device that holds the seed), which is also how
// care-domain.md §6.1 sums up the ANSSI's levels ("substantial (two factors,
// e.g. app + PIN)"), and how the Pro Santé Connect integrator example of §6.2
// maps a password with an authenticator app ("substantiel"). The RIE asks 2FA
// since June 2022 and "substantiel" from 2026 (§6.1): a TOTP code is accepted
// for both. High is left to a provider asserting it (a CPS card and its PIN,
// §6.2): no local means reaches it. Second factor and substantial thus ask the
// same of a session today; they stay two levels so that a policy says what it
// means (the RIE's 2FA rule or its substantial rule).
const (
	AssurancePassword     Assurance = "password"      // a password alone
	AssuranceSecondFactor Assurance = "second_factor" // a TOTP code, a passkey, a provider at substantial or high
	AssuranceSubstantial  Assurance = "substantial"   // eIDAS substantial: as above (see the equivalence)
	AssuranceHigh         Assurance = "high"          // eIDAS high: a provider asserting it
)

// Assurances lists the levels a policy may ask, weakest first.
var Assurances = []Assurance{AssurancePassword, AssuranceSecondFactor, AssuranceSubstantial, AssuranceHigh}

// Valid reports whether a is a known level.
func (a Assurance) Valid() bool { return slices.Contains(Assurances, a) }

// level is the eIDAS level a session must reach to meet a.
func (a Assurance) level() identity.Level {
	switch a {
	case AssuranceSecondFactor, AssuranceSubstantial:
		return identity.Substantial
	case AssuranceHigh:
		return identity.High
	}
	return identity.Low
}

// Ways a policy may restrict sessions to (Policy.Methods); a provider is
// MethodsOIDCPrefix followed by its id.
const (
	WayPasswordTOTP = "password_totp"
	WayPasskey      = "passkey"
	WayOIDCPrefix   = "oidc:"
)

// Policy is what a role asks of its holders' sessions.
type Policy struct {
	Role authz.Role
	Min  Assurance
	// Methods, when not empty, are the only ways a session may be opened.
	Methods []string
	// Default: no administrator set it; it is DefaultPolicy's.
	Default bool
}

// DefaultPolicy is a role's policy until an administrator sets one: a second
// factor for the national, regional and GHT roles (those that required TOTP
// before the policy existed), a password for the others.
func DefaultPolicy(r authz.Role) Policy {
	p := Policy{Role: r, Min: AssurancePassword, Default: true}
	if r.RequiresSecondFactor() {
		p.Min = AssuranceSecondFactor
	}
	return p
}

// Proof is how a session was opened — or, for what a person holds, how they
// could open one: a method (Method*), a provider, an eIDAS level.
type Proof struct {
	Method   string
	Provider string
	Level    identity.Level
}

// SessionProof is the proof of a session as stored. Its level follows from the
// method whatever was stored before the policy existed: a password is low, a
// password with a code or a passkey substantial, a provider what it asserted,
// raised to substantial by a code.
func SessionProof(method, provider, assurance string) Proof {
	p := Proof{Method: method, Provider: provider, Level: identity.Low}
	switch method {
	case MethodPasswordTOTP, MethodPasskey:
		p.Level = identity.Substantial
	case MethodOIDC:
		p.Level = identity.Level(assurance)
	case MethodOIDCTOTP:
		p.Level = identity.Level(assurance)
		if !p.Level.AtLeast(identity.Substantial) {
			p.Level = identity.Substantial
		}
	}
	return p
}

// way is the name of the proof's method in a policy's Methods.
func (p Proof) way() string {
	switch p.Method {
	case MethodOIDC, MethodOIDCTOTP:
		return WayOIDCPrefix + p.Provider
	}
	return p.Method
}

// Allows reports whether a session opened with proof meets the policy.
func (p Policy) Allows(proof Proof) bool {
	if !proof.Level.AtLeast(p.Min.level()) {
		return false
	}
	return len(p.Methods) == 0 || slices.Contains(p.Methods, proof.way())
}

// Requirement is the policies of the roles a person holds: a session must
// meet every one, so the strongest wins.
type Requirement []Policy

// Allows reports whether a session opened with proof meets every policy.
func (r Requirement) Allows(proof Proof) bool {
	for _, p := range r {
		if !p.Allows(proof) {
			return false
		}
	}
	return true
}

// AllowsAny reports whether one of proofs meets the requirement.
func (r Requirement) AllowsAny(proofs []Proof) bool {
	return slices.ContainsFunc(proofs, r.Allows)
}

// Strongest is the highest minimum of the requirement.
func (r Requirement) Strongest() Assurance {
	best := AssurancePassword
	for _, p := range r {
		if slices.Index(Assurances, p.Min) > slices.Index(Assurances, best) {
			best = p.Min
		}
	}
	return best
}

// Ways are the methods every policy of the requirement allows, nil when none
// restricts them; a provider allowed by all is listed once.
func (r Requirement) Ways() []string {
	var out []string
	first := true
	for _, p := range r {
		if len(p.Methods) == 0 {
			continue
		}
		if first {
			out, first = slices.Clone(p.Methods), false
			continue
		}
		out = slices.DeleteFunc(out, func(m string) bool { return !slices.Contains(p.Methods, m) })
	}
	if !first && out == nil {
		out = []string{}
	}
	return out
}

// requirementOf is the requirement of the roles in memberships under policies.
func requirementOf(policies map[authz.Role]Policy, ms []Membership) Requirement {
	var r Requirement
	for _, m := range ms {
		p, ok := policies[m.Role]
		if !ok {
			p = DefaultPolicy(m.Role)
		}
		if !slices.ContainsFunc(r, func(q Policy) bool { return q.Role == p.Role }) {
			r = append(r, p)
		}
	}
	return r
}

// loadPolicies reads the policies administrators set, by role; the others are
// DefaultPolicy's.
func loadPolicies(ctx context.Context, q db.Querier) (map[authz.Role]Policy, error) {
	rows, err := q.QueryContext(ctx, "SELECT role, min_assurance, methods FROM assurance_policies")
	if err != nil {
		return nil, fmt.Errorf("account: load policies: %w", err)
	}
	defer rows.Close()
	out := map[authz.Role]Policy{}
	for rows.Next() {
		var p Policy
		var methods string
		if err := rows.Scan(&p.Role, &p.Min, &methods); err != nil {
			return nil, fmt.Errorf("account: load policies: %w", err)
		}
		p.Methods = strings.Fields(methods)
		out[p.Role] = p
	}
	return out, rows.Err()
}

// loadAccess reads, in one statement, the rest of what a request needs of a
// user: their memberships at live nodes (a role held at an archived node grants
// nothing) with the policy set for each role held (the others are
// DefaultPolicy's), and the ways they could open a session besides the password
// — TOTP when enabled, passkeys, identities at providers (at the level last
// asserted).
func loadAccess(ctx context.Context, q db.Querier, u *User) error {
	rows, err := q.QueryContext(ctx, `SELECT 'membership', m.id, m.org_id, o.name, o.path, o.level, m.role,
			COALESCE(p.min_assurance, ''), COALESCE(p.methods, ''), CASE WHEN p.role IS NULL THEN 0 ELSE 1 END
		FROM memberships m JOIN orgs o ON o.id = m.org_id LEFT JOIN assurance_policies p ON p.role = m.role
		WHERE m.user_id = $1 AND o.archived_at IS NULL
		UNION ALL SELECT 'passkey', 0, 0, '', '', '', '', '', '', 0 FROM passkeys WHERE user_id = $1
		UNION ALL SELECT 'oidc', 0, 0, provider, '', '', '', assurance, '', 0 FROM user_identities WHERE user_id = $1
		ORDER BY 1, 5, 7`, u.ID)
	if err != nil {
		return fmt.Errorf("account: load access of %d: %w", u.ID, err)
	}
	defer rows.Close()
	policies := map[authz.Role]Policy{}
	u.Memberships, u.Proofs = nil, []Proof{{Method: MethodPassword, Level: identity.Low}}
	if u.TOTPEnabled {
		u.Proofs = append(u.Proofs, Proof{Method: MethodPasswordTOTP, Level: identity.Substantial})
	}
	for rows.Next() {
		var kind, level, methods string
		var set bool
		var m Membership
		if err := rows.Scan(&kind, &m.ID, &m.OrgID, &m.OrgName, &m.OrgPath, &m.OrgLevel, &m.Role, &level, &methods, &set); err != nil {
			return fmt.Errorf("account: load access of %d: %w", u.ID, err)
		}
		switch {
		case kind != "membership":
			u.Proofs = append(u.Proofs, SessionProof(kind, m.OrgName, level)) // OrgName holds the provider
		case set:
			policies[m.Role] = Policy{Role: m.Role, Min: Assurance(level), Methods: strings.Fields(methods)}
			fallthrough
		default:
			u.Memberships = append(u.Memberships, m)
		}
	}
	u.Policy = requirementOf(policies, u.Memberships)
	return rows.Err()
}
