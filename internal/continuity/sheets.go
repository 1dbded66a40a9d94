package continuity

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

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
	// Holds is how long, in hours, the rehearsed degraded mode keeps the activity
	// going without its applications; nil while it was not rehearsed (the DMIA
	// then bounds the required RTO).
	Holds     *int
	UpdatedAt *time.Time
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

// SheetView is what an activity's degraded-mode page shows.
type SheetView struct {
	Activity Activity // without its impacts and dependencies
	Sheet    Sheet
	CanWrite bool
}

// SheetView reads an activity's sheet, or the shipped template for it when none
// was written yet (UpdatedAt is then nil), its node read once.
func (s *Service) SheetView(ctx context.Context, activity int64) (SheetView, error) {
	a, o, err := checkedActivity(ctx, s.DB.Read, activity, authz.OrgRead)
	if err != nil {
		return SheetView{}, err
	}
	sh, written, err := getSheet(ctx, s.DB.Read, activity)
	if err != nil {
		return SheetView{}, err
	}
	if !written {
		if sh, err = templateSheet(a); err != nil {
			return SheetView{}, err
		}
	}
	return SheetView{Activity: a, Sheet: sh, CanWrite: authz.Current(ctx).Can(authz.ProgrammeWrite, o.Path)}, nil
}

// GetSheet returns an activity's sheet, or the shipped template for it when none
// was written yet (UpdatedAt is then nil).
func (s *Service) GetSheet(ctx context.Context, activity int64) (Sheet, error) {
	v, err := s.SheetView(ctx, activity)
	return v.Sheet, err
}

// templateSheet is the shipped sheet for activity a's catalogue entry.
func templateSheet(a Activity) (Sheet, error) {
	cat, err := LoadCatalogue()
	if err != nil {
		return Sheet{}, err
	}
	t := cat.Sheet(a.CatalogueID)
	roles := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		roles[i] = r.Who + " : " + r.Does
	}
	return Sheet{ActivityID: a.ID, Trigger: t.Trigger, FirstActions: strings.Join(t.FirstActions, "\n"), PaperForms: strings.Join(t.PaperForms, "\n"),
		Roles: strings.Join(roles, "\n"), Communication: t.Communication, ReturnToNormal: t.ReturnToNormal, Rekeying: t.Rekeying}, nil
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
	if sh.Holds != nil && (*sh.Holds < 0 || *sh.Holds > maxHours) {
		c.Add("holds_hours", "continuity.error.hours")
	}
	checkLengths(&c, map[string]string{"trigger": sh.Trigger, "first_actions": sh.FirstActions, "paper_forms": sh.PaperForms, "roles": sh.Roles,
		"communication": sh.Communication, "return_to_normal": sh.ReturnToNormal, "rekeying": sh.Rekeying})
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, _, err := checkedActivity(ctx, tx, sh.ActivityID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if err := replaceSheet(ctx, tx, sh, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "continuity.sheet_save", ObjectType: "activity", ObjectID: audit.ID(sh.ActivityID), OrgPath: a.OrgPath,
			Changes: map[string]audit.Change{"holds_hours": {After: nullInt(sh.Holds)}}})
	})
}

// ActivitySheet is a written degraded-mode sheet with the activity it keeps going.
type ActivitySheet struct {
	Activity string
	Site     string
	DMIA     *int // hours; nil while the BIA gives none
	Sheet    Sheet
}

// SheetsUnder reads the degraded-mode sheets written for the activities of the
// subtree at path, the most urgent first (shortest DMIA; those without one last).
// It checks no access: the caller answers for it (CERT Santé handling an
// incident of the establishment reads them through the incident).
func (s *Service) SheetsUnder(ctx context.Context, path string) ([]ActivitySheet, error) {
	acts, err := s.activities(ctx, s.DB.Read, path)
	if err != nil {
		return nil, err
	}
	sheets, err := writtenSheets(ctx, s.DB.Read, acts)
	if err != nil {
		return nil, err
	}
	var out []ActivitySheet
	for _, a := range acts {
		if sh, ok := sheets[a.ID]; ok {
			out = append(out, ActivitySheet{Activity: a.Name, Site: a.OrgName, DMIA: a.EffectiveDMIA(), Sheet: sh})
		}
	}
	slices.SortStableFunc(out, func(a, b ActivitySheet) int {
		switch {
		case a.DMIA == nil && b.DMIA == nil:
			return 0
		case a.DMIA == nil:
			return 1
		case b.DMIA == nil:
			return -1
		}
		return *a.DMIA - *b.DMIA
	})
	return out, nil
}
