package continuity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Service is the continuity use cases. Everything belongs to a node of the tree
// (an establishment, a site, or a GHT for shared resources) and is scoped by it.
type Service struct {
	DB *db.DB
	// Horizons of the BIA; the shipped scale's when empty.
	Horizons []Horizon
}

// horizons are the BIA horizons in force on this instance.
func (s *Service) horizons() []Horizon {
	if len(s.Horizons) > 0 {
		return s.Horizons
	}
	if c, err := LoadCatalogue(); err == nil && len(c.Horizons) > 0 {
		return c.Horizons
	}
	return DefaultHorizons
}

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// node is an organisation as the continuity rules need it.
type node struct {
	ID     int64
	Name   string
	Path   string
	Level  string
	Weight float64
}

func getNode(ctx context.Context, q db.Querier, id int64) (node, error) {
	var n node
	err := q.QueryRowContext(ctx, "SELECT id, name, path, level, activity_weight FROM orgs WHERE id = $1 AND archived_at IS NULL", id).
		Scan(&n.ID, &n.Name, &n.Path, &n.Level, &n.Weight)
	if errors.Is(err, sql.ErrNoRows) {
		return node{}, problem.ErrNotFound
	}
	return n, err
}

// readable loads a node the caller may read; writable one it may change.
func readable(ctx context.Context, q db.Querier, id int64) (node, error) {
	n, err := getNode(ctx, q, id)
	if err != nil {
		return node{}, err
	}
	if !subject(ctx).Can(authz.OrgRead, n.Path) {
		return node{}, problem.ErrNotFound
	}
	return n, nil
}

