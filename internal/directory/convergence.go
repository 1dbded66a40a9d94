package directory

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// GHT directory convergence. Domaine 1 of CaRE ("Annuaires techniques et
// exposition sur Internet") asks public establishments to plan a convergence
// path of their technical directories at the level of their GHT
// (https://esante.gouv.fr/securite/cybersecurite, the programme content's aim
// "Prévoir une trajectoire de convergence des annuaires techniques à l'échelle du
// GHT"); the GHT groups public establishments around a shared information system
// (CSP L.6132-1 ff.). Per GHT the platform keeps the target — one shared
// directory, or an architecture of trusts between the members' directories — and
// the milestones that lead there (date, owner, done), beside the members'
// directories as the platform audited them and their level over time (ANSSI
// levels 1–5, see checks.go).
//
// Who edits: whoever may run the programme on the GHT node (authz.ProgrammeWrite:
// its RSSI, its direction); who reads: whoever reads the GHT.

// Convergence targets.
const (
	TargetSingle = "single" // one directory shared by the members
	TargetTrust  = "trust"  // the members' directories joined by trusts
)

// Targets lists the targets in display order.
var Targets = []string{TargetSingle, TargetTrust}

// Limits of a convergence plan.
const (
	maxMilestones     = 100
	maxMilestoneTitle = 300
	maxOwner          = 200
	maxConvergeNote   = 4000
)

// Milestone is one step of a GHT's convergence.
type Milestone struct {
	Title string
	DueOn string // YYYY-MM-DD
	Owner string // a person's name or role, as text
	Done  bool
}

// Plan is the target and milestones of a GHT, as its RSSI or direction writes
// them.
type Plan struct {
	Target     string
	Note       string
	Milestones []Milestone
}

// Done is the number of milestones done.
func (p Plan) Done() int {
	n := 0
	for _, m := range p.Milestones {
		if m.Done {
			n++
		}
	}
	return n
}

// MemberDirectory is the latest audit of one domain of a member.
type MemberDirectory struct {
	Domain      string
	Level       int
	CollectedAt time.Time
	AuditID     int64
}

// Member is an establishment of the GHT (or the GHT itself, for a directory
// audited at its level) with its audited directories and their levels over time.
type Member struct {
	OrgID       int64
	Name        string
	GHT         bool // the GHT's own directory (a shared one)
	Directories []MemberDirectory
	Trajectory  []web.LevelPoint // every audit, oldest first
}

// Latest is the member's lowest level among its directories' latest audits, 0
// when none was audited.
func (m Member) Latest() int {
	low := 0
	for _, d := range m.Directories {
		if low == 0 || d.Level < low {
			low = d.Level
		}
	}
	return low
}

// Chart draws the member's trajectory (web.LevelChart), nothing without audit.
func (m Member) Chart() template.HTML { return web.LevelChart(m.Name, m.Trajectory) }

// ConvergenceView is a GHT's convergence as its page and API show it.
type ConvergenceView struct {
	GHT       orgs.Org
	Plan      Plan
	Set       bool // a target was recorded
	UpdatedAt *time.Time
	Members   []Member
	CanWrite  bool
}

// ConvergenceSummary is what the funding indicator shows of a GHT's convergence.
type ConvergenceSummary struct {
	GHT            int64
	Target         string
	Milestones     int
	MilestonesDone int
	Members        int // establishments of the GHT
	Audited        int // of which with an audited directory
	Lowest         int // lowest latest level among them, 0 when none audited
}

// Validate checks a plan whole, each fault beside its field (milestones[i].field).
func (p *Plan) Validate() error {
	var c problem.Checks
	p.Target, p.Note = strings.TrimSpace(p.Target), strings.TrimSpace(p.Note)
	if p.Target != TargetSingle && p.Target != TargetTrust {
		c.Add("target", "directory.error.target")
	}
	if utf8.RuneCountInString(p.Note) > maxConvergeNote {
		c.Add("note", "directory.error.convergence_note", maxConvergeNote)
	}
	if len(p.Milestones) > maxMilestones {
		c.Add("milestones", "directory.error.milestones", maxMilestones)
	}
	for i := range p.Milestones {
		m := &p.Milestones[i]
		m.Title, m.DueOn, m.Owner = strings.TrimSpace(m.Title), strings.TrimSpace(m.DueOn), strings.TrimSpace(m.Owner)
		field := fmt.Sprintf("milestones[%d].", i)
		switch n := utf8.RuneCountInString(m.Title); {
		case n == 0:
			c.Add(field+"title", "directory.error.milestone_title", i+1)
		case n > maxMilestoneTitle:
			c.Add(field+"title", "directory.error.milestone_title_long", i+1, maxMilestoneTitle)
		}
		if m.DueOn == "" {
			c.Add(field+"due_on", "directory.error.milestone_date", i+1)
		} else if _, err := time.Parse(time.DateOnly, m.DueOn); err != nil {
			c.Add(field+"due_on", "directory.error.milestone_date_bad", i+1, m.DueOn)
		}
		if utf8.RuneCountInString(m.Owner) > maxOwner {
			c.Add(field+"owner", "directory.error.milestone_owner", i+1, maxOwner)
		}
	}
	return c.Err()
}

