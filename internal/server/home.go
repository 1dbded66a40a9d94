package server

import (
	"net/http"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/web"
)

type homeData struct {
	Grants    []grantView
	Counts    map[string]int
	CanAudit  bool
	CanUsers  bool
	CanImport bool
	Recent    []audit.Entry
}

type grantView struct {
	Role    authz.Role
	OrgID   int64
	OrgName string
}

// home is the landing page: what the person is responsible for, what they see of the
// tree, and for managers the latest changes in their perimeter.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sub, _ := authz.FromContext(ctx)
	v := s.view(r, "home.title")
	v.Flash = web.TakeFlash(w, r)
	d := homeData{Counts: map[string]int{}, CanAudit: sub.CanAnywhere(authz.AuditRead), CanUsers: sub.CanAnywhere(authz.UserRead),
		CanImport: sub.CanAnywhere(authz.OrgWrite)}
	for _, g := range sub.Grants {
		o, err := s.Orgs.Get(ctx, g.OrgID)
		if err != nil {
			continue
		}
		d.Grants = append(d.Grants, grantView{Role: g.Role, OrgID: g.OrgID, OrgName: o.Name})
	}
	for _, l := range org.Levels {
		_, n, err := s.Orgs.List(ctx, org.Filter{Levels: []org.Level{l}, Limit: 1})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Counts[string(l)] = n
	}
	if d.CanAudit {
		var err error
		if d.Recent, _, err = s.Audit.List(ctx, audit.Filter{Limit: 8}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v.Data = d
	s.Render.Render(w, http.StatusOK, "home", v)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.Render.Fail(w, r, s.view(r, "error.title"), err)
}
