package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Service is the catalogue's use cases. The offers are public information and
// readable by every logged-in person, regional ones included (a GRADeS's
// regional offer is published for anyone who may use or relay it). The
// national pilot (content.manage) adds, changes and imports any offer; a
// GRADeS adds and changes the offers of its own region: access to the region
// node goes through org.Load with programme.write, which the GRADeS holds
// there. Awareness counts hang on establishments (awareness.go).
type Service struct {
	DB *db.DB
	// Needs tells, for an establishment, the themes it needs offers in and why:
	// wired by the server from the maturity and exposure capabilities (the
	// catalogue imports neither). No recommendation is made when nil.
	Needs Needs
}

// National is the region filter that keeps the national offers only.
const National = "national"

// Query narrows the list of offers.
type Query struct {
	Q            string // words searched, accents and case ignored
	Theme        string
	Audience     string
	ProviderType string
	Region       string  // a region code, National, or "" for all
	Near         *string // national offers and those of this region code
	Limit        int
	Offset       int
}

// Facets count, among the offers a query keeps, those of each value.
type Facets struct {
	Theme        map[string]int
	Audience     map[string]int
	ProviderType map[string]int
}

// Result is a page of offers.
type Result struct {
	Items  []Offer
	Total  int
	Facets Facets
}

// MaxLimit bounds a page of offers.
const MaxLimit = 200

// check refuses an unknown filter value (400 for the API, beside the field on
// the page).
func (f Query) check() error {
	var c problem.Checks
	one := func(field, v string, known []string) {
		if v != "" && !slices.Contains(known, v) {
			c.Add(field, "catalogue.error.filter", v)
		}
	}
	one("theme", f.Theme, Themes)
	one("audience", f.Audience, Audiences)
	one("provider_type", f.ProviderType, ProviderTypes)
	if err := c.Err(); err != nil {
		e, _ := problem.As(err)
		e.Kind = problem.BadRequest
		return e
	}
	return nil
}

// Search lists the offers a query keeps, with their facets.
func (s *Service) Search(ctx context.Context, f Query) (Result, error) {
	if f.Limit <= 0 || f.Limit > MaxLimit {
		f.Limit = MaxLimit
	}
	if th, ok := ParseTheme(f.Theme); ok {
		f.Theme = th
	}
	if err := f.check(); err != nil {
		return Result{}, err
	}
	return searchOffers(ctx, s.DB.Read, s.DB.Engine, f)
}

// Get reads one offer.
func (s *Service) Get(ctx context.Context, id int64) (Offer, error) {
	return getOffer(ctx, s.DB.Read, id)
}

// Regions names the region codes the offers may carry: the tree's regions,
// and the regions of the shipped offers.
func (s *Service) Regions(ctx context.Context) (map[string]string, error) {
	c, err := Shipped()
	if err != nil {
		return nil, err
	}
	names := maps.Clone(c.Regions)
	tree, err := regionNames(ctx, s.DB.Read)
	maps.Copy(names, tree)
	return names, err
}

