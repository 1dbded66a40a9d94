package continuity

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

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
func (s *Service) Versions(ctx context.Context, id int64) ([]Version, error) {
	if _, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead); err != nil {
		return nil, err
	}
	return listVersions(ctx, s.DB.Read, id)
}

// Formats of the plan document.
const (
	FormatDOCX = "docx"
	FormatODT  = "odt"
	FormatPDF  = "pdf"
)

// PlanFile is a plan document ready to send.
type PlanFile struct {
	Data    []byte
	Format  string
	OrgName string
	At      time.Time // when it was built
}

// Filename names the file after the establishment and the day: an ASCII
// fallback and the name as written (RFC 6266 filename*).
func (f PlanFile) Filename() (ascii, utf8 string) {
	day := f.At.Format(time.DateOnly)
	return "pcra-" + slug(f.OrgName) + "-" + day + "." + f.Format, "PCRA - " + f.OrgName + " - " + day + "." + f.Format
}

// slug spells s in lower-case ASCII letters and digits joined by dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r): // accents
		default:
			dash = true
		}
	}
	return b.String()
}

// Document builds the PCRA of node id from the data as it stands, in the format
// asked, for whoever may read the node. It records nothing: the document names
// the latest recorded version (or says there is none) and the day it was built;
// NewVersion records a version.
func (s *Service) Document(ctx context.Context, id int64, format string, lang i18n.Lang, pdf *docs.PDF) (PlanFile, error) {
	if format != FormatDOCX && format != FormatODT && format != FormatPDF {
		return PlanFile{}, problem.New(problem.Invalid, "continuity.error.format", format)
	}
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return PlanFile{}, err
	}
	in, sheets, err := s.state(ctx, s.DB.Read, o)
	if err != nil {
		return PlanFile{}, err
	}
	f := PlanFile{Format: format, OrgName: o.Name, At: in.Now}
	cat, _ := LoadCatalogue()
	doc := BuildPlan(lang, cat, o.Name, in.Now, in.Plan, in.Activities, in.Resources, in.Gaps, sheets, in.Tests, in.Versions)
	switch format {
	case FormatDOCX:
		f.Data, err = doc.DOCX()
	case FormatODT:
		f.Data, err = doc.ODT()
	case FormatPDF:
		f.Data, err = pdf.Render(ctx, doc.HTML())
	}
	return f, err
}

// NewVersion records a new version of node id's plan, with what changed since
// the previous one, and its audit entry. The data is read in the transaction
// that records the version, so that the change log tells the recorded state.
func (s *Service) NewVersion(ctx context.Context, id int64, lang i18n.Lang) (Version, error) {
	var v Version
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		in, _, err := s.state(ctx, tx, o)
		if err != nil {
			return err
		}
		v, err = recordVersion(ctx, tx, o, lang, snapshotOf(in))
		return err
	})
	return v, err
}

func snapshotOf(in EvalInput) snapshot {
	snap := snapshot{Activities: map[string]*int{}, Resources: map[string]*int{}}
	for _, a := range in.Activities {
		snap.Activities[a.Name] = a.EffectiveDMIA()
	}
	for _, r := range in.Resources {
		snap.Resources[r.Name] = r.RTO
	}
	for _, g := range in.Gaps {
		if g.HasGap() {
			snap.Gaps = append(snap.Gaps, g.Resource.Name)
		}
	}
	return snap
}

// recordVersion writes the next version of the checked node o's plan, its change
// log told against the previous version's snapshot, and its audit entry.
func recordVersion(ctx context.Context, tx *sql.Tx, o org.Org, lang i18n.Lang, snap snapshot) (Version, error) {
	last, prev, err := lastVersion(ctx, tx, o.ID)
	if err != nil {
		return Version{}, err
	}
	var before *snapshot
	if prev != "" {
		before = &snapshot{}
		_ = json.Unmarshal([]byte(prev), before)
	}
	v := Version{Version: last + 1, ChangeLog: changeLog(lang, before, snap), CreatedAt: db.Now()}
	data, _ := json.Marshal(snap)
	if v.ID, err = insertVersion(ctx, tx, o.ID, v, string(data), nullUser(ctx)); err != nil {
		return Version{}, err
	}
	return v, audit.Record(ctx, tx, audit.Entry{Action: "continuity.plan_generate", ObjectType: "org", ObjectID: audit.ID(o.ID), OrgPath: o.Path,
		Changes: map[string]audit.Change{"version": {After: v.Version}}})
}

func nullUser(ctx context.Context) any {
	if id := authz.Current(ctx).UserID; id != 0 {
		return id
	}
	return nil
}

// changeLog says what changed between two snapshots of the plan's data.
func changeLog(lang i18n.Lang, before *snapshot, after snapshot) string {
	if before == nil {
		return lang.T("continuity.log.first")
	}
	lines := changed(lang, before.Activities, after.Activities, "continuity.log.activity_added", "continuity.log.dmia_changed")
	lines = append(lines, notIn(lang, sortedKeys(before.Activities), sortedKeys(after.Activities), "continuity.log.activity_removed")...)
	lines = append(lines, changed(lang, before.Resources, after.Resources, "continuity.log.resource_added", "continuity.log.rto_changed")...)
	lines = append(lines, notIn(lang, after.Gaps, before.Gaps, "continuity.log.gap_new")...)
	lines = append(lines, notIn(lang, before.Gaps, after.Gaps, "continuity.log.gap_closed")...)
	if len(lines) == 0 {
		return lang.T("continuity.log.none")
	}
	return strings.Join(lines, "\n")
}

// changed tells, by name, the entries of after that before did not have (added)
// and those whose hours differ (changes, with the old and the new hours).
func changed(lang i18n.Lang, before, after map[string]*int, added, changes string) []string {
	var lines []string
	for _, name := range sortedKeys(after) {
		old, had := before[name]
		switch {
		case !had:
			lines = append(lines, lang.T(added, name))
		case hours(old) != hours(after[name]):
			lines = append(lines, lang.T(changes, name, hours(old), hours(after[name])))
		}
	}
	return lines
}

// notIn tells, with key, each of names that others does not hold.
func notIn(lang i18n.Lang, names, others []string, key string) []string {
	var lines []string
	for _, n := range names {
		if !slices.Contains(others, n) {
			lines = append(lines, lang.T(key, n))
		}
	}
	return lines
}

func sortedKeys(m map[string]*int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func hours(p *int) string {
	if p == nil {
		return "—"
	}
	return strconv.Itoa(*p) + " h"
}
