package exercise

import (
	"context"
	"database/sql"
	"slices"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The catalogue of kits: the shipped ones and those content managers imported.

// kits lists the shipped kits and those imported into the database, every version;
// an exercise starts from the newest version of a kit.
func (s *Service) kits(ctx context.Context) ([]Kit, error) {
	var kits []Kit
	var err error
	if s.Kits != nil {
		kits, err = s.Kits()
	} else {
		kits, err = Shipped()
	}
	if err != nil || s.DB == nil {
		return kits, err
	}
	imported, err := importedKits(ctx, s.DB.Read)
	return append(kits, imported...), err
}

// latest keeps the newest version of each kit.
func latest(kits []Kit) []Kit {
	var out []Kit
	for _, k := range kits {
		i := slices.IndexFunc(out, func(o Kit) bool { return o.ID == k.ID })
		switch {
		case i < 0:
			out = append(out, k)
		case k.Version > out[i].Version:
			out[i] = k
		}
	}
	return out
}

// Kit returns the kit with the given id, newest version.
func (s *Service) Kit(ctx context.Context, id string) (Kit, error) {
	kits, err := s.kits(ctx)
	if err != nil {
		return Kit{}, err
	}
	for _, k := range latest(kits) {
		if k.ID == id {
			return k, nil
		}
	}
	return Kit{}, problem.ErrNotFound
}

// Catalogue is what an exercise may start from, for a node: the newest version of
// each kit, and the level its latest validated maturity grid recommends.
type Catalogue struct {
	Node        org.Org // the zero Org when none was asked for
	Kits        []Kit
	Recommended string
}

// Catalogue lists the kits, with the recommendation for node orgID when it is not
// 0 (a node the caller may read).
func (s *Service) Catalogue(ctx context.Context, orgID int64) (Catalogue, error) {
	var c Catalogue
	if orgID != 0 {
		node, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
		if err != nil {
			return c, err
		}
		c.Node = node
		if s.KitLevel != nil {
			if c.Recommended, _, err = s.KitLevel(ctx, node.ID); err != nil {
				return c, err
			}
		}
	}
	kits, err := s.kits(ctx)
	c.Kits = latest(kits)
	return c, err
}

// ImportKit stores a new kit, or a new version of one, from its YAML text
// (content managers). The file is checked whole; a version must be newer than
// every stored or shipped one; exercises keep the copy they started from.
func (s *Service) ImportKit(ctx context.Context, source []byte) (Kit, error) {
	sub := authz.Current(ctx)
	if !sub.CanAnywhere(authz.ContentManage) {
		return Kit{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	k, err := ParseKit(source)
	if err != nil {
		return Kit{}, err
	}
	kits, err := s.kits(ctx)
	if err != nil {
		return Kit{}, err
	}
	for _, o := range kits {
		if o.ID == k.ID && o.Version >= k.Version {
			return Kit{}, problem.New(problem.Conflict, "exercise.error.kit_version", k.ID, o.Version)
		}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertKit(ctx, tx, k, source, sub.UserID, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.kit_import", ObjectType: "exercise_kit", ObjectID: k.ID,
			Changes: map[string]audit.Change{"version": {After: k.Version}, "stimuli": {After: len(k.Animator.Stimuli)}}})
	})
	return k, err
}
