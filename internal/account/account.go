// Package account holds people and how they prove who they are: local accounts
// (argon2id), TOTP second factor, logins through an OpenID Provider (the account
// an identity links to, the session it opens: oidc*.go; the protocol itself is
// internal/identity's), database sessions shared by every instance, API tokens,
// password reset by e-mail, and the roles each person holds in the tree.
package account

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/problem"
)

// User is a person with an account.
type User struct {
	ID          int64
	Email       string
	Name        string
	Locale      string
	TOTPEnabled bool
	Disabled    bool
	// PasswordOnce: the password was handed over by someone else; the login it
	// opens must set a new one first.
	PasswordOnce bool
	// ProfessionalID is the national identifier of a health professional (RPPS),
	// by which a first Pro Santé Connect login finds the account.
	ProfessionalID string
	CreatedAt      time.Time
	LastLoginAt    *time.Time
	Memberships    []Membership
	// Policy is what the roles held ask of a session (policy.go); Proofs the
	// ways the person could open one (password, TOTP, passkeys, identities).
	Policy Requirement
	Proofs []Proof
}

// Membership is a role held at a node.
type Membership struct {
	ID       int64
	OrgID    int64
	OrgName  string
	OrgPath  string
	OrgLevel string
	Role     authz.Role
}

// NeedsSecondFactor reports whether the policy of one of the user's roles asks
// more than a password.
func (u User) NeedsSecondFactor() bool {
	return !u.Policy.Allows(Proof{Method: MethodPassword, Level: identity.Low})
}

// MeetsPolicy reports whether the user holds a way to open a session the
// policy of their roles accepts (a TOTP, a passkey, an identity at a provider):
// what an API token, acting with those roles, counts on.
func (u User) MeetsPolicy() bool { return u.Policy.AllowsAny(u.Proofs) }

// TOTPRequired reports whether TOTP is the missing piece: the policy asks more
// than a password, nothing the user holds meets it, and a code would.
func (u User) TOTPRequired() bool {
	return !u.TOTPEnabled && !u.MeetsPolicy() && u.Policy.Allows(Proof{Method: MethodPasswordTOTP, Level: identity.Substantial})
}

// Subject is the user as the authorisation layer sees them.
func (u User) Subject() authz.Subject {
	s := authz.Subject{UserID: u.ID, Email: u.Email, Name: u.Name}
	for _, m := range u.Memberships {
		s.Grants = append(s.Grants, authz.Grant{Role: m.Role, OrgID: m.OrgID, OrgPath: m.OrgPath, OrgLevel: m.OrgLevel})
	}
	return s
}

// NewUser is the input of an account creation.
type NewUser struct {
	Email string
	Name  string
	Role  authz.Role
	OrgID int64
}

// NormaliseEmail lowers and trims an address: accounts are found by it.
func NormaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (n NewUser) validate(c *problem.Checks) {
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email || len(n.Email) > 254 {
		c.Add("email", "account.error.email")
	}
	name := strings.TrimSpace(n.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		c.Add("name", "account.error.name")
	}
	if !n.Role.Valid() {
		c.Add("role", "account.error.role_unknown", string(n.Role))
	}
}

// Session is a logged-in browser. Handle identifies it to its owner (for revoking)
// without revealing the cookie.
type Session struct {
	Handle     string
	UserID     int64
	Stage      string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	Current    bool
	// Method is how the session was opened (Method*); Provider and Assurance (an
	// eIDAS level) are those of a login through an OpenID Provider.
	Method    string
	Provider  string
	Assurance string
	// BelowPolicy: the session is complete but below the policy of its owner's
	// roles; Stage then reads StageEnrol, the step that raises it.
	BelowPolicy bool
}

// Session stages: a password alone opens only the second-factor step.
const (
	StageFull = "full"
	StageTOTP = "totp" // password checked, TOTP code expected
	// StageEnrol: below the policy of the roles held (a password where the
	// policy asks a second factor, a code where it asks a passkey…): the page
	// that raises it, by enrolling TOTP, using or registering a passkey, or
	// logging in through a provider.
	StageEnrol = "totp_enrol"
	// StagePassword: a one-time password was used; a new one must be chosen.
	StagePassword = "new_password"
)

// Token is an API token as its owner sees it: the secret itself is shown once.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Active reports whether the token still opens the API at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}
