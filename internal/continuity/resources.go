package continuity

import (
	"context"
	"database/sql"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

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

// CreateResource adds a register entry to node r.OrgID.
func (s *Service) CreateResource(ctx context.Context, r ResourceRow) (ResourceRow, error) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Kind == "" {
		r.Kind = "application"
	}
	if err := CheckResource(r); err != nil {
		return ResourceRow{}, err
	}
	var created ResourceRow
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := addResources(ctx, tx, r.OrgID, []ResourceRow{r})
		if err != nil {
			return err
		}
		created, err = getResource(ctx, tx, ids[0])
		return err
	})
	return created, err
}

// addResources writes register entries for node id, each with its audit entry,
// once the node is loaded for a writer (absent or invisible: a faulty "org").
func addResources(ctx context.Context, tx *sql.Tx, id int64, rows []ResourceRow) ([]int64, error) {
	var c problem.Checks
	o, err := target(ctx, tx, id, &c)
	if err != nil {
		return nil, err
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		if ids[i], err = addResource(ctx, tx, o, r); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func addResource(ctx context.Context, tx *sql.Tx, o org.Org, r ResourceRow) (int64, error) {
	r.OrgID = o.ID
	id, err := insertResource(ctx, tx, r, db.Now())
	if err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, audit.Entry{Action: "continuity.resource_create", ObjectType: "resource", ObjectID: audit.ID(id), OrgPath: o.Path,
		Changes: audit.Diff(nil, map[string]any{"name": r.Name, "kind": r.Kind, "rto_hours": deref(map[string]any{"v": r.RTO})["v"], "rpo_hours": deref(map[string]any{"v": r.RPO})["v"]})})
}

// ---- import of the application register ----

// MaxImportRows bounds a register import, header aside.
const MaxImportRows = 2000

// ImportResources reads a register as CSV — name, kind, RTO hours, RPO hours, backup
// scheme, offline copy (oui/non), last restore test (AAAA-MM-JJ) — and creates the
// entries for node org. Every bad line is reported; nothing is written if one is bad.
// The file is read as a stream of rows held to the limits of docs.SheetOptions (64
// columns, a cell of 32,767 characters, MaxImportRows rows); blank lines are skipped.
func (s *Service) ImportResources(ctx context.Context, id int64, r io.Reader) (int, error) {
	rows, err := readRegister(r, id)
	if err != nil {
		return 0, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := addResources(ctx, tx, id, rows)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// readRegister reads and checks the register CSV for node org, before anything is written.
func readRegister(r io.Reader, org int64) ([]ResourceRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, 5<<20))
	if err != nil {
		return nil, err
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
				return nil, err
			}
			break
		}
		if first && header(sr.Cells) {
			first = false
			continue
		}
		first = false
		if row, ok := registerRow(&c, sr.N, sr.Cells, org); ok {
			rows = append(rows, row)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, problem.New(problem.Invalid, "continuity.import.empty")
	}
	return rows, nil
}

// registerRow reads line of the register, recording its faults in c; false when
// it has not the seven columns.
func registerRow(c *problem.Checks, line int, rec []string, org int64) (ResourceRow, bool) {
	if len(rec) != 7 {
		c.Add("line", "continuity.import.columns", line, len(rec))
		return ResourceRow{}, false
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
	return row, true
}
