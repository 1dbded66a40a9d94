package org

import (
	"context"
	"database/sql"
	"strings"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/home"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Service is the organisation tree's use cases. Every method reads the caller from
// the context and sees only the caller's subtrees: anything else is "not found".
type Service struct {
	DB *db.DB
	// Cards reads where each capability stands for one structure, for its page;
	// the server sets it from the capabilities' status sources (org imports none).
	Cards func(ctx context.Context, id int64) ([]home.Card, error)
}

// Get returns the node id if the caller may read it, archived or not (see load).
func (s *Service) Get(ctx context.Context, id int64) (Org, error) {
	return load(ctx, s.DB.Read, id, authz.OrgRead, true)
}

// List returns the visible nodes matching f, and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]Org, int, error) {
	f.Roots = authz.Current(ctx).Scope(authz.OrgRead)
	return listOrgs(ctx, s.DB.Read, f)
}

// Choices lists the nodes matching f where the caller holds need, for a chooser's
// search.
func (s *Service) Choices(ctx context.Context, need authz.Action, f Filter) ([]Org, int, error) {
	f.Roots = authz.Current(ctx).Scope(need)
	return listOrgs(ctx, s.DB.Read, f)
}

// Tops returns the caller's visible subtree roots, for the tree browser.
func (s *Service) Tops(ctx context.Context) ([]Org, error) {
	var out []Org
	for _, root := range authz.Current(ctx).Scope(authz.OrgRead) {
		ids := PathIDs(root)
		if len(ids) == 0 {
			continue
		}
		o, err := getOrg(ctx, s.DB.Read, ids[len(ids)-1])
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Ancestors returns the visible ancestors of o, root first. An ancestor's path is
// a prefix of o's, so the ones out of sight are skipped without being read.
func (s *Service) Ancestors(ctx context.Context, o Org) ([]Org, error) {
	sub := authz.Current(ctx)
	var out []Org
	ids := PathIDs(o.Path)
	path := "/"
	for _, id := range ids[:max(len(ids)-1, 0)] {
		path = childPath(path, id)
		if sub.Check(authz.OrgRead, path) != nil {
			continue
		}
		a, err := getOrg(ctx, s.DB.Read, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Resolve finds a node by id, FINESS number, or "national" for the root, without
// scoping: it serves the command line, which runs with the database owner's rights.
func (s *Service) Resolve(ctx context.Context, ref string) (Org, error) {
	ref = strings.TrimSpace(ref)
	if strings.EqualFold(ref, "national") {
		return getRoot(ctx, s.DB.Read)
	}
	if len(ref) == 9 && CheckFINESS(ref) == "" {
		if o, err := getByFINESS(ctx, s.DB.Read, ref); err == nil {
			return o, nil
		}
	}
	var id int64
	for _, c := range ref {
		if c < '0' || c > '9' {
			return Org{}, problem.ErrNotFound
		}
		id = id*10 + int64(c-'0')
	}
	return getOrg(ctx, s.DB.Read, id)
}

func (o Org) fields() map[string]any {
	return map[string]any{
		"name": o.Name, "level": string(o.Level), "code": o.Code, "finess": o.FINESS,
		"kind": string(o.Kind), "category": string(o.Category), "activity_weight": o.ActivityWeight,
		"parent_id": o.ParentID,
	}
}

func normalise(o *Org) {
	o.Name = strings.TrimSpace(o.Name)
	o.Code = strings.TrimSpace(o.Code)
	o.FINESS = strings.ToUpper(strings.TrimSpace(o.FINESS))
	if !o.IsEstablishment() {
		o.Kind, o.Category = "", ""
	}
}

// Create adds o under o.ParentID. The caller needs write rights on the parent.
func (s *Service) Create(ctx context.Context, o Org) (Org, error) {
	normalise(&o)
	var created Org
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		created, err = createIn(ctx, tx, o)
		return err
	})
	return created, err
}

// createIn validates o and writes it within tx, with its audit entry.
func createIn(ctx context.Context, tx *sql.Tx, o Org) (Org, error) {
	var c problem.Checks
	if err := o.Validate(); err != nil {
		e, _ := problem.As(err)
		for _, f := range e.Fields {
			c.Add(f.Field, f.Key, f.Args...)
		}
	}
	if o.Level == National {
		c.Add("level", "org.error.second_root")
	}
	parent, err := load(ctx, tx, o.ParentID, authz.OrgWrite, true)
	switch {
	case problem.Is(err, problem.NotFound):
		c.Add("parent_id", "org.error.parent_unknown")
	case err != nil:
		return Org{}, err
	default:
		if parent.Archived() {
			c.Add("parent_id", "org.error.parent_archived")
		}
		if !c.Has("level") && !CanHangUnder(o.Level, parent.Level) {
			c.Add("parent_id", "org.error.parent_level", string(o.Level), string(parent.Level))
		}
	}
	if !c.Has("finess") {
		taken, err := finessTaken(ctx, tx, o.FINESS, 0)
		if err != nil {
			return Org{}, err
		}
		if taken {
			c.Add("finess", "org.error.finess_taken", o.FINESS)
		}
	}
	if err := c.Err(); err != nil {
		return Org{}, err
	}
	o, err = insertOrg(ctx, tx, o, parent.Path)
	if err != nil {
		return Org{}, err
	}
	return o, audit.Record(ctx, tx, audit.Entry{Action: "org.create", ObjectType: "org", ObjectID: audit.ID(o.ID),
		OrgPath: o.Path, Changes: audit.Diff(nil, o.fields())})
}

// CreateRoot creates the national root of an empty database.
func (s *Service) CreateRoot(ctx context.Context, name string) (Org, error) {
	var root Org
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getRoot(ctx, tx); err == nil {
			return problem.New(problem.Conflict, "org.error.second_root")
		}
		var err error
		root, err = insertOrg(ctx, tx, Org{Level: National, Name: name}, "/")
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "org.create", ObjectType: "org", ObjectID: audit.ID(root.ID),
			OrgPath: root.Path, Changes: audit.Diff(nil, root.fields())})
	})
	return root, err
}

