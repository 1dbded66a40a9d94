package org

import (
	"context"
	"database/sql"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// MaxImportRows bounds one CSV import, header aside: the national tree holds some
// tens of thousands of establishments.
const MaxImportRows = 50_000

// ImportRow is one establishment read from a CSV file.
type ImportRow struct {
	Line     int
	FINESS   string
	Name     string
	Kind     Kind
	Category Category
	Region   string // region code or name
	GHT      string // GHT code or name; empty when the establishment is in none
}

// fold makes a label comparable: lower case, no accents, single spaces, _ as space.
func fold(s string) string {
	s = norm.NFD.String(strings.ToLower(strings.TrimSpace(s)))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x300 && r <= 0x36f: // combining accents
		case r == '_' || r == '-':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// ParseCategory accepts the stored value or its French label, with or without accents.
func ParseCategory(s string) (Category, bool) {
	switch fold(s) {
	case "public":
		return Public, true
	case "prive non lucratif", "espic", "prive a but non lucratif":
		return PriveNonLucratif, true
	case "prive lucratif", "prive commercial", "prive a but lucratif":
		return PriveLucratif, true
	}
	return "", false
}

// ParseKind accepts ES or ESSMS in any case.
func ParseKind(s string) (Kind, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "ES":
		return ES, true
	case "ESSMS":
		return ESSMS, true
	}
	return "", false
}

// rowError is a fault of one line of the file.
func rowError(c *problem.Checks, line int, key string, args ...any) {
	c.Add("line", key, append([]any{line}, args...)...)
}

// maxFaults is how many faulty rows an import reports before it stops reading: a
// list of thousands helps no one, and each fault costs memory.
const maxFaults = 100

// isHeader tells a first row naming the columns.
func isHeader(cells []string) bool { return len(cells) > 0 && fold(cells[0]) == "finess" }

// ParseCSV reads establishments from r: columns FINESS, name, kind, category,
// region, GHT, separated by ';' or ','. A first line naming the columns is skipped,
// and so are blank lines. Every faulty line is reported; no row is returned unless
// all are good. The file is read as a stream of rows held to the limits of
// docs.SheetOptions (64 columns, a cell of 32,767 characters, MaxImportRows rows).
func ParseCSV(r io.Reader) ([]ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, 20<<20))
	if err != nil {
		return nil, err
	}
	var c problem.Checks
	var rows []ImportRow
	seen := map[string]int{}
	first := true
	for rec, err := range docs.ReadCSV(data, docs.SheetOptions{MaxRows: MaxImportRows, Header: isHeader, TrimLeadingSpace: true,
		Keys: docs.SheetKeys{CSV: "org.import.unreadable", TooMany: "org.import.too_many"}}) {
		if err != nil {
			if err := docs.MergeFault(&c, err); err != nil {
				return nil, err
			}
			break
		}
		if first && isHeader(rec.Cells) {
			first = false
			continue
		}
		first = false
		if len(c.Fields()) >= maxFaults {
			c.Add("line", "org.import.too_many_faults", maxFaults)
			break
		}
		line := rec.N
		if len(rec.Cells) != 6 {
			rowError(&c, line, "org.import.columns", len(rec.Cells))
			continue
		}
		cells := rec.Cells
		row := ImportRow{Line: line, FINESS: strings.ToUpper(strings.TrimSpace(cells[0])), Name: strings.TrimSpace(cells[1]),
			Region: strings.TrimSpace(cells[4]), GHT: strings.TrimSpace(cells[5])}
		if key := CheckFINESS(row.FINESS); key != "" {
			rowError(&c, line, "org.import.finess", row.FINESS)
		} else if prev, dup := seen[row.FINESS]; dup {
			rowError(&c, line, "org.import.duplicate", row.FINESS, prev)
		} else {
			seen[row.FINESS] = line
		}
		if row.Name == "" {
			rowError(&c, line, "org.import.name")
		}
		var ok bool
		if row.Kind, ok = ParseKind(cells[2]); !ok {
			rowError(&c, line, "org.import.kind", cells[2])
		}
		if row.Category, ok = ParseCategory(cells[3]); !ok {
			rowError(&c, line, "org.import.category", cells[3])
		}
		if row.Region == "" {
			rowError(&c, line, "org.import.region_missing")
		}
		rows = append(rows, row)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, problem.New(problem.Invalid, "org.import.empty")
	}
	return rows, nil
}

// Import creates the establishments of rows as legal entities, each under its GHT or,
// when it has none, its region. The whole file is checked against the tree first
// (known region and GHT, writable by the caller, FINESS not already used); if any
// line is bad nothing is written.
func (s *Service) Import(ctx context.Context, rows []ImportRow) (int, error) {
	sub := authz.Current(ctx)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		parents, _, err := listOrgs(ctx, tx, Filter{Roots: sub.Scope(authz.OrgRead), Levels: []Level{Region, GHT}})
		if err != nil {
			return err
		}
		var c problem.Checks
		targets := make([]Org, len(rows))
		for i, row := range rows {
			region, ok := findNode(parents, Region, "", row.Region)
			if !ok {
				rowError(&c, row.Line, "org.import.region_unknown", row.Region)
				continue
			}
			parent := region
			if row.GHT != "" {
				if parent, ok = findNode(parents, GHT, region.Path, row.GHT); !ok {
					rowError(&c, row.Line, "org.import.ght_unknown", row.GHT, region.Name)
					continue
				}
			}
			if sub.Check(authz.OrgWrite, parent.Path) != nil {
				rowError(&c, row.Line, "org.import.forbidden", parent.Name)
				continue
			}
			taken, err := finessTaken(ctx, tx, row.FINESS, 0)
			if err != nil {
				return err
			}
			if taken {
				rowError(&c, row.Line, "org.import.finess_taken", row.FINESS)
				continue
			}
			targets[i] = Org{ParentID: parent.ID, Level: LegalEntity, Name: row.Name, FINESS: row.FINESS,
				Kind: row.Kind, Category: row.Category}
			if err := targets[i].Validate(); err != nil {
				rowError(&c, row.Line, "org.import.invalid")
			}
		}
		if err := c.Err(); err != nil {
			return err
		}
		for i, o := range targets {
			parent, _ := findByID(parents, o.ParentID)
			created, err := insertOrg(ctx, tx, o, parent.Path)
			if err != nil {
				return err
			}
			targets[i] = created
			if err := audit.Record(ctx, tx, audit.Entry{Action: "org.import", ObjectType: "org", ObjectID: audit.ID(created.ID),
				OrgPath: created.Path, Changes: audit.Diff(nil, created.fields())}); err != nil {
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

// findNode finds, among nodes, the one of level l under root (any root when empty)
// whose code or name matches ref, ignoring case and accents.
func findNode(nodes []Org, l Level, root, ref string) (Org, bool) {
	ref = fold(ref)
	for _, n := range nodes {
		if n.Level == l && (root == "" || authz.Within(n.Path, root)) && (fold(n.Code) == ref || fold(n.Name) == ref) {
			return n, true
		}
	}
	return Org{}, false
}

func findByID(nodes []Org, id int64) (Org, bool) {
	for _, n := range nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Org{}, false
}
