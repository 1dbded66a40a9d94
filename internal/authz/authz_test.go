package authz

import (
	"strings"
	"testing"
)

// expected is the roles table of DESIGN.md, written out by hand: for each role, the
// actions it allows on its own subtree. The grants table must agree with it.
var expected = map[Role]string{
	Admin:           "org.read org.write user.read user.manage audit.read content.manage metrics.read programme.write validate signoff control incident.declare incident.handle",
	PiloteNational:  "org.read user.read audit.read content.manage control",
	CertSante:       "incident.handle",
	ReferentARS:     "org.read user.read audit.read validate",
	Grades:          "org.read programme.write",
	RSSIGHT:         "org.read org.write user.read user.manage audit.read programme.write",
	Direction:       "org.read org.write user.read user.manage audit.read programme.write signoff incident.declare",
	RSSI:            "org.read org.write user.read programme.write incident.declare",
	DSI:             "org.read org.write user.read programme.write incident.declare",
	ResponsablePCRA: "org.read programme.write",
	Lecteur:         "org.read",
}

// The tree used by the matrix: /1/ national, /1/2/ region, /1/2/3/ GHT,
// /1/2/3/4/ establishment, /1/2/3/4/5/ its site; siblings /1/6/, /1/2/7/, /1/2/3/8/.
var places = map[Role]struct{ own, sibling, parent string }{
	Admin:           {"/1/", "", ""},
	PiloteNational:  {"/1/", "", ""},
	CertSante:       {"/1/", "", ""},
	ReferentARS:     {"/1/2/", "/1/6/", "/1/"},
	Grades:          {"/1/2/", "/1/6/", "/1/"},
	RSSIGHT:         {"/1/2/3/", "/1/2/7/", "/1/2/"},
	Direction:       {"/1/2/3/4/", "/1/2/3/8/", "/1/2/3/"},
	RSSI:            {"/1/2/3/4/", "/1/2/3/8/", "/1/2/3/"},
	DSI:             {"/1/2/3/4/", "/1/2/3/8/", "/1/2/3/"},
	ResponsablePCRA: {"/1/2/3/4/", "/1/2/3/8/", "/1/2/3/"},
	Lecteur:         {"/1/2/3/4/", "/1/2/3/8/", "/1/2/3/"},
}

func TestPermissionMatrix(t *testing.T) {
	for _, role := range Roles {
		p := places[role]
		s := Subject{UserID: 1, Grants: []Grant{{Role: role, OrgID: 1, OrgPath: p.own}}}
		allowed := strings.Fields(expected[role])
		for _, a := range Actions {
			want := false
			for _, x := range allowed {
				want = want || x == string(a)
			}
			// own subtree: the node itself and a descendant
			for _, target := range []string{p.own, p.own + "99/"} {
				if got := s.Can(a, target); got != want {
					t.Errorf("%s %s on own subtree %s: got %v, want %v", role, a, target, got, want)
				}
			}
			if p.sibling != "" && s.Can(a, p.sibling) {
				t.Errorf("%s %s on sibling %s: allowed", role, a, p.sibling)
			}
			if p.parent != "" && s.Can(a, p.parent) {
				t.Errorf("%s %s on parent %s: allowed", role, a, p.parent)
			}
		}
	}
}

func TestPathPrefixIsNotSubtree(t *testing.T) {
	s := Subject{Grants: []Grant{{Role: Lecteur, OrgPath: "/1/2/"}}}
	if s.Can(OrgRead, "/1/23/") {
		t.Error("/1/23/ is not inside /1/2/")
	}
}

func TestGrantingNeverExceedsOwnReach(t *testing.T) {
	ght := Subject{Grants: []Grant{{Role: RSSIGHT, OrgPath: "/1/2/3/"}}}
	if ght.CanGrant(Admin, "/1/2/3/4/") || ght.CanGrant(ReferentARS, "/1/2/3/") {
		t.Error("a GHT RSSI may not grant national or regional roles")
	}
	if !ght.CanGrant(RSSI, "/1/2/3/4/") {
		t.Error("a GHT RSSI may grant rssi in its GHT")
	}
	if ght.CanGrant(RSSI, "/1/2/7/") {
		t.Error("a GHT RSSI may not grant outside its GHT")
	}
	dir := Subject{Grants: []Grant{{Role: Direction, OrgPath: "/1/2/3/4/"}}}
	if dir.CanGrant(RSSIGHT, "/1/2/3/4/") {
		t.Error("a direction may not grant rssi_ght")
	}
	rssi := Subject{Grants: []Grant{{Role: RSSI, OrgPath: "/1/2/3/4/"}}}
	if rssi.CanGrant(Lecteur, "/1/2/3/4/") {
		t.Error("an rssi does not manage users")
	}
}

func TestScopeDropsNestedRoots(t *testing.T) {
	s := Subject{Grants: []Grant{{Role: Lecteur, OrgPath: "/1/2/3/"}, {Role: RSSI, OrgPath: "/1/2/"}, {Role: Lecteur, OrgPath: "/1/9/"}}}
	got := strings.Join(s.Scope(OrgRead), " ")
	if got != "/1/2/ /1/9/" {
		t.Errorf("scope: got %q", got)
	}
	if len(s.Scope(UserManage)) != 0 {
		t.Error("no role here manages users")
	}
	clause, args := ScopeClause("path", s.Scope(OrgRead), 1)
	if clause != "((path >= $1 AND path < $2) OR (path >= $3 AND path < $4))" || len(args) != 4 || args[1] != "/1/20" {
		t.Errorf("clause %q args %v", clause, args)
	}
	if c, _ := ScopeClause("path", nil, 1); c != "1=0" {
		t.Errorf("empty scope must match nothing, got %q", c)
	}
}