// Patch lists the fields of an update; nil fields are left as they are.
type Patch struct {
	Name           *string
	Code           *string
	FINESS         *string
	Kind           *Kind
	Category       *Category
	ActivityWeight *float64
	ParentID       *int64
	Archived       *bool
}

// Update changes the fields of node id that p names, and moves it when p.ParentID
// names a new parent.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (Org, error) {
	var updated Org
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := load(ctx, tx, id, authz.OrgWrite, true)
		if err != nil {
			return err
		}
		o := before
		if p.Name != nil {
			o.Name = *p.Name
		}
		if p.Code != nil {
			o.Code = *p.Code
		}
		if p.FINESS != nil {
			o.FINESS = *p.FINESS
		}
		if p.Kind != nil {
			o.Kind = *p.Kind
		}
		if p.Category != nil {
			o.Category = *p.Category
		}
		if p.ActivityWeight != nil {
			o.ActivityWeight = *p.ActivityWeight
		}
		normalise(&o)
		var c problem.Checks
		if err := o.Validate(); err != nil {
			e, _ := problem.As(err)
			for _, f := range e.Fields {
				c.Add(f.Field, f.Key, f.Args...)
			}
		}
		if !c.Has("finess") {
			taken, err := finessTaken(ctx, tx, o.FINESS, o.ID)
			if err != nil {
				return err
			}
			if taken {
				c.Add("finess", "org.error.finess_taken", o.FINESS)
			}
		}
		var newParent Org
		if p.ParentID != nil && *p.ParentID != o.ParentID {
			newParent, err = s.checkMove(ctx, tx, o, *p.ParentID, &c)
			if err != nil {
				return err
			}
		}
		archive := p.Archived != nil && *p.Archived != o.Archived()
		if archive && o.Level == National {
			c.Add("archived", "org.error.archive_root")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if err := updateOrg(ctx, tx, o); err != nil {
			return err
		}
		if newParent.ID != 0 {
			newPath := childPath(newParent.Path, o.ID)
			if err := moveSubtree(ctx, tx, o.ID, newParent.ID, o.Path, newPath); err != nil {
				return err
			}
			o.ParentID, o.Path = newParent.ID, newPath
		}
		if archive {
			if err := setArchived(ctx, tx, o.Path, *p.Archived); err != nil {
				return err
			}
		}
		updated = o
		changes := audit.Diff(before.fields(), o.fields())
		if archive {
			changes["archived"] = audit.Change{Before: !*p.Archived, After: *p.Archived}
		}
		if len(changes) == 0 {
			return nil
		}
		action := "org.update"
		if newParent.ID != 0 {
			action = "org.move"
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "org", ObjectID: audit.ID(o.ID),
			OrgPath: o.Path, Changes: changes})
	})
	if err != nil {
		return Org{}, err
	}
	return getOrg(ctx, s.DB.Read, updated.ID)
}

// checkMove validates moving o under parentID: the caller writes both places, the
// new parent is of a level o may hang under, and is not inside o (no cycles).
func (s *Service) checkMove(ctx context.Context, q db.Querier, o Org, parentID int64, c *problem.Checks) (Org, error) {
	if o.Level == National {
		c.Add("parent_id", "org.error.move_root")
		return Org{}, nil
	}
	parent, err := load(ctx, q, parentID, authz.OrgWrite, true)
	if problem.Is(err, problem.NotFound) {
		c.Add("parent_id", "org.error.parent_unknown")
		return Org{}, nil
	}
	if err != nil {
		return Org{}, err
	}
	switch {
	case authz.Within(parent.Path, o.Path):
		c.Add("parent_id", "org.error.cycle")
	case parent.Archived():
		c.Add("parent_id", "org.error.parent_archived")
	case !CanHangUnder(o.Level, parent.Level):
		c.Add("parent_id", "org.error.parent_level", string(o.Level), string(parent.Level))
	}
	return parent, nil
}

// SetArchived archives node id and its subtree, or restores them.
func (s *Service) SetArchived(ctx context.Context, id int64, archive bool) (Org, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := load(ctx, tx, id, authz.OrgWrite, true)
		if err != nil {
			return err
		}
		if o.Level == National {
			return problem.New(problem.Conflict, "org.error.archive_root")
		}
		if archive == o.Archived() {
			return nil
		}
		if err := setArchived(ctx, tx, o.Path, archive); err != nil {
			return err
		}
		action := "org.archive"
		if !archive {
			action = "org.restore"
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "org", ObjectID: audit.ID(o.ID),
			OrgPath: o.Path, Changes: map[string]audit.Change{"archived": {Before: !archive, After: archive}}})
	})
	if err != nil {
		return Org{}, err
	}
	return s.Get(ctx, id)
}

// RootName is the name given to the national root of a new database.
const RootName = "National — programme CaRE"

// EnsureRoot returns the national root, creating it in a new database.
func (s *Service) EnsureRoot(ctx context.Context) (Org, error) {
	root, err := getRoot(ctx, s.DB.Read)
	if err == nil || !problem.Is(err, problem.NotFound) {
		return root, err
	}
	if root, err = s.CreateRoot(ctx, RootName); err != nil {
		// Another instance may have created it first.
		if again, err2 := getRoot(ctx, s.DB.Read); err2 == nil {
			return again, nil
		}
	}
	return root, err
}
