package catalogue

import (
	"cmp"
	"context"
	"slices"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/problem"
)

// Need is a theme an establishment needs offers in, and why: a message key
// with its arguments ("weakest maturity theme « Sauvegardes », 33 %").
type Need struct {
	Theme  string
	Reason string
	Args   []any
}

// Needs tells the needs of a checked establishment: the server wires it from
// the capabilities that know them (maturity, exposure, directory); the
// catalogue imports none of them.
type Needs func(ctx context.Context, org int64) ([]Need, error)

// Recommendation is an offer recommended to an establishment, with the needs
// it answers.
type Recommendation struct {
	Offer   Offer
	Because []Need
}

// Recommended is what an establishment is recommended.
type Recommended struct {
	Org    org.Org
	Region string // the code of its region
	Needs  []Need
	Offers []Recommendation
}

// MaxRecommendations bounds the offers recommended at once.
const MaxRecommendations = 12

// Recommend lists the offers that answer an establishment's needs: offers of
// a needed theme, open to its kind of structure (ES or ESSMS), national or of
// its region. Offers answering more needs come first, then regional ones.
func (s *Service) Recommend(ctx context.Context, orgID int64) (Recommended, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return Recommended{}, err
	}
	if !o.IsEstablishment() {
		return Recommended{}, problem.New(problem.Invalid, "catalogue.error.not_establishment")
	}
	rec := Recommended{Org: o}
	if rec.Region, err = regionCodeOf(ctx, s.DB.Read, org.PathIDs(o.Path)); err != nil {
		return Recommended{}, err
	}
	if s.Needs == nil {
		return rec, nil
	}
	if rec.Needs, err = s.Needs(ctx, o.ID); err != nil {
		return Recommended{}, err
	}
	audience := "es"
	if o.Kind == org.ESSMS {
		audience = "essms"
	}
	byID := map[int64]*Recommendation{}
	var order []int64
	for _, n := range rec.Needs {
		res, err := searchOffers(ctx, s.DB.Read, s.DB.Engine, Query{Theme: n.Theme, Audience: audience, Near: &rec.Region, Limit: MaxLimit})
		if err != nil {
			return Recommended{}, err
		}
		for _, off := range res.Items {
			r, ok := byID[off.ID]
			if !ok {
				r = &Recommendation{Offer: off}
				byID[off.ID] = r
				order = append(order, off.ID)
			}
			r.Because = append(r.Because, n)
		}
	}
	for _, id := range order {
		rec.Offers = append(rec.Offers, *byID[id])
	}
	slices.SortStableFunc(rec.Offers, func(a, b Recommendation) int {
		return cmp.Or(cmp.Compare(len(b.Because), len(a.Because)), cmp.Compare(b.Offer.Region, a.Offer.Region))
	})
	if len(rec.Offers) > MaxRecommendations {
		rec.Offers = rec.Offers[:MaxRecommendations]
	}
	return rec, nil
}