// SyncShipped stores the offers of the starting set the database does not
// hold, and brings up to date those still as shipped (an offer someone changed
// is theirs and stays, one someone deleted stays deleted). Run at start-up.
func (s *Service) SyncShipped(ctx context.Context) error {
	c, err := Shipped()
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		stored, err := offersByRef(ctx, tx)
		if err != nil {
			return err
		}
		withdrawn, err := withdrawnRefs(ctx, tx)
		if err != nil {
			return err
		}
		now := db.Now()
		for _, o := range c.ShippedOffers() {
			old, ok := stored[o.Ref]
			switch {
			case withdrawn[o.Ref]:
			case !ok:
				_, err = insertOffer(ctx, tx, s.DB.Engine, o, nil, now)
			case old.Shipped && !sameOffer(old, o):
				o.ID = old.ID
				err = updateOffer(ctx, tx, s.DB.Engine, o, now)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// sameOffer reports whether two offers say the same.
func sameOffer(a, b Offer) bool {
	return a.Title == b.Title && a.Provider == b.Provider && a.ProviderType == b.ProviderType && slices.Equal(a.Themes, b.Themes) &&
		slices.Equal(a.Audience, b.Audience) && a.Region == b.Region && a.Cost == b.Cost && a.URL == b.URL && a.Contact == b.Contact && a.Description == b.Description
}

// mayEdit decides whether the caller may add or change an offer of region
// (a code, "" for national): the national pilot anywhere, a GRADeS in its own
// region only. A region the caller does not see reads as absent (404), as the
// tree does; a national offer, or a region seen but not theirs to run, is
// forbidden (403). It returns the region node's path, for the audit trail.
func (s *Service) mayEdit(ctx context.Context, q db.Querier, region string) (string, error) {
	pilot := authz.Current(ctx).CanAnywhere(authz.ContentManage)
	if region == "" {
		if !pilot {
			return "", problem.New(problem.Forbidden, "catalogue.error.national_pilot")
		}
		return "", nil
	}
	id, err := regionNode(ctx, q, region)
	if problem.Is(err, problem.NotFound) {
		// A region the tree does not hold: the pilot may still name one of the
		// shipped content's regions.
		c, err := Shipped()
		switch {
		case err != nil:
			return "", err
		case !pilot:
			return "", problem.ErrNotFound
		case c.Regions[region] == "":
			return "", unknownRegion(region)
		}
		return "", nil
	}
	if err != nil {
		return "", err
	}
	need := authz.ProgrammeWrite
	if pilot {
		need = authz.OrgRead
	}
	o, err := org.Load(ctx, q, id, need)
	return o.Path, err
}

func unknownRegion(code string) error {
	var c problem.Checks
	c.Add("region", "catalogue.error.region", code)
	return c.Err()
}

// checked validates an offer whole for a form or the API.
func checked(o Offer) (Offer, error) {
	var c problem.Checks
	o.Check(&c, func(f string) string { return f })
	return o, c.Err()
}

// Create adds an offer: the national pilot's anywhere, a GRADeS's in its region.
func (s *Service) Create(ctx context.Context, o Offer) (Offer, error) {
	o.ID, o.Ref, o.Shipped = 0, "", false
	o, err := checked(o)
	if err != nil {
		return Offer{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := s.mayEdit(ctx, tx, o.Region)
		if err != nil {
			return err
		}
		if o.ID, err = insertOffer(ctx, tx, s.DB.Engine, o, db.NullID(authz.Current(ctx).UserID), db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "catalogue.offer_create", ObjectType: "catalogue_offer", ObjectID: audit.ID(o.ID), OrgPath: path,
			Changes: map[string]audit.Change{"title": {After: o.Title}, "region": {After: o.Region}}})
	})
	return o, err
}

// Update changes an offer; a GRADeS may neither change another region's offer
// nor move its own elsewhere.
func (s *Service) Update(ctx context.Context, o Offer) (Offer, error) {
	o, err := checked(o)
	if err != nil {
		return Offer{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := getOffer(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if _, err := s.mayEdit(ctx, tx, old.Region); err != nil {
			return err
		}
		path, err := s.mayEdit(ctx, tx, o.Region)
		if err != nil {
			return err
		}
		o.Ref, o.Shipped = old.Ref, false // changed by someone: no longer as shipped
		if err := updateOffer(ctx, tx, s.DB.Engine, o, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "catalogue.offer_update", ObjectType: "catalogue_offer", ObjectID: audit.ID(o.ID), OrgPath: path,
			Changes: map[string]audit.Change{"title": {Before: old.Title, After: o.Title}, "region": {Before: old.Region, After: o.Region}}})
	})
	return o, err
}

// Delete removes an offer, under the same rule as Update.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := getOffer(ctx, tx, id)
		if err != nil {
			return err
		}
		path, err := s.mayEdit(ctx, tx, old.Region)
		if err != nil {
			return err
		}
		if err := deleteOffer(ctx, tx, s.DB.Engine, id); err != nil {
			return err
		}
		if old.Ref != "" {
			if err := setWithdrawn(ctx, tx, old.Ref, true); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "catalogue.offer_delete", ObjectType: "catalogue_offer", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"title": {Before: old.Title}}})
	})
}

// CanEdit reports whether the caller may add offers somewhere: the national
// pilot, or a GRADeS (for its region). The pages offer the form to them.
func CanEdit(sub authz.Subject) bool {
	return sub.CanAnywhere(authz.ContentManage) || sub.HasRole(authz.Grades)
}

// Import adds the offers of a CSV or XLSX file (the national pilot), checked
// whole: one faulty row and nothing is stored. A row whose ref names a stored
// offer changes it instead.
func (s *Service) Import(ctx context.Context, data []byte, filename string) (int, error) {
	sub := authz.Current(ctx)
	if !sub.CanAnywhere(authz.ContentManage) {
		return 0, problem.New(problem.Forbidden, "catalogue.error.national_pilot")
	}
	regions, err := s.Regions(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := ParseSheet(data, filename, regions)
	if err != nil {
		return 0, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		stored, err := offersByRef(ctx, tx)
		if err != nil {
			return err
		}
		now := db.Now()
		created, changed := 0, 0
		for _, o := range rows {
			if old, ok := stored[o.Ref]; ok && o.Ref != "" {
				o.ID = old.ID
				if err := updateOffer(ctx, tx, s.DB.Engine, o, now); err != nil {
					return err
				}
				changed++
				continue
			}
			if _, err := insertOffer(ctx, tx, s.DB.Engine, o, db.NullID(sub.UserID), now); err != nil {
				return err
			}
			if o.Ref != "" {
				if err := setWithdrawn(ctx, tx, o.Ref, false); err != nil {
					return err
				}
			}
			created++
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "catalogue.import", ObjectType: "catalogue_offer", ObjectID: filename,
			Changes: map[string]audit.Change{"created": {After: created}, "changed": {After: changed}}})
	})
	if err != nil {
		return 0, fmt.Errorf("catalogue: import: %w", err)
	}
	return len(rows), nil
}
