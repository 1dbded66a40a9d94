package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"care/internal/authz"
	"care/internal/home"
	"care/internal/org"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// statusSources lists the card every capability offers, in the order of the
// pages: a new capability adds its own here (see package home).
func (s *Server) statusSources() []home.Source {
	return []home.Source{s.Maturity.StatusSource(), s.Continuity.StatusSource(), s.Exposure.StatusSource(), s.Directory.StatusSource(), s.Exercises.StatusSource(), s.Funding.StatusSource(),
		s.Catalogue.StatusSource()}
}

// cardsOf is the cards of one structure, for its page (org.Service.Cards).
func (s *Server) cardsOf(ctx context.Context, id int64) ([]home.Card, error) {
	set, err := home.Of(ctx, s.DB.Read, id)
	if err != nil {
		return nil, err
	}
	rows, err := home.Gather(ctx, set, s.Sources)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0].Cards, nil
}

// boardPage is how many structures one page of the table shows.
const boardPage = 50

type homeData struct {
	Next      *nextStep     // the first thing to do, at the top of the page
	Grants    []grantView   // the person's roles, with the names of their nodes
	Waiting   []waitingCard // what waits for this person's decision, first
	Places    []home.Row    // the establishments where the person holds a role
	Board     *boardData    // the table of the structures a GHT, region or the nation follows
	CanUsers  bool
	CanImport bool
}

// States lists the states a filter offers.
func (homeData) States() []home.State { return home.States }

// nextStep is the first thing the home page offers to do: what waits for the
// person's decision, else the first capability of their establishment that is
// not done, else the structures of their table that have not started one.
type nextStep struct {
	Action home.Action
	Title  string // catalogue key of the capability
	Where  string // the structure's name
}

func firstStep(d homeData) *nextStep {
	if len(d.Waiting) > 0 {
		w := d.Waiting[0]
		return &nextStep{Action: w.Card.Next, Title: w.Card.Title, Where: w.Node.Name}
	}
	for _, row := range d.Places {
		for _, c := range row.Cards {
			if c.State != home.Done && c.Next.URL != "" {
				return &nextStep{Action: c.Next, Title: c.Title, Where: row.Node.Name}
			}
		}
	}
	if b := d.Board; b != nil {
		for _, c := range b.Counts {
			if len(c.Missing) > 0 {
				return &nextStep{Action: home.Action{Label: home.T("home.next.missing", len(c.Missing)), URL: b.Missing(c.Capability)}, Title: c.Title, Where: b.Node.Name}
			}
		}
	}
	return nil
}

type grantView struct {
	Role    authz.Role
	OrgID   int64
	OrgName string
}

type waitingCard struct {
	Node home.Node
	Card home.Card
}

type boardData struct {
	Chooser web.Chooser
	Node    org.Org
	Sources []home.Source
	Counts  []home.Count
	Rows    []home.Row // this page
	Matched int        // rows the filters keep
	Offset  int
	Query   string // the filters and order, for links (no offset)
	Form    map[string]string
	Sorts   map[string]string // sort key ("name" or a capability) → the link that sorts by it
}

// Missing is the link to the structures of the table that have not started
// capability.
func (b *boardData) Missing(capability string) string {
	return "/?" + url.Values{"org": {strconv.FormatInt(b.Node.ID, 10)}, "cap": {capability}, "state": {home.NotStarted.Code()}}.Encode()
}

// homeGrants splits the person's grants: the establishments they work for, and
// the highest node of a GHT, a region or the nation they follow.
func (s *Server) homeGrants(ctx context.Context) (places home.Set, follow int64, grants []grantView, err error) {
	sub := authz.Current(ctx)
	ids := make([]int64, len(sub.Grants))
	for i, g := range sub.Grants {
		ids[i] = g.OrgID
	}
	all, err := home.Of(ctx, s.DB.Read, ids...)
	if err != nil {
		return home.Set{}, 0, nil, err
	}
	names := map[int64]string{}
	var mine []int64
	for _, n := range all.Nodes {
		names[n.ID] = n.Name
		switch n.Level {
		case authz.LevelLegalEntity, authz.LevelSite:
			mine = append(mine, n.ID)
		default:
			if follow == 0 {
				follow = n.ID
			}
		}
	}
	for _, g := range sub.Grants {
		if name, ok := names[g.OrgID]; ok {
			grants = append(grants, grantView{Role: g.Role, OrgID: g.OrgID, OrgName: name})
		}
	}
	if len(mine) == len(all.Nodes) {
		return all, 0, grants, nil
	}
	places, err = home.Of(ctx, s.DB.Read, mine...)
	return places, follow, grants, err
}

