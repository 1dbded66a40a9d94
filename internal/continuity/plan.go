package continuity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// ---- degraded-mode sheets ----

// Sheet is an activity's degraded-mode sheet. List fields hold one item per line.
type Sheet struct {
	ActivityID     int64
	Trigger        string
	FirstActions   string
	PaperForms     string
	Roles          string
	Communication  string
	ReturnToNormal string
	Rekeying       string
	UpdatedAt      *time.Time
}

// Lines splits a list field into its items.
func Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// GetSheet returns an activity's sheet, or the shipped template for it when none
// was written yet (UpdatedAt is then nil).
func (s *Service) GetSheet(ctx context.Context, activity int64) (Sheet, error) {
	a, err := s.GetActivity(ctx, activity)
	if err != nil {
		return Sheet{}, err
	}
	sh := Sheet{ActivityID: activity}
	var upd sql.NullTime
	err = s.DB.Read.QueryRowContext(ctx, `SELECT trigger_text, first_actions, paper_forms, roles, communication, return_to_normal, rekeying, updated_at
		FROM degraded_sheets WHERE activity_id = $1`, activity).Scan(&sh.Trigger, &sh.FirstActions, &sh.PaperForms, &sh.Roles, &sh.Communication, &sh.ReturnToNormal, &sh.Rekeying, &upd)
	if err == nil {
		sh.UpdatedAt = timePtr(upd)
		return sh, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Sheet{}, err
	}
	cat, err := LoadCatalogue()
	if err != nil {
		return Sheet{}, err
	}
	t := cat.Sheet(a.CatalogueID)
	roles := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		roles[i] = r.Who + " : " + r.Does
	}
	return Sheet{ActivityID: activity, Trigger: t.Trigger, FirstActions: strings.Join(t.FirstActions, "\n"), PaperForms: strings.Join(t.PaperForms, "\n"),
		Roles: strings.Join(roles, "\n"), Communication: t.Communication, ReturnToNormal: t.ReturnToNormal, Rekeying: t.Rekeying}, nil
}

// writtenSheets reads, in one query, the sheets written for activities.
func (s *Service) writtenSheets(ctx context.Context, acts []Activity) (map[int64]Sheet, error) {
	out := map[int64]Sheet{}
	if len(acts) == 0 {
		return out, nil
	}
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = strconv.FormatInt(a.ID, 10)
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT activity_id, trigger_text, first_actions, paper_forms, roles, communication, return_to_normal, rekeying, updated_at
		FROM degraded_sheets WHERE activity_id IN (`+strings.Join(ids, ",")+`)`) // ids are integers read from the database
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sh Sheet
		var upd sql.NullTime
		if err := rows.Scan(&sh.ActivityID, &sh.Trigger, &sh.FirstActions, &sh.PaperForms, &sh.Roles, &sh.Communication, &sh.ReturnToNormal, &sh.Rekeying, &upd); err != nil {
			return nil, err
		}
		sh.UpdatedAt = timePtr(upd)
		out[sh.ActivityID] = sh
	}
	return out, rows.Err()
}

// SaveSheet writes an activity's sheet.
func (s *Service) SaveSheet(ctx context.Context, sh Sheet) error {
	var c problem.Checks
	if strings.TrimSpace(sh.Trigger) == "" {
		c.Add("trigger", "continuity.error.trigger")
	}
	if len(Lines(sh.FirstActions)) == 0 {
		c.Add("first_actions", "continuity.error.first_actions")
	}
	for field, v := range map[string]string{"trigger": sh.Trigger, "first_actions": sh.FirstActions, "paper_forms": sh.PaperForms, "roles": sh.Roles,
		"communication": sh.Communication, "return_to_normal": sh.ReturnToNormal, "rekeying": sh.Rekeying} {
		if utf8len(v) > 20000 {
			c.Add(field, "continuity.error.too_long", 20000)
		}
	}
	if err := c.Err(); err != nil {
		return err
	}
	a, err := s.GetActivity(ctx, sh.ActivityID)
	if err != nil {
		return err
	}
	if !subject(ctx).Can(authz.ProgrammeWrite, a.OrgPath) {
		return problem.New(problem.Forbidden, "error.forbidden")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM degraded_sheets WHERE activity_id = $1", sh.ActivityID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO degraded_sheets (activity_id, trigger_text, first_actions, paper_forms, roles, communication, return_to_normal, rekeying, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, sh.ActivityID, sh.Trigger, sh.FirstActions, sh.PaperForms, sh.Roles, sh.Communication, sh.ReturnToNormal, sh.Rekeying, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.sheet_save", ObjectType: "activity", ObjectID: audit.ID(sh.ActivityID), OrgPath: a.OrgPath})
	})
}

func utf8len(s string) int { return len([]rune(s)) }

// ---- tests of the plan ----

// PlanTest is a planned or done test of the plan (a crisis exercise may be one).
type PlanTest struct {
	ID        int64
	OrgID     int64
	Title     string
	Kind      string // exercise, technical, tabletop
	PlannedOn *time.Time
	DoneOn    *time.Time
	Result    string
	Actions   string
}

// TestKinds are the kinds of plan test.
var TestKinds = []string{"exercise", "technical", "tabletop"}

// AddTest records a plan test for node org.
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
		n, err := writable(ctx, tx, t.OrgID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO plan_tests (org_id, title, kind, planned_on, done_on, result, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.OrgID, strings.TrimSpace(t.Title), t.Kind, t.PlannedOn, t.DoneOn, t.Result, t.Actions, db.Now()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.test_add", ObjectType: "plan_test", ObjectID: audit.ID(id), OrgPath: n.Path,
			Changes: map[string]audit.Change{"title": {After: t.Title}, "kind": {After: t.Kind}}})
	})
	return id, err
}

// Tests lists the plan tests in the subtree of org and above it.
func (s *Service) Tests(ctx context.Context, org int64) ([]PlanTest, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT t.id, t.org_id, t.title, t.kind, t.planned_on, t.done_on, t.result, t.actions FROM plan_tests t JOIN orgs o ON o.id = t.org_id
		WHERE (o.path >= $1 AND o.path < $2) OR $1 LIKE o.path || '%' ORDER BY COALESCE(t.done_on, t.planned_on) DESC`, n.Path, authz.SubtreeEnd(n.Path))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PlanTest
	for rows.Next() {
		var t PlanTest
		var planned, done sql.NullTime
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Title, &t.Kind, &planned, &done, &t.Result, &t.Actions); err != nil {
			return nil, err
		}
		t.PlannedOn, t.DoneOn = timePtr(planned), timePtr(done)
		out = append(out, t)
	}
	return out, rows.Err()
}