func writable(ctx context.Context, q db.Querier, id int64) (node, error) {
	n, err := readable(ctx, q, id)
	if err != nil {
		return node{}, err
	}
	if !subject(ctx).Can(authz.ProgrammeWrite, n.Path) {
		return node{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	return n, nil
}

// ---- framing ----

// Plan is the PCRA project of an establishment or a GHT.
type Plan struct {
	OrgID      int64
	RPCRAName  string
	RPCRAEmail string
	Mission    string
	Perimeter  string
	Calendar   string
	Governance string
	ReviewDue  *time.Time
	UpdatedAt  *time.Time
}

// GetPlan returns the framing of node org (empty when not written yet).
func (s *Service) GetPlan(ctx context.Context, org int64) (Plan, error) {
	if _, err := readable(ctx, s.DB.Read, org); err != nil {
		return Plan{}, err
	}
	p := Plan{OrgID: org}
	var due, upd sql.NullTime
	err := s.DB.Read.QueryRowContext(ctx, `SELECT rpcra_name, rpcra_email, mission, perimeter, calendar, governance, review_due, updated_at
		FROM continuity_plans WHERE org_id = $1`, org).Scan(&p.RPCRAName, &p.RPCRAEmail, &p.Mission, &p.Perimeter, &p.Calendar, &p.Governance, &due, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	p.ReviewDue, p.UpdatedAt = timePtr(due), timePtr(upd)
	return p, err
}

// SavePlan writes the framing of node org.
func (s *Service) SavePlan(ctx context.Context, p Plan) error {
	var c problem.Checks
	if p.RPCRAEmail != "" && !strings.Contains(p.RPCRAEmail, "@") {
		c.Add("rpcra_email", "account.error.email")
	}
	for field, v := range map[string]string{"mission": p.Mission, "perimeter": p.Perimeter, "calendar": p.Calendar, "governance": p.Governance} {
		if utf8.RuneCountInString(v) > 20000 {
			c.Add(field, "continuity.error.too_long", 20000)
		}
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := writable(ctx, tx, p.OrgID)
		if err != nil {
			return err
		}
		now := db.Now()
		if _, err := tx.ExecContext(ctx, "DELETE FROM continuity_plans WHERE org_id = $1", p.OrgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO continuity_plans (org_id, rpcra_name, rpcra_email, mission, perimeter, calendar, governance, review_due, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, p.OrgID, strings.TrimSpace(p.RPCRAName), strings.TrimSpace(p.RPCRAEmail), p.Mission, p.Perimeter, p.Calendar, p.Governance, p.ReviewDue, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.plan_save", ObjectType: "org", ObjectID: audit.ID(p.OrgID), OrgPath: n.Path,
			Changes: map[string]audit.Change{"rpcra": {After: p.RPCRAName}}})
	})
}

// ---- activities ----

// Activity is an activity of an establishment with its BIA.
type Activity struct {
	ID                int64
	OrgID             int64
	OrgName           string
	OrgPath           string
	OrgLevel          string
	CatalogueID       string
	Name              string
	Type              string
	Description       string
	MinimumStaff      string
	PeakPeriods       string
	PDMA              *int
	DMIAOverride      *int
	DMIAJustification string
	BIAUpdatedAt      *time.Time
	ReviewDue         *time.Time
	Impacts           Impacts
	Dependencies      []Dependency
	computedDMIA      *int // from the impacts, over the instance's horizons
}

// Dependency is what an activity relies on.
type Dependency struct {
	ResourceID int64
	Name       string
	Kind       string
	Critical   bool
}

// ComputedDMIA is the DMIA the impacts give.
func (a Activity) ComputedDMIA() *int { return a.computedDMIA }

// EffectiveDMIA is the override when one was justified, else the computed DMIA.
func (a Activity) EffectiveDMIA() *int {
	if a.DMIAOverride != nil {
		return a.DMIAOverride
	}
	return a.ComputedDMIA()
}

// Stale reports whether the activity's review date is past.
func (a Activity) Stale(now time.Time) bool { return Stale(a.ReviewDue, now) }

// HasBIA reports whether the impacts were scored.
func (a Activity) HasBIA() bool { return a.BIAUpdatedAt != nil && len(a.Impacts) > 0 }

// NewActivity is the input of an activity's creation.
type NewActivity struct {
	OrgID       int64
	CatalogueID string
	Name        string
	Type        string
	Description string
}

// CreateActivity adds an activity to a site or an establishment, from the catalogue
// (name, type and description filled from it) or custom.
func (s *Service) CreateActivity(ctx context.Context, in NewActivity) (Activity, error) {
	cat, err := LoadCatalogue()
	if err != nil {
		return Activity{}, err
	}
	var c problem.Checks
	var pdma *int
	staff := ""
	if in.CatalogueID != "" {
		ca, ok := cat.Activity(in.CatalogueID)
		if !ok {
			c.Add("catalogue_id", "continuity.error.catalogue", in.CatalogueID)
		} else {
			in.Name = cmpOr(strings.TrimSpace(in.Name), ca.Name)
			in.Type = cmpOr(in.Type, ca.Type)
			in.Description = cmpOr(in.Description, ca.Description)
			staff = ca.MinimumStaff
			p := ca.PDMAHours
			pdma = &p
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		c.Add("name", "continuity.error.name")
	}
	if in.Type != TypeCare && in.Type != TypeAdmin && in.Type != TypePlatform {
		c.Add("type", "continuity.error.type", in.Type)
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := writable(ctx, tx, in.OrgID)
		if problem.Is(err, problem.NotFound) {
			c.Add("org", "continuity.error.org")
		} else if err != nil {
			return err
		} else if n.Level != authz.LevelLegalEntity && n.Level != authz.LevelSite {
			c.Add("org", "continuity.error.org_level")
		}
		if err := c.Err(); err != nil {
			return err
		}
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO activities (org_id, catalogue_id, name, type, description, minimum_staff, pdma_hours, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, in.OrgID, in.CatalogueID, in.Name, in.Type, in.Description, staff, nullInt(pdma), now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.activity_create", ObjectType: "activity", ObjectID: audit.ID(id), OrgPath: n.Path,
			Changes: audit.Diff(nil, map[string]any{"name": in.Name, "type": in.Type, "org_id": in.OrgID})})
	})
	if err != nil {
		return Activity{}, err
	}
	return s.GetActivity(ctx, id)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

const activityColumns = `a.id, a.org_id, o.name, o.path, o.level, a.catalogue_id, a.name, a.type, a.description, a.minimum_staff, a.peak_periods,
	a.pdma_hours, a.dmia_override_hours, a.dmia_justification, a.bia_updated_at, a.review_due`

func scanActivity(row interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var pdma, override sql.NullInt64
	var bia, due sql.NullTime
	err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.OrgPath, &a.OrgLevel, &a.CatalogueID, &a.Name, &a.Type, &a.Description, &a.MinimumStaff, &a.PeakPeriods,
		&pdma, &override, &a.DMIAJustification, &bia, &due)
	a.PDMA, a.DMIAOverride, a.BIAUpdatedAt, a.ReviewDue = intPtr(pdma), intPtr(override), timePtr(bia), timePtr(due)
	return a, err
}

// GetActivity returns an activity the caller may read, with its impacts and dependencies.
func (s *Service) GetActivity(ctx context.Context, id int64) (Activity, error) {
	a, err := scanActivity(s.DB.Read.QueryRowContext(ctx, "SELECT "+activityColumns+" FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1 AND a.archived_at IS NULL", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Activity{}, problem.ErrNotFound
	}
	if err != nil {
		return Activity{}, err
	}
	if !subject(ctx).Can(authz.OrgRead, a.OrgPath) {
		return Activity{}, problem.ErrNotFound
	}
	list := []Activity{a}
	if err := s.fill(ctx, list); err != nil {
		return Activity{}, err
	}
	return list[0], nil
}

// fill loads the impacts and dependencies of activities.
func (s *Service) fill(ctx context.Context, list []Activity) error {
	if len(list) == 0 {
		return nil
	}
	index := map[int64]int{}
	ids := make([]string, len(list))
	for i := range list {
		index[list[i].ID] = i
		list[i].Impacts = Impacts{}
		ids[i] = fmt.Sprint(list[i].ID)
	}
	in := "(" + strings.Join(ids, ",") + ")" // ids are integers read from the database
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT activity_id, criterion, horizon, level FROM activity_impacts WHERE activity_id IN "+in)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var crit, h string
		var level int
		if err := rows.Scan(&id, &crit, &h, &level); err != nil {
			rows.Close()
			return err
		}
		a := &list[index[id]]
		if a.Impacts[crit] == nil {
			a.Impacts[crit] = map[Horizon]int{}
		}
		a.Impacts[crit][Horizon(h)] = level
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT d.activity_id, d.resource_id, r.name, r.kind, d.critical FROM activity_dependencies d
		JOIN resources r ON r.id = d.resource_id WHERE d.activity_id IN `+in+` ORDER BY r.name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d Dependency
		if err := rows.Scan(&id, &d.ResourceID, &d.Name, &d.Kind, &d.Critical); err != nil {
			return err
		}
		list[index[id]].Dependencies = append(list[index[id]].Dependencies, d)
	}
	horizons := s.horizons()
	for i := range list {
		if h, ok := DMIA(list[i].Impacts, horizons); ok {
			list[i].computedDMIA = &h
		}
	}
	return rows.Err()
}

// Activities lists the activities in the subtree of org.
func (s *Service) Activities(ctx context.Context, org int64) ([]Activity, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return nil, err
	}
	return s.activitiesUnder(ctx, n.Path)
}

