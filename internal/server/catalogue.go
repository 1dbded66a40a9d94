package server

import (
	"cmp"
	"context"
	"math"
	"slices"

	"care/internal/catalogue"
	"care/internal/exposure"
	"care/internal/maturity"
)

// catalogueThemeOf reads each theme of the maturity questionnaire as the
// catalogue theme whose offers answer it (our reading: the catalogue's themes
// are prevent, control, detect, respond, rebuild).
var catalogueThemeOf = map[string]string{
	"gouvernance":                "prevenir",
	"identites-acces":            "controler",
	"postes-serveurs":            "detecter",
	"infrastructure-sauvegardes": "reconstruire",
	"sensibilisation":            "prevenir",
	"reponse-incidents":          "reagir",
}

// weakestThemes is how many of the latest assessment's lowest themes ask for
// offers.
const weakestThemes = 2

// catalogueNeeds wires the catalogue's recommendations to the capabilities
// that know an establishment's weaknesses: the weakest themes of its latest
// maturity assessment, its open exposure findings (control the exposure) and
// its open directory checkpoints (control the directory). The catalogue
// imports none of them.
func (s *Server) catalogueNeeds(ctx context.Context, org int64) ([]catalogue.Need, error) {
	var needs []catalogue.Need
	list, _, err := s.Maturity.List(ctx, maturity.Filter{OrgID: org, Limit: 100})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(a maturity.Assessment) bool { return a.Kind == maturity.KindMaturity && a.OrgID == org })
	if i >= 0 {
		sheet, err := s.Maturity.Open(ctx, list[i].ID)
		if err != nil {
			return nil, err
		}
		var scored []maturity.ThemeScore
		for _, t := range sheet.Result.Themes {
			if t.Percent != nil && catalogueThemeOf[t.ID] != "" {
				scored = append(scored, t)
			}
		}
		slices.SortStableFunc(scored, func(a, b maturity.ThemeScore) int { return cmp.Compare(*a.Percent, *b.Percent) })
		for _, t := range scored[:min(weakestThemes, len(scored))] {
			needs = append(needs, catalogue.Need{Theme: catalogueThemeOf[t.ID], Reason: "catalogue.reason.maturity", Args: []any{t.Title, int(math.Round(*t.Percent))}})
		}
	}
	findings, err := s.Exposure.Findings(ctx, org, exposure.FindingFilter{Status: exposure.StatusOpen})
	if err != nil {
		return nil, err
	}
	if n := len(findings); n > 0 {
		needs = append(needs, catalogue.Need{Theme: "controler", Reason: "catalogue.reason.exposure", Args: []any{n}})
	}
	checks, err := s.Directory.Checkpoints(ctx, org)
	if err != nil {
		return nil, err
	}
	open := 0
	for _, c := range checks {
		if c.Status == "open" {
			open++
		}
	}
	if open > 0 {
		needs = append(needs, catalogue.Need{Theme: "controler", Reason: "catalogue.reason.directory", Args: []any{open}})
	}
	return needs, nil
}
