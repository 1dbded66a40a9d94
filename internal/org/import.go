package org

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/problem"
)

// MaxImportRows bounds one CSV import.
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

// ParseCSV reads establishments from r: columns FINESS, name, kind, category,
// region, GHT, separated by ';' or ','. A first line naming the columns is skipped.
// Every faulty line is reported; no row is returned unless all are good.
func ParseCSV(r io.Reader) ([]ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, 20<<20))
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	sep := ','
	if first, _, _ := strings.Cut(text, "\n"); strings.Count(first, ";") > strings.Count(first, ",") {
		sep = ';'
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var c problem.Checks
	var rows []ImportRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			rowError(&c, line, "org.import.unreadable")
			break
		}
		if len(rows) == 0 && !c.Has("line") && len(rec) > 0 && fold(rec[0]) == "finess" {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rows) >= MaxImportRows {
			rowError(&c, line, "org.import.too_many", MaxImportRows)
			break
		}
		if len(rec) != 6 {
			rowError(&c, line, "org.import.columns", len(rec))
			continue
		}
		row := ImportRow{Line: line, FINESS: strings.ToUpper(strings.TrimSpace(rec[0])), Name: strings.TrimSpace(rec[1]),
			Region: strings.TrimSpace(rec[4]), GHT: strings.TrimSpace(rec[5])}
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
		if row.Kind, ok = ParseKind(rec[2]); !ok {
			rowError(&c, line, "org.import.kind", rec[2])
		}
		if row.Category, ok = ParseCategory(rec[3]); !ok {
			rowError(&c, line, "org.import.category", rec[3])
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
	sub := subject(ctx)
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
			if !sub.Can(authz.OrgWrite, parent.Path) {
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