// convergenceNode checks that o is a GHT: a convergence belongs to one.
func convergenceNode(o orgs.Org) error {
	if o.Level != orgs.GHT {
		return problem.New(problem.Invalid, "directory.error.not_ght")
	}
	return nil
}

// ConvergenceView reads the convergence of GHT org: its plan, its members'
// directories with their latest level and their trajectory.
func (s *Service) ConvergenceView(ctx context.Context, org int64) (ConvergenceView, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return ConvergenceView{}, err
	}
	if err := convergenceNode(o); err != nil {
		return ConvergenceView{}, err
	}
	c := ConvergenceView{GHT: o, CanWrite: authz.Current(ctx).Check(authz.ProgrammeWrite, o.Path) == nil}
	if c.Plan, c.UpdatedAt, c.Set, err = getPlan(ctx, s.DB.Read, o.ID); err != nil {
		return c, err
	}
	c.Members, err = s.members(ctx, o, authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), o.Path))
	return c, err
}

// members gathers the members of GHT o within roots and their audits: two
// queries whatever the size of the GHT.
func (s *Service) members(ctx context.Context, o orgs.Org, roots []string) ([]Member, error) {
	list, err := convergenceMembers(ctx, s.DB.Read, o.ID, roots)
	if err != nil {
		return nil, err
	}
	members := append([]Member{{OrgID: o.ID, Name: o.Name, GHT: true}}, list...)
	index := map[int64]int{}
	for i, m := range members {
		index[m.OrgID] = i
	}
	audits, err := convergenceAudits(ctx, s.DB.Read, roots)
	if err != nil {
		return nil, err
	}
	for _, a := range audits { // oldest first
		// An audit belongs to the member it was taken on, or whose site it was.
		i, ok := index[a.OrgID]
		if !ok {
			i, ok = index[a.ParentID]
		}
		if !ok {
			continue
		}
		m := &members[i]
		m.Trajectory = append(m.Trajectory, web.LevelPoint{At: a.CollectedAt, Level: a.Level})
		latest := MemberDirectory{Domain: a.Domain, Level: a.Level, CollectedAt: a.CollectedAt, AuditID: a.ID}
		replaced := false
		for j := range m.Directories {
			if strings.EqualFold(m.Directories[j].Domain, a.Domain) {
				m.Directories[j], replaced = latest, true
			}
		}
		if !replaced {
			m.Directories = append(m.Directories, latest)
		}
	}
	if len(members[0].Directories) == 0 {
		members = members[1:] // the GHT has no directory of its own
	}
	return members, nil
}

// SaveConvergence replaces the target and milestones of GHT org, checked whole
// first: a refused plan changes nothing.
func (s *Service) SaveConvergence(ctx context.Context, org int64, p Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := orgs.Load(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if err := convergenceNode(o); err != nil {
			return err
		}
		before, _, _, err := getPlan(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if err := putPlan(ctx, tx, o.ID, authz.Current(ctx).UserID, p, time.Now().UTC()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.convergence", ObjectType: "directory_convergence", ObjectID: fmt.Sprint(o.ID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"target": {Before: before.Target, After: p.Target}, "note": {Before: before.Note, After: p.Note},
				"milestones": {Before: milestonesText(before.Milestones), After: milestonesText(p.Milestones)}}})
	})
}

// milestonesText is a plan's milestones in one line each, for the audit trail.
func milestonesText(list []Milestone) string {
	lines := make([]string, len(list))
	for i, m := range list {
		done := ""
		if m.Done {
			done = " ✔"
		}
		lines[i] = fmt.Sprintf("%s %s (%s)%s", m.DueOn, m.Title, m.Owner, done)
	}
	return strings.Join(lines, "\n")
}

// Convergence is the summary of the convergence of the GHT of node org —
// the GHT itself, or a legal entity that belongs to one — for the Domaine 1
// indicator of its candidature; ok is false when the node is in no GHT or its GHT
// recorded no target. The caller reads org; a member's candidature shows its
// GHT's summary (counts, never another member's name or level).
func (s *Service) Convergence(ctx context.Context, org int64) (sum ConvergenceSummary, ok bool, err error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return sum, false, err
	}
	ght := o
	if o.Level == orgs.LegalEntity {
		if ght, ok, err = parentGHT(ctx, s.DB.Read, o); err != nil || !ok {
			return sum, false, err
		}
	}
	if ght.Level != orgs.GHT {
		return sum, false, nil
	}
	plan, _, set, err := getPlan(ctx, s.DB.Read, ght.ID)
	if err != nil || !set {
		return sum, false, err
	}
	members, err := s.members(ctx, ght, []string{ght.Path})
	if err != nil {
		return sum, false, err
	}
	sum = ConvergenceSummary{GHT: ght.ID, Target: plan.Target, Milestones: len(plan.Milestones), MilestonesDone: plan.Done()}
	for _, m := range members {
		if m.GHT {
			continue
		}
		sum.Members++
		if l := m.Latest(); l > 0 {
			sum.Audited++
			if sum.Lowest == 0 || l < sum.Lowest {
				sum.Lowest = l
			}
		}
	}
	return sum, true, nil
}
