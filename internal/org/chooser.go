package org

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// FewChoices is how many nodes a selector lists before it turns into a search: a
// regional or national scope holds thousands, which no list can show.
const FewChoices = 30

// label names a node in a selector: its name, and its FINESS number when it has one.
func (o Org) label() string {
	if o.FINESS != "" {
		return o.Name + " (" + o.FINESS + ")"
	}
	return o.Name
}

// Choice is the node as a selector entry.
func (o Org) Choice() web.Choice { return web.Choice{ID: o.ID, Label: o.label()} }

// Chooser builds the node selector of the page at target for the caller: current
// is the node the page shows (already loaded, or the zero Org), levels the levels
// it offers. With few candidates they are listed; with many, the page offers a
// search (ChoicesPage). One query, whatever the scope.
func (s *Service) Chooser(ctx context.Context, target string, current Org, levels ...Level) (web.Chooser, error) {
	return s.chooser(ctx, "", target, current, levels)
}

// GrantChooser is the node selector of the user forms at target: the nodes where
// the caller may give roles (authz.UserManage), listed when few, else searched
// (the search, ChoicesPage, leads back to target?org=ID). chosen is the node
// picked so far, 0 for none: it is shown when the caller may give roles there,
// and left out otherwise, as a list would not offer it.
func (s *Service) GrantChooser(ctx context.Context, target string, chosen int64) (web.Chooser, error) {
	var current Org
	if chosen != 0 {
		o, err := Load(ctx, s.DB.Read, chosen, authz.UserManage)
		if err != nil && !problem.Is(err, problem.NotFound) && !problem.Is(err, problem.Forbidden) {
			return web.Chooser{}, err
		}
		current = o
	}
	c, err := s.chooser(ctx, forGrant, target, current, nil)
	c.For, c.Picked = forGrant, true
	return c, err
}

// ParentChooser is the selector of a new parent for o on its edit form: the nodes
// of a level o may hang under where the caller may write, leading back to the
// form with ?parent=ID; current is the parent picked so far (or o's own).
func (s *Service) ParentChooser(ctx context.Context, o, current Org) (web.Chooser, error) {
	c, err := s.chooser(ctx, forWrite, fmt.Sprintf("/organisations/%d/modifier", o.ID), current, allowedParents[o.Level])
	c.Param, c.For = "parent", forWrite
	return c, err
}

// What a choice is for, as the search (ChoicesPage) receives it: the right the
// caller needs on the nodes it offers.
const (
	forWrite = "write"
	forGrant = "grant"
)

func needFor(what string) authz.Action {
	switch what {
	case forWrite:
		return authz.OrgWrite
	case forGrant:
		return authz.UserManage
	}
	return authz.OrgRead
}

// chooser lists the nodes within the caller's scope for what the choice is for.
func (s *Service) chooser(ctx context.Context, what string, target string, current Org, levels []Level) (web.Chooser, error) {
	c := web.Chooser{Target: target, Current: current.Choice(), Levels: joinLevels(levels)}
	list, total, err := listOrgs(ctx, s.DB.Read, Filter{Roots: authz.Current(ctx).Scope(needFor(what)), Levels: levels, Limit: FewChoices + 1})
	if err != nil {
		return c, err
	}
	if total > FewChoices {
		c.Search = true
		return c, nil
	}
	for _, o := range list {
		c.Few = append(c.Few, o.Choice())
	}
	return c, nil
}

func joinLevels(levels []Level) string {
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = string(l)
	}
	return strings.Join(parts, ",")
}

func parseLevels(s string) []Level {
	var out []Level
	for part := range strings.SplitSeq(s, ",") {
		l := Level(part)
		if _, ok := allowedParents[l]; ok || l == National {
			out = append(out, l)
		}
	}
	return out
}

type choicesData struct {
	Query string
	C     web.Chooser // the target, parameter, purpose and levels the search carries
	Items []web.Choice
	Total int
	Next  int
}

// ChoicesPage answers GET /organisations/choix?q=…&niveaux=…&cible=…&param=…&pour=…:
// the nodes the caller may choose for that purpose whose name or FINESS matches,
// twenty at a time, as links to the target page. htmx asks for the list alone;
// without script it is a whole page.
func (h *Handler) ChoicesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := choicesData{Query: strings.TrimSpace(q.Get("q")),
		C: web.Chooser{Target: web.LocalPath(q.Get("cible")), Levels: q.Get("niveaux"), For: q.Get("pour")}}
	if web.ChoiceParam(q.Get("param")) {
		d.C.Param = q.Get("param")
	}
	offset, _ := strconv.Atoi(q.Get("depuis"))
	offset = max(offset, 0)
	list, total, err := h.Orgs.Choices(r.Context(), needFor(d.C.For), Filter{Query: d.Query, Levels: parseLevels(d.C.Levels), Limit: 20, Offset: offset})
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	for _, o := range list {
		d.Items = append(d.Items, o.Choice())
	}
	d.Total = total
	if offset+len(list) < total {
		d.Next = offset + len(list)
	}
	v := h.View(r, "chooser.title")
	v.Data = d
	name := "org-choices"
	if r.Header.Get("HX-Request") != "true" {
		name = "org-choices-page"
	}
	h.Render.Render(w, http.StatusOK, name, v)
}