// home is the landing page: for an establishment's people, one card per
// capability with its state and next action; for a GHT, a region or the nation,
// the table of its establishments against the capabilities; first, what waits
// for the person's signature or validation.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sub := authz.Current(ctx)
	v := s.view(r, "home.title")
	v.Flash = web.TakeFlash(w, r)
	d := homeData{CanUsers: sub.CanAnywhere(authz.UserRead), CanImport: sub.CanAnywhere(authz.OrgWrite)}
	places, follow, grants, err := s.homeGrants(ctx)
	d.Grants = grants
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Places, err = home.Gather(ctx, places, s.Sources); err != nil {
		s.fail(w, r, err)
		return
	}
	all := d.Places
	if follow != 0 {
		rows, b, err := s.board(r, follow)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Board = b
		all = append(all[:len(all):len(all)], rows...)
	}
	for _, row := range all {
		for _, c := range row.Cards {
			if c.Next.Needs != "" && sub.Can(c.Next.Needs, row.Node.Path) {
				d.Waiting = append(d.Waiting, waitingCard{Node: row.Node, Card: c})
			}
		}
	}
	d.Next = firstStep(d)
	if d.Next == nil && sub.CanAnywhere(authz.IncidentHandle) {
		// CERT Santé follows no structure: its work is the declarations.
		d.Next = &nextStep{Action: home.Action{Label: home.T("incident.next.handle"), URL: "/incidents"}, Title: "incident.title"}
	}
	v.Data = d
	s.Render.Render(w, http.StatusOK, "home", v)
}

// board reads the table of the structures under the node chosen with ?org=
// (follow when none): all its rows, and the page the filters keep.
func (s *Server) board(r *http.Request, follow int64) ([]home.Row, *boardData, error) {
	ctx := r.Context()
	id, err := web.OrgParam(r)
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		id = follow
	}
	node, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return nil, nil, err
	}
	b := &boardData{Node: node, Sources: s.Sources}
	if b.Chooser, err = s.Orgs.Chooser(ctx, "/", node, org.National, org.Region, org.GHT); err != nil {
		return nil, nil, err
	}
	set, err := home.Under(ctx, s.DB.Read, node.Path)
	if err != nil {
		return nil, nil, err
	}
	rows, err := home.Gather(ctx, set, s.Sources)
	if err != nil {
		return nil, nil, err
	}
	b.Counts = home.Tally(rows, s.Sources)
	q, form := boardQuery(r.URL.Query())
	kept := q.Apply(rows, s.Sources)
	b.Matched, b.Form = len(kept), form
	b.Offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
	b.Offset = min(max(b.Offset, 0), max(len(kept)-1, 0)/boardPage*boardPage)
	b.Rows = kept[b.Offset:min(b.Offset+boardPage, len(kept))]
	links := url.Values{}
	for k, v := range form {
		if v != "" {
			links.Set(k, v)
		}
	}
	links.Set("org", strconv.FormatInt(node.ID, 10))
	b.Query = links.Encode()
	b.Sorts = map[string]string{}
	for _, key := range append([]string{"name"}, capabilities(s.Sources)...) {
		l := url.Values{}
		for k, v := range links {
			l[k] = v
		}
		l.Set("sort", key)
		l.Del("desc")
		if (form["sort"] == key || form["sort"] == "" && key == "name") && !q.Desc {
			l.Set("desc", "1")
		}
		b.Sorts[key] = "/?" + l.Encode()
	}
	return rows, b, nil
}

func capabilities(sources []home.Source) []string {
	out := make([]string, len(sources))
	for i, src := range sources {
		out[i] = src.Capability
	}
	return out
}

// boardQuery reads the table's filters and order from the address: q (part of
// a name), cap and state (the state of one capability), sort and desc.
func boardQuery(in url.Values) (home.Query, map[string]string) {
	q := home.Query{Name: in.Get("q"), Sort: in.Get("sort"), Desc: in.Get("desc") == "1"}
	form := map[string]string{"q": q.Name, "sort": q.Sort}
	if q.Desc {
		form["desc"] = "1"
	}
	if st, ok := home.ParseState(in.Get("state")); ok && in.Get("cap") != "" {
		q.Capability, q.State = in.Get("cap"), st
		form["cap"], form["state"] = q.Capability, st.Code()
	}
	return q, form
}

// homeCSV exports the table of the home page, with its filters and order.
func (s *Server) homeCSV(w http.ResponseWriter, r *http.Request) {
	_, follow, _, err := s.homeGrants(r.Context())
	if err != nil || follow == 0 {
		if err == nil {
			err = problem.ErrNotFound // no table for a person who follows no GHT, region or nation
		}
		s.fail(w, r, err)
		return
	}
	rows, _, err := s.board(r, follow)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, _ := boardQuery(r.URL.Query())
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="etablissements-care.csv"`)
	_, _ = w.Write([]byte("\ufeff")) // so that spreadsheets read the accents right
	if err := home.WriteCSV(w, s.view(r, "").Lang, q.Apply(rows, s.Sources), s.Sources); err != nil {
		web.LogIfInternal(r, err)
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.Render.Fail(w, r, s.view(r, "error.title"), err)
}
