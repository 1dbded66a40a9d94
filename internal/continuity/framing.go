package continuity

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

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
	// Absent are the O1.C perimeter items (activity types) the establishment does
	// not have ("s'ils existent"): they apply to it and to the nodes below it.
	Absent []string
	// MarginHours is the detection and decision margin of the establishment: the
	// hours between the outage and the decision to switch or restore, taken off
	// the required RTO of its applications (and of its sites'); nil for none.
	MarginHours *int
}

// maxHours bounds a duration typed in hours: a year.
const maxHours = 24 * 365

// maxText bounds the free-text fields of the framing and of a sheet, in characters.
const maxText = 20000

// checkLengths records in c each of fields (name → text) over maxText.
func checkLengths(c *problem.Checks, fields map[string]string) {
	for field, v := range fields {
		if utf8.RuneCountInString(v) > maxText {
			c.Add(field, "continuity.error.too_long", maxText)
		}
	}
}

// SavePlan writes the framing of node p.OrgID.
func (s *Service) SavePlan(ctx context.Context, p Plan) error {
	var c problem.Checks
	if p.RPCRAEmail != "" && !strings.Contains(p.RPCRAEmail, "@") {
		c.Add("rpcra_email", "account.error.email")
	}
	if p.MarginHours != nil && (*p.MarginHours < 0 || *p.MarginHours > maxHours) {
		c.Add("margin_hours", "continuity.error.hours")
	}
	for _, item := range p.Absent {
		if !slices.Contains(PerimeterItems, item) {
			c.Add("absent", "continuity.error.perimeter_item", item)
		}
	}
	checkLengths(&c, map[string]string{"mission": p.Mission, "perimeter": p.Perimeter, "calendar": p.Calendar, "governance": p.Governance})
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, p.OrgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if err := replacePlan(ctx, tx, p, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.plan_save", ObjectType: "org", ObjectID: audit.ID(p.OrgID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"rpcra": {After: p.RPCRAName}, "absent_perimeter": {After: strings.Join(p.Absent, ",")}, "margin_hours": {After: nullInt(p.MarginHours)}}})
	})
}

// ---- tests of the plan ----

// PlanTest is a planned or done test of the plan (a crisis exercise may be one).
type PlanTest struct {
	ID        int64
	OrgID     int64
	Title     string
	Kind      string // TestExercise, TestTechnical, TestTabletop
	PlannedOn *time.Time
	DoneOn    *time.Time
	Result    string
	Actions   string
}

// TestKinds are the kinds of plan test.
var TestKinds = []string{TestExercise, TestTechnical, TestTabletop}

// AddTest records a plan test for node t.OrgID.
func (s *Service) AddTest(ctx context.Context, t PlanTest) (int64, error) {
	var c problem.Checks
	if strings.TrimSpace(t.Title) == "" {
		c.Add("title", "continuity.error.name")
	}
	if !slices.Contains(TestKinds, t.Kind) {
		c.Add("kind", "continuity.error.test_kind", t.Kind)
	}
	if t.PlannedOn == nil && t.DoneOn == nil {
		c.Add("planned_on", "continuity.error.test_date")
	}
	if err := c.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, t.OrgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if id, err = insertTest(ctx, tx, t, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.test_add", ObjectType: "plan_test", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"title": {After: t.Title}, "kind": {After: t.Kind}}})
	})
	return id, err
}
