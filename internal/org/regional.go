package org

import (
	"context"
	"net/url"
	"slices"
	"strconv"

	"care/internal/authz"
	"care/internal/home"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// followed are the levels whose people follow the establishments under them: a
// GHT, an ARS (the region) and the national team.
var followed = []Level{National, Region, GHT}

// Regional is a capability page seen from a GHT, a region or the nation (issue
// 15, point 3): the node chosen, how many of its legal entities started the
// capability and finished it ("x sur N"), and each structure with its card, the
// ones that have not started first. Node.ID is 0 when the page shows an
// establishment instead.
type Regional struct {
	Chooser web.Chooser // the GHT, regions and nation the caller follows
	Node    Org
	Count   home.Count
	Rows    []home.Row // every legal entity under Node with its card, not started first
	// Follow is the node the caller follows, for a link back from an
	// establishment's page; 0 for a person who follows none.
	Follow int64
}

// RegionalRows is how many structures the page lists: the home's table, which
// pages, shows them all.
const RegionalRows = 100

// Shown is the structures the page lists, not started first.
func (g Regional) Shown() []home.Row { return g.Rows[:min(len(g.Rows), RegionalRows)] }

// Board is the home's table of the structures under the node that have not
// started the capability, where a long list is paged, filtered and exported.
func (g Regional) Board() string {
	return "/?" + url.Values{"org": {strconv.FormatInt(g.Node.ID, 10)}, "cap": {g.Count.Capability}, "state": {home.NotStarted.Code()}}.Encode()
}

// Regional reads the page at target as a GHT, region or national viewer sees it
// for capability src: id is the node chosen (0 for none). When id names a GHT, a
// region or the nation — or nothing, for a person who follows one — the result
// holds its count and structures, read with the capability's one status query
// for the whole set; when id names an establishment, only Follow is set.
func (s *Service) Regional(ctx context.Context, target string, id int64, src home.Source) (Regional, error) {
	var g Regional
	follow, err := s.follows(ctx)
	if err != nil || follow.ID == 0 {
		return g, err
	}
	g.Follow = follow.ID
	node := follow
	if id != 0 {
		if node, err = Load(ctx, s.DB.Read, id, authz.OrgRead); err != nil || !slices.Contains(followed, node.Level) {
			return g, err
		}
	}
	g.Node = node
	if g.Chooser, err = s.Chooser(ctx, target, node, followed...); err != nil {
		return g, err
	}
	set, err := home.Under(ctx, s.DB.Read, node.Path)
	if err != nil {
		return g, err
	}
	sources := []home.Source{src}
	rows, err := home.Gather(ctx, set, sources)
	if err != nil {
		return g, err
	}
	g.Count = home.Tally(rows, sources)[0]
	g.Rows = (home.Query{Sort: src.Capability}).Apply(rows, sources)
	return g, nil
}

// follows is the highest GHT, region or nation among the caller's grants that
// they may read (the zero Org for none). A grant whose level is known and is
// an establishment's costs no query: their pages stay as cheap as before.
func (s *Service) follows(ctx context.Context) (Org, error) {
	var best authz.Grant
	for _, g := range authz.Current(ctx).Grants {
		if g.OrgID == 0 || !g.Role.Allows(authz.OrgRead) || g.OrgLevel == string(LegalEntity) || g.OrgLevel == string(Site) {
			continue
		}
		if best.OrgPath == "" || len(g.OrgPath) < len(best.OrgPath) {
			best = g
		}
	}
	if best.OrgPath == "" {
		return Org{}, nil
	}
	o, err := Load(ctx, s.DB.Read, best.OrgID, authz.OrgRead)
	if problem.Is(err, problem.NotFound) || (err == nil && !slices.Contains(followed, o.Level)) {
		return Org{}, nil
	}
	return o, err
}