func (s *Service) activitiesUnder(ctx context.Context, path string) ([]Activity, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+activityColumns+` FROM activities a JOIN orgs o ON o.id = a.org_id
		WHERE a.archived_at IS NULL AND o.archived_at IS NULL AND o.path >= $1 AND o.path < $2 ORDER BY o.path, a.type, a.name`, path, authz.SubtreeEnd(path))
	if err != nil {
		return nil, err
	}
	var list []Activity
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, s.fill(ctx, list)
}

// BIA is the input of an activity's impact analysis.
type BIA struct {
	Impacts           Impacts
	PDMA              *int
	DMIAOverride      *int
	DMIAJustification string
	MinimumStaff      *string
	PeakPeriods       *string
	ReviewDue         *time.Time
	Dependencies      []DependencyInput
}

// DependencyInput names a resource an activity depends on.
type DependencyInput struct {
	ResourceID int64
	Critical   bool
}

// SaveBIA replaces an activity's impacts, PDMA, DMIA override and dependencies, all
// checked first: levels and horizons in order, an override only with a
// justification, dependencies only on resources of the same establishment (or shared
// above it) that the caller may see.
func (s *Service) SaveBIA(ctx context.Context, id int64, b BIA) (Activity, error) {
	var c problem.Checks
	if err := CheckImpacts(b.Impacts, s.horizons()); err != nil {
		e, _ := problem.As(err)
		for _, f := range e.Fields {
			c.Add(f.Field, f.Key, f.Args...)
		}
	}
	if b.PDMA != nil && (*b.PDMA < 0 || *b.PDMA > 24*365) {
		c.Add("pdma_hours", "continuity.error.hours")
	}
	if b.DMIAOverride != nil {
		if *b.DMIAOverride < 0 || *b.DMIAOverride > 24*365 {
			c.Add("dmia_override_hours", "continuity.error.hours")
		}
		if strings.TrimSpace(b.DMIAJustification) == "" {
			c.Add("dmia_justification", "continuity.error.justification")
		}
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := scanActivity(tx.QueryRowContext(ctx, "SELECT "+activityColumns+" FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1 AND a.archived_at IS NULL", id))
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		sub := subject(ctx)
		if !sub.Can(authz.OrgRead, a.OrgPath) {
			return problem.ErrNotFound
		}
		if !sub.Can(authz.ProgrammeWrite, a.OrgPath) {
			return problem.New(problem.Forbidden, "error.forbidden")
		}
		seen := map[int64]bool{}
		for _, d := range b.Dependencies {
			var rpath string
			err := tx.QueryRowContext(ctx, "SELECT o.path FROM resources r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1", d.ResourceID).Scan(&rpath)
			if err != nil || !sub.Can(authz.OrgRead, rpath) || !servesActivity(a, rpath) {
				c.Add("dependencies", "continuity.error.dependency", d.ResourceID)
			}
			if seen[d.ResourceID] {
				c.Add("dependencies", "continuity.error.dependency_twice", d.ResourceID)
			}
			seen[d.ResourceID] = true
		}
		if err := c.Err(); err != nil {
			return err
		}
		now := db.Now()
		for _, q := range []string{"DELETE FROM activity_impacts WHERE activity_id = $1", "DELETE FROM activity_dependencies WHERE activity_id = $1"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		for crit, byHorizon := range b.Impacts {
			for h, level := range byHorizon {
				if _, err := tx.ExecContext(ctx, "INSERT INTO activity_impacts (activity_id, criterion, horizon, level) VALUES ($1, $2, $3, $4)", id, crit, string(h), level); err != nil {
					return err
				}
			}
		}
		for _, d := range b.Dependencies {
			if _, err := tx.ExecContext(ctx, "INSERT INTO activity_dependencies (activity_id, resource_id, critical) VALUES ($1, $2, $3)", id, d.ResourceID, d.Critical); err != nil {
				return err
			}
		}
		staff, peaks := a.MinimumStaff, a.PeakPeriods
		if b.MinimumStaff != nil {
			staff = *b.MinimumStaff
		}
		if b.PeakPeriods != nil {
			peaks = *b.PeakPeriods
		}
		justification := strings.TrimSpace(b.DMIAJustification)
		if b.DMIAOverride == nil {
			justification = ""
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET pdma_hours = $1, dmia_override_hours = $2, dmia_justification = $3, minimum_staff = $4,
			peak_periods = $5, bia_updated_at = $6, updated_at = $6, review_due = $7 WHERE id = $8`, nullInt(b.PDMA), nullInt(b.DMIAOverride), justification, staff, peaks, now, b.ReviewDue, id); err != nil {
			return err
		}
		before := map[string]any{"pdma_hours": a.PDMA, "dmia_override_hours": a.DMIAOverride}
		after := map[string]any{"pdma_hours": b.PDMA, "dmia_override_hours": b.DMIAOverride}
		changes := audit.Diff(deref(before), deref(after))
		if dmia, ok := DMIA(b.Impacts, s.horizons()); ok {
			changes["dmia_hours"] = audit.Change{After: dmia}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.bia_save", ObjectType: "activity", ObjectID: audit.ID(id), OrgPath: a.OrgPath, Changes: changes})
	})
	if err != nil {
		return Activity{}, err
	}
	return s.GetActivity(ctx, id)
}

// deref turns *int values into ints or nils, so that audit diffs compare values.
func deref(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if p, ok := v.(*int); ok && p != nil {
			out[k] = *p
		} else {
			out[k] = nil
		}
	}
	return out
}

// servesActivity reports whether a resource held at rpath may serve activity a:
// held at the activity's node or above it (a GHT's shared DPI), or anywhere in the
// activity's legal entity (an application run by a sister site).
func servesActivity(a Activity, rpath string) bool {
	entity := a.OrgPath
	if a.OrgLevel == authz.LevelSite {
		entity = a.OrgPath[:strings.LastIndex(strings.TrimSuffix(a.OrgPath, "/"), "/")+1]
	}
	return authz.Within(a.OrgPath, rpath) || authz.Within(rpath, entity)
}

// ---- resources ----

// ResourceRow is a register entry: an application, infrastructure, supplier, service,
// staff or premises, with its actual recovery capability.
type ResourceRow struct {
	ID              int64
	OrgID           int64
	OrgName         string
	OrgPath         string
	CatalogueID     string
	Name            string
	Kind            string
	RTO             *int
	RPO             *int
	BackupScheme    string
	OfflineCopy     bool
	ImmutableCopy   bool
	LastRestoreTest *time.Time
	Owner           string
}

// RestoreTestRecent reports whether a restore was tested in the last year.
func (r ResourceRow) RestoreTestRecent(now time.Time) bool {
	return r.LastRestoreTest != nil && now.Sub(*r.LastRestoreTest) < 366*24*time.Hour
}

// CheckResource validates a register entry.
func CheckResource(r ResourceRow) error {
	var c problem.Checks
	if strings.TrimSpace(r.Name) == "" || utf8.RuneCountInString(r.Name) > 200 {
		c.Add("name", "continuity.error.name")
	}
	if !slices.Contains(ResourceKinds, r.Kind) {
		c.Add("kind", "continuity.error.kind", r.Kind)
	}
	for field, v := range map[string]*int{"rto_hours": r.RTO, "rpo_hours": r.RPO} {
		if v != nil && (*v < 0 || *v > 24*365) {
			c.Add(field, "continuity.error.hours")
		}
	}
	return c.Err()
}

// CreateResource adds a register entry to node org.
func (s *Service) CreateResource(ctx context.Context, r ResourceRow) (ResourceRow, error) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Kind == "" {
		r.Kind = "application"
	}
	if err := CheckResource(r); err != nil {
		return ResourceRow{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		r.ID, err = insertResource(ctx, tx, r)
		return err
	})
	if err != nil {
		return ResourceRow{}, err
	}
	return s.GetResource(ctx, r.ID)
}

func insertResource(ctx context.Context, tx *sql.Tx, r ResourceRow) (int64, error) {
	n, err := writable(ctx, tx, r.OrgID)
	if problem.Is(err, problem.NotFound) {
		var c problem.Checks
		c.Add("org", "continuity.error.org")
		return 0, c.Err()
	}
	if err != nil {
		return 0, err
	}
	var id int64
	now := db.Now()
	if err := tx.QueryRowContext(ctx, `INSERT INTO resources (org_id, catalogue_id, name, kind, rto_hours, rpo_hours, backup_scheme, offline_copy, immutable_copy, last_restore_test, owner, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`, r.OrgID, r.CatalogueID, r.Name, r.Kind, nullInt(r.RTO), nullInt(r.RPO),
		r.BackupScheme, r.OfflineCopy, r.ImmutableCopy, r.LastRestoreTest, r.Owner, now).Scan(&id); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, audit.Entry{Action: "continuity.resource_create", ObjectType: "resource", ObjectID: audit.ID(id), OrgPath: n.Path,
		Changes: audit.Diff(nil, map[string]any{"name": r.Name, "kind": r.Kind, "rto_hours": deref(map[string]any{"v": r.RTO})["v"], "rpo_hours": deref(map[string]any{"v": r.RPO})["v"]})})
}

const resourceColumns = `r.id, r.org_id, o.name, o.path, r.catalogue_id, r.name, r.kind, r.rto_hours, r.rpo_hours, r.backup_scheme, r.offline_copy, r.immutable_copy, r.last_restore_test, r.owner`

func scanResource(row interface{ Scan(...any) error }) (ResourceRow, error) {
	var r ResourceRow
	var rto, rpo sql.NullInt64
	var test sql.NullTime
	err := row.Scan(&r.ID, &r.OrgID, &r.OrgName, &r.OrgPath, &r.CatalogueID, &r.Name, &r.Kind, &rto, &rpo, &r.BackupScheme, &r.OfflineCopy, &r.ImmutableCopy, &test, &r.Owner)
	r.RTO, r.RPO, r.LastRestoreTest = intPtr(rto), intPtr(rpo), timePtr(test)
	return r, err
}

// GetResource returns a register entry the caller may read.
func (s *Service) GetResource(ctx context.Context, id int64) (ResourceRow, error) {
	r, err := scanResource(s.DB.Read.QueryRowContext(ctx, "SELECT "+resourceColumns+" FROM resources r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return ResourceRow{}, problem.ErrNotFound
	}
	if err != nil {
		return ResourceRow{}, err
	}
	if !subject(ctx).Can(authz.OrgRead, r.OrgPath) {
		return ResourceRow{}, problem.ErrNotFound
	}
	return r, nil
}

// Resources lists the register entries usable under node org: those held in its
// subtree and those held by its ancestors (shared), that the caller may read.
func (s *Service) Resources(ctx context.Context, org int64) ([]ResourceRow, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return nil, err
	}
	return s.resourcesFor(ctx, n.Path)
}

func (s *Service) resourcesFor(ctx context.Context, path string) ([]ResourceRow, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+resourceColumns+` FROM resources r JOIN orgs o ON o.id = r.org_id
		WHERE o.archived_at IS NULL AND ((o.path >= $1 AND o.path < $2) OR $1 LIKE o.path || '%') ORDER BY r.name`, path, authz.SubtreeEnd(path))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sub := subject(ctx)
	var out []ResourceRow
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		if sub.Can(authz.OrgRead, r.OrgPath) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// ---- gaps, coverage ----

// GapsFor computes the needed-versus-actual table for node org.
func (s *Service) GapsFor(ctx context.Context, org int64) ([]Gap, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return nil, err
	}
	acts, err := s.activitiesUnder(ctx, n.Path)
	if err != nil {
		return nil, err
	}
	res, err := s.resourcesFor(ctx, n.Path)
	if err != nil {
		return nil, err
	}
	return gapsOf(acts, res), nil
}

func gapsOf(acts []Activity, res []ResourceRow) []Gap {
	needs := make([]Need, 0, len(acts))
	for _, a := range acts {
		need := Need{ActivityID: a.ID, Name: a.Name, DMIA: a.EffectiveDMIA(), PDMA: a.PDMA}
		for _, d := range a.Dependencies {
			if d.Critical {
				need.Critical = append(need.Critical, d.ResourceID)
			}
		}
		needs = append(needs, need)
	}
	resources := make([]Resource, len(res))
	for i, r := range res {
		resources[i] = Resource{ID: r.ID, Name: r.Name, RTO: r.RTO, RPO: r.RPO}
	}
	return Gaps(needs, resources)
}

// CoverageFor computes the Domaine 2 indicators of node org: the 66 % coverage over
// its legal entities (for a GHT or a region) or its sites (for a multi-site legal
// entity), and the O1.C minimum perimeter over its activities.
func (s *Service) CoverageFor(ctx context.Context, org int64) (Coverage, Perimeter, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return Coverage{}, Perimeter{}, err
	}
	level := authz.LevelLegalEntity
	if n.Level == authz.LevelLegalEntity || n.Level == authz.LevelSite {
		level = authz.LevelSite
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, name, path, activity_weight FROM orgs WHERE level = $1 AND archived_at IS NULL AND path >= $2 AND path < $3 ORDER BY path`,
		level, n.Path, authz.SubtreeEnd(n.Path))
	if err != nil {
		return Coverage{}, Perimeter{}, err
	}
	var entities []Entity
	var paths []string
	for rows.Next() {
		var e Entity
		var path string
		if err := rows.Scan(&e.ID, &e.Name, &path, &e.Weight); err != nil {
			rows.Close()
			return Coverage{}, Perimeter{}, err
		}
		entities = append(entities, e)
		paths = append(paths, path)
	}
	rows.Close()
	if len(entities) == 0 { // a single establishment: it is its own entity
		entities, paths = []Entity{{ID: n.ID, Name: n.Name, Weight: max(n.Weight, 1)}}, []string{n.Path}
	}
	acts, err := s.activitiesUnder(ctx, n.Path)
	if err != nil {
		return Coverage{}, Perimeter{}, err
	}
	now := db.Now()
	for i, p := range paths {
		e := &entities[i]
		for _, a := range acts {
			if authz.Within(a.OrgPath, p) && a.HasBIA() {
				e.BIA = true
			}
		}
		// A plan or a test made for the entity, or for a node above it inside the
		// perimeter (a GHT-wide plan), covers it.
		var plans, tests int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM plan_versions v JOIN orgs o ON o.id = v.org_id WHERE $1 LIKE o.path || '%' AND o.path >= $2),
			(SELECT COUNT(*) FROM plan_tests t JOIN orgs o ON o.id = t.org_id WHERE $1 LIKE o.path || '%' AND o.path >= $2 AND t.done_on > $3)`,
			p, n.Path, now.AddDate(-1, 0, 0)).Scan(&plans, &tests); err != nil {
			return Coverage{}, Perimeter{}, err
		}
		e.Plan, e.Tested = plans > 0, tests > 0
	}
	assessed := make([]Assessed, len(acts))
	for i, a := range acts {
		assessed[i] = Assessed{Type: a.Type, HasBIA: a.HasBIA(), MajorOnPatient: MajorOnPatient(a.Impacts)}
	}
	return ComputeCoverage(entities), MinimumPerimeter(assessed), nil
}
