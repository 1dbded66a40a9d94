// Package authz decides who may do what where. Roles are held at a node of the
// organisation tree and reach its whole subtree; every handler and every query asks
// this package, through Check (or Can) for one node and Scope for a list.
//
// The rule for one node is Check: invisible reads as absent (404), visible but not
// allowed is forbidden (403). Capabilities do not call it directly: they load the
// node through org.Load, which reads it and applies Check in one step.
package authz

import (
	"context"
	"slices"
	"strings"

	"care/internal/platform/problem"
)

// Role is a role held at a node of the organisation tree.
type Role string

const (
	Admin           Role = "admin"
	PiloteNational  Role = "pilote_national"
	CertSante       Role = "cert_sante"
	ReferentARS     Role = "referent_ars"
	Grades          Role = "grades"
	RSSIGHT         Role = "rssi_ght"
	Direction       Role = "direction"
	RSSI            Role = "rssi"
	DSI             Role = "dsi"
	ResponsablePCRA Role = "responsable_pcra"
	Lecteur         Role = "lecteur"
)

// Roles lists every role, most powerful first.
var Roles = []Role{Admin, PiloteNational, CertSante, ReferentARS, Grades, RSSIGHT, Direction, RSSI, DSI, ResponsablePCRA, Lecteur}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Levels of the organisation tree, as stored.
const (
	LevelNational    = "national"
	LevelRegion      = "region"
	LevelGHT         = "ght"
	LevelLegalEntity = "legal_entity"
	LevelSite        = "site"
)

// HeldAt lists the tree levels at which a role may be held.
func (r Role) HeldAt() []string {
	switch r {
	case Admin, PiloteNational, CertSante:
		return []string{LevelNational}
	case ReferentARS, Grades:
		return []string{LevelRegion}
	case RSSIGHT:
		return []string{LevelGHT}
	case Direction, RSSI, DSI, ResponsablePCRA:
		return []string{LevelLegalEntity, LevelSite}
	case Lecteur:
		return []string{LevelNational, LevelRegion, LevelGHT, LevelLegalEntity, LevelSite}
	}
	return nil
}

// RequiresSecondFactor reports whether holders of r must log in with a second factor.
func (r Role) RequiresSecondFactor() bool {
	switch r {
	case Admin, PiloteNational, CertSante, ReferentARS, RSSIGHT:
		return true
	}
	return false
}

// Action is something a user may be allowed to do on a node's subtree.
type Action string

const (
	OrgRead        Action = "org.read"        // see nodes and their attributes
	OrgWrite       Action = "org.write"       // create below, edit, move, archive
	UserRead       Action = "user.read"       // see who holds which role
	UserManage     Action = "user.manage"     // create accounts and grant roles
	AuditRead      Action = "audit.read"      // browse and export the audit trail
	ContentManage  Action = "content.manage"  // programme content: questionnaires, kits, calls, catalogue
	MetricsRead    Action = "metrics.read"    // Prometheus metrics of the instance
	ProgrammeWrite Action = "programme.write" // run the establishment's programme: assessments, audits, plans
	Validate       Action = "validate"        // validate candidatures and evidence (ARS)
	SignOff        Action = "signoff"         // sign off the establishment's assessments, declarations, plans
	Control        Action = "control"         // national control of funding declarations and their payment
	// IncidentDeclare is declaring the establishment's security incidents: the
	// declaration is made by the director or a delegate (décret 2022-715, CSP
	// D.1111-16-3), here the direction, RSSI and DSI.
	IncidentDeclare Action = "incident.declare"
	// IncidentHandle is CERT Santé's part: reading the submitted declarations
	// and what handling them needs, qualifying them, following them up. It does
	// not read the establishments' assessments, plans and audits (OrgRead),
	// which an establishment shares for one incident (internal/incident).
	IncidentHandle Action = "incident.handle"
)

// Actions lists every action, for the permission matrix.
var Actions = []Action{OrgRead, OrgWrite, UserRead, UserManage, AuditRead, ContentManage, MetricsRead, ProgrammeWrite, Validate, SignOff, Control, IncidentDeclare, IncidentHandle}