// ---- the plan document ----

// Version is a generated version of the plan.
type Version struct {
	ID        int64
	Version   int
	ChangeLog string
	CreatedAt time.Time
}

// snapshot is what a version remembers, to tell the next one what changed.
type snapshot struct {
	Activities map[string]*int `json:"activities"` // name → effective DMIA
	Resources  map[string]*int `json:"resources"`  // name → RTO
	Gaps       []string        `json:"gaps"`
}

// Versions lists the generated versions of node org's plan, newest first.
func (s *Service) Versions(ctx context.Context, org int64) ([]Version, error) {
	if _, err := readable(ctx, s.DB.Read, org); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT id, version, change_log, created_at FROM plan_versions WHERE org_id = $1 ORDER BY version DESC", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.ID, &v.Version, &v.ChangeLog, &v.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Formats of the plan document.
const (
	FormatDOCX = "docx"
	FormatODT  = "odt"
	FormatPDF  = "pdf"
)

// Generate builds the PCRA of node org from the data, records it as a new version
// with what changed since the previous one, and returns it in the format asked.
func (s *Service) Generate(ctx context.Context, org int64, format string, lang i18n.Lang, pdf *docs.PDF) ([]byte, Version, error) {
	if format != FormatDOCX && format != FormatODT && format != FormatPDF {
		return nil, Version{}, problem.New(problem.Invalid, "continuity.error.format", format)
	}
	n, err := writable(ctx, s.DB.Read, org)
	if err != nil {
		return nil, Version{}, err
	}
	plan, err := s.GetPlan(ctx, org)
	if err != nil {
		return nil, Version{}, err
	}
	acts, err := s.activitiesUnder(ctx, n.Path)
	if err != nil {
		return nil, Version{}, err
	}
	res, err := s.resourcesFor(ctx, n.Path)
	if err != nil {
		return nil, Version{}, err
	}
	tests, err := s.Tests(ctx, org)
	if err != nil {
		return nil, Version{}, err
	}
	sheets, err := s.writtenSheets(ctx, acts)
	if err != nil {
		return nil, Version{}, err
	}
	gaps := gapsOf(acts, res)
	snap := snapshot{Activities: map[string]*int{}, Resources: map[string]*int{}}
	for _, a := range acts {
		snap.Activities[a.Name] = a.EffectiveDMIA()
	}
	for _, r := range res {
		snap.Resources[r.Name] = r.RTO
	}
	for _, g := range gaps {
		if g.HasGap() {
			snap.Gaps = append(snap.Gaps, g.Resource.Name)
		}
	}
	var v Version
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var prev sql.NullString
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM plan_versions WHERE org_id = $1", org).Scan(&last); err != nil {
			return err
		}
		if last.Valid {
			if err := tx.QueryRowContext(ctx, "SELECT snapshot FROM plan_versions WHERE org_id = $1 AND version = $2", org, last.Int64).Scan(&prev); err != nil {
				return err
			}
		}
		var before *snapshot
		if prev.Valid && prev.String != "" {
			before = &snapshot{}
			_ = json.Unmarshal([]byte(prev.String), before)
		}
		v = Version{Version: int(last.Int64) + 1, ChangeLog: changeLog(lang, before, snap), CreatedAt: db.Now()}
		data, _ := json.Marshal(snap)
		if err := tx.QueryRowContext(ctx, `INSERT INTO plan_versions (org_id, version, change_log, snapshot, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			org, v.Version, v.ChangeLog, string(data), nullUser(ctx), v.CreatedAt).Scan(&v.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.plan_generate", ObjectType: "org", ObjectID: audit.ID(org), OrgPath: n.Path,
			Changes: map[string]audit.Change{"version": {After: v.Version}}})
	})
	if err != nil {
		return nil, Version{}, err
	}
	versions, err := s.Versions(ctx, org)
	if err != nil {
		return nil, Version{}, err
	}
	cat, _ := LoadCatalogue()
	doc := BuildPlan(lang, cat, n.Name, plan, acts, res, gaps, sheets, tests, versions)
	var out []byte
	switch format {
	case FormatDOCX:
		out, err = doc.DOCX()
	case FormatODT:
		out, err = doc.ODT()
	case FormatPDF:
		out, err = pdf.Render(ctx, doc.HTML())
	}
	return out, v, err
}

func nullUser(ctx context.Context) any {
	if id := subject(ctx).UserID; id != 0 {
		return id
	}
	return nil
}

// changeLog says what changed between two snapshots of the plan's data.
func changeLog(lang i18n.Lang, before *snapshot, after snapshot) string {
	if before == nil {
		return lang.T("continuity.log.first")
	}
	var lines []string
	names := func(m map[string]*int) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, name := range names(after.Activities) {
		old, had := before.Activities[name]
		switch {
		case !had:
			lines = append(lines, lang.T("continuity.log.activity_added", name))
		case hours(old) != hours(after.Activities[name]):
			lines = append(lines, lang.T("continuity.log.dmia_changed", name, hours(old), hours(after.Activities[name])))
		}
	}
	for _, name := range names(before.Activities) {
		if _, ok := after.Activities[name]; !ok {
			lines = append(lines, lang.T("continuity.log.activity_removed", name))
		}
	}
	for _, name := range names(after.Resources) {
		old, had := before.Resources[name]
		switch {
		case !had:
			lines = append(lines, lang.T("continuity.log.resource_added", name))
		case hours(old) != hours(after.Resources[name]):
			lines = append(lines, lang.T("continuity.log.rto_changed", name, hours(old), hours(after.Resources[name])))
		}
	}
	for _, g := range after.Gaps {
		if !slices.Contains(before.Gaps, g) {
			lines = append(lines, lang.T("continuity.log.gap_new", g))
		}
	}
	for _, g := range before.Gaps {
		if !slices.Contains(after.Gaps, g) {
			lines = append(lines, lang.T("continuity.log.gap_closed", g))
		}
	}
	if len(lines) == 0 {
		return lang.T("continuity.log.none")
	}
	return strings.Join(lines, "\n")
}

func hours(p *int) string {
	if p == nil {
		return "—"
	}
	return strconv.Itoa(*p) + " h"
}

// ---- import of the application register ----

// MaxImportRows bounds a register import, header aside.
const MaxImportRows = 2000

// ImportResources reads a register as CSV — name, kind, RTO hours, RPO hours, backup
// scheme, offline copy (oui/non), last restore test (AAAA-MM-JJ) — and creates the
// entries for node org. Every bad line is reported; nothing is written if one is bad.
// The file is read as a stream of rows held to the limits of docs.SheetOptions (64
// columns, a cell of 32,767 characters, MaxImportRows rows); blank lines are skipped.
func (s *Service) ImportResources(ctx context.Context, org int64, r io.Reader) (int, error) {
	data, err := io.ReadAll(io.LimitReader(r, 5<<20))
	if err != nil {
		return 0, err
	}
	header := func(cells []string) bool {
		return len(cells) > 0 && strings.EqualFold(strings.TrimSpace(cells[0]), "nom")
	}
	var c problem.Checks
	var rows []ResourceRow
	first := true
	for sr, err := range docs.ReadCSV(data, docs.SheetOptions{MaxRows: MaxImportRows, Header: header,
		Keys: docs.SheetKeys{CSV: "continuity.import.unreadable", TooMany: "continuity.import.too_many"}}) {
		if err != nil {
			if err := docs.MergeFault(&c, err); err != nil {
				return 0, err
			}
			break
		}
		if first && header(sr.Cells) {
			first = false
			continue
		}
		first = false
		line, rec := sr.N, sr.Cells
		if len(rec) != 7 {
			c.Add("line", "continuity.import.columns", line, len(rec))
			continue
		}
		row := ResourceRow{OrgID: org, Name: strings.TrimSpace(rec[0]), Kind: strings.ToLower(strings.TrimSpace(rec[1])), BackupScheme: strings.TrimSpace(rec[4])}
		for i, dst := range []**int{&row.RTO, &row.RPO} {
			if v := strings.TrimSpace(rec[2+i]); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					c.Add("line", "continuity.import.hours", line, v)
					continue
				}
				*dst = &n
			}
		}
		switch strings.ToLower(strings.TrimSpace(rec[5])) {
		case "oui", "yes", "o", "1", "true":
			row.OfflineCopy = true
		case "non", "no", "n", "0", "false", "":
		default:
			c.Add("line", "continuity.import.yesno", line, rec[5])
		}
		if v := strings.TrimSpace(rec[6]); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				c.Add("line", "continuity.import.date", line, v)
			} else {
				row.LastRestoreTest = &t
			}
		}
		if err := CheckResource(row); err != nil {
			e, _ := problem.As(err)
			for _, f := range e.Fields {
				c.Add("line", "continuity.import.field", line, f.Field)
			}
		}
		rows = append(rows, row)
	}
	if err := c.Err(); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, problem.New(problem.Invalid, "continuity.import.empty")
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, row := range rows {
			if _, err := insertResource(ctx, tx, row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// ---- upkeep ----

// ReminderWindow is how long before a review date its reminder goes out.
const ReminderWindow = 30 * 24 * time.Hour

// SendReminders e-mails the RPCRA of each plan whose review is due within the window
// or late (activities' own review dates show as stale in the pages). Each row is claimed in the
// database before its mail is sent, so that several instances send it once; a reminder
// is sent again a week later while the review stays due.
func (s *Service) SendReminders(ctx context.Context, sender mail.Sender, now time.Time) (int, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.org_id, o.name, p.rpcra_email, p.review_due FROM continuity_plans p JOIN orgs o ON o.id = p.org_id
		WHERE p.rpcra_email <> '' AND p.review_due IS NOT NULL AND p.review_due < $1 AND (p.reminded_at IS NULL OR p.reminded_at < $2)`,
		now.Add(ReminderWindow), now.Add(-7*24*time.Hour))
	if err != nil {
		return 0, err
	}
	type due struct {
		org   int64
		name  string
		email string
		when  time.Time
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.org, &d.name, &d.email, &d.when); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	sent := 0
	for _, d := range list {
		res, err := s.DB.Write.ExecContext(ctx, `UPDATE continuity_plans SET reminded_at = $1 WHERE org_id = $2 AND (reminded_at IS NULL OR reminded_at < $3)`,
			now, d.org, now.Add(-7*24*time.Hour))
		if err != nil {
			return sent, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // another instance took it
		}
		lang := i18n.FR
		msg := mail.Message{To: d.email, Subject: lang.T("continuity.mail.subject", d.name),
			Body: lang.T("continuity.mail.body", d.name, d.when.Format("02/01/2006"))}
		if err := sender.Send(ctx, msg); err != nil {
			_, _ = s.DB.Write.ExecContext(ctx, "UPDATE continuity_plans SET reminded_at = NULL WHERE org_id = $1", d.org)
			return sent, fmt.Errorf("continuity: reminder to %s: %w", d.name, err)
		}
		sent++
	}
	return sent, nil
}

// Stale reports whether a review date is past.
func Stale(due *time.Time, now time.Time) bool { return due != nil && due.Before(now) }

// EvaluationFor scores node org's plan against the grid.
func (s *Service) EvaluationFor(ctx context.Context, org int64) (Evaluation, error) {
	n, err := readable(ctx, s.DB.Read, org)
	if err != nil {
		return Evaluation{}, err
	}
	in := EvalInput{Now: db.Now()}
	if in.Plan, err = s.GetPlan(ctx, org); err != nil {
		return Evaluation{}, err
	}
	if in.Activities, err = s.activitiesUnder(ctx, n.Path); err != nil {
		return Evaluation{}, err
	}
	if in.Resources, err = s.resourcesFor(ctx, n.Path); err != nil {
		return Evaluation{}, err
	}
	in.Gaps = gapsOf(in.Activities, in.Resources)
	if in.Sheets, err = s.sheetsWritten(ctx, in.Activities); err != nil {
		return Evaluation{}, err
	}
	if in.Tests, err = s.Tests(ctx, org); err != nil {
		return Evaluation{}, err
	}
	if in.Versions, err = s.Versions(ctx, org); err != nil {
		return Evaluation{}, err
	}
	return Evaluate(in), nil
}