// grants is the roles table of DESIGN.md made explicit: what each role may do on the
// subtree of the node where it is held.
var grants = map[Role][]Action{
	Admin:           {OrgRead, OrgWrite, UserRead, UserManage, AuditRead, ContentManage, MetricsRead, ProgrammeWrite, Validate, SignOff, Control, IncidentDeclare, IncidentHandle},
	PiloteNational:  {OrgRead, UserRead, AuditRead, ContentManage, Control},
	CertSante:       {IncidentHandle},
	ReferentARS:     {OrgRead, UserRead, AuditRead, Validate},
	Grades:          {OrgRead, ProgrammeWrite},
	RSSIGHT:         {OrgRead, OrgWrite, UserRead, UserManage, AuditRead, ProgrammeWrite},
	Direction:       {OrgRead, OrgWrite, UserRead, UserManage, AuditRead, ProgrammeWrite, SignOff, IncidentDeclare},
	RSSI:            {OrgRead, OrgWrite, UserRead, ProgrammeWrite, IncidentDeclare},
	DSI:             {OrgRead, OrgWrite, UserRead, ProgrammeWrite, IncidentDeclare},
	ResponsablePCRA: {OrgRead, ProgrammeWrite},
	Lecteur:         {OrgRead},
}

// Allows reports whether role r grants action a (on the subtree where r is held).
func (r Role) Allows(a Action) bool { return slices.Contains(grants[r], a) }

// grantable lists the roles a manager may hand out within its subtree: never more
// than it holds, so that no one can raise their own or a colleague's reach.
var grantable = map[Role][]Role{
	Admin:     Roles,
	RSSIGHT:   {RSSIGHT, Direction, RSSI, DSI, ResponsablePCRA, Lecteur},
	Direction: {Direction, RSSI, DSI, ResponsablePCRA, Lecteur},
}

// Grant is one role held at one node.
type Grant struct {
	Role     Role
	OrgID    int64
	OrgPath  string // the node's materialised path, "/1/4/"
	OrgLevel string // the node's level, when known ("" otherwise)
}

// Subject is who is asking: a user with their grants.
type Subject struct {
	UserID int64
	Email  string
	Name   string
	Grants []Grant
}

// Label names the subject in the audit trail.
func (s Subject) Label() string {
	if s.UserID == 0 {
		return "système"
	}
	return s.Email
}

// Within reports whether path lies in the subtree rooted at root (both "/…/" paths).
func Within(path, root string) bool { return root != "" && strings.HasPrefix(path, root) }

// Can reports whether the subject may perform a on the node at path.
func (s Subject) Can(a Action, path string) bool {
	for _, g := range s.Grants {
		if g.Role.Allows(a) && Within(path, g.OrgPath) {
			return true
		}
	}
	return false
}

// CanAnywhere reports whether the subject may perform a somewhere.
func (s Subject) CanAnywhere(a Action) bool { return len(s.Scope(a)) > 0 }

// CanGrant reports whether the subject may give role r at the node at path.
func (s Subject) CanGrant(r Role, path string) bool {
	for _, g := range s.Grants {
		if g.Role.Allows(UserManage) && Within(path, g.OrgPath) && slices.Contains(grantable[g.Role], r) {
			return true
		}
	}
	return false
}

// Scope returns the minimal set of subtree roots where the subject may perform a:
// a root inside another root is dropped.
func (s Subject) Scope(a Action) []string {
	var roots []string
	for _, g := range s.Grants {
		if g.Role.Allows(a) {
			roots = append(roots, g.OrgPath)
		}
	}
	slices.Sort(roots)
	var out []string
	for _, r := range roots {
		if len(out) > 0 && Within(r, out[len(out)-1]) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// HasRole reports whether the subject holds r anywhere.
func (s Subject) HasRole(r Role) bool {
	return slices.ContainsFunc(s.Grants, func(g Grant) bool { return g.Role == r })
}

type ctxKey struct{}

// WithSubject returns ctx carrying s.
func WithSubject(ctx context.Context, s Subject) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the subject carried by ctx, and false for an anonymous request.
func FromContext(ctx context.Context) (Subject, bool) {
	s, ok := ctx.Value(ctxKey{}).(Subject)
	return s, ok
}

// Current is the subject carried by ctx: the zero Subject, who may do nothing,
// for an anonymous request.
func Current(ctx context.Context) Subject {
	s, _ := FromContext(ctx)
	return s
}

// Check is the rule every capability applies to one node: a node the subject may
// not see reads as absent (problem.ErrNotFound, 404, the same answer as a node
// that does not exist); a node they see but may not act on with need is
// forbidden (403).
func (s Subject) Check(need Action, path string) error {
	if !s.Can(OrgRead, path) {
		return problem.ErrNotFound
	}
	if !s.Can(need, path) {
		return problem.New(problem.Forbidden, "error.forbidden")
	}
	return nil
}
