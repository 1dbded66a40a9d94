package catalogue

import (
	"path"
	"strings"

	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// MaxImport bounds an imported file, in bytes.
const MaxImport = 8 << 20

// MaxImportRows bounds the offers of one file: the ANS catalogue counts some
// hundreds.
const MaxImportRows = 5000

// Columns of an import file, by their folded header labels (French or English).
var importColumns = map[string]string{
	"ref": "ref", "reference": "ref", "identifiant": "ref",
	"titre": "title", "title": "title", "offre": "title", "nom": "title",
	"fournisseur": "provider", "provider": "provider", "porteur": "provider",
	"type de fournisseur": "provider_type", "type fournisseur": "provider_type", "provider type": "provider_type", "type": "provider_type",
	"themes": "themes", "theme": "themes", "thematiques": "themes",
	"public": "audience", "publics": "audience", "audience": "audience", "cible": "audience",
	"region": "region",
	"cout":   "cost", "cost": "cost", "modele de cout": "cost",
	"lien": "url", "url": "url", "link": "url",
	"contact":     "contact",
	"description": "description",
}

// columnNames name the columns in faults, in both languages: the argument is
// not translated.
var columnNames = map[string]string{
	"ref": "ref", "title": "titre / title", "provider": "fournisseur / provider", "provider_type": "type",
	"themes": "thèmes / themes", "audience": "public / audience", "region": "région / region", "cost": "coût / cost",
	"url": "lien / url", "contact": "contact", "description": "description",
}

// requiredColumns must each be in the header row.
var requiredColumns = []string{"title", "provider", "provider_type", "themes", "audience", "cost", "url", "description"}

// Words accepted for the coded cells besides the codes themselves.
var (
	providerAliases = map[string]string{"cert sante": "cert_sante", "centrale d achat": "purchasing_central",
		"centrale d achats": "purchasing_central", "purchasing central": "purchasing_central", "autre": "other"}
	costAliases = map[string]string{"gratuit": "free", "payant": "paid", "contrat de centrale": "central_contract", "marche de centrale": "central_contract",
		"central contract": "central_contract", "subvention": "subsidy", "adhesion": "membership", "inconnu": "unknown", "non precise": "unknown"}
)

// code reads a coded cell: its code (provider_type, central_contract) or a word
// of aliases, accents and case ignored.
func code(cell string, aliases map[string]string) string {
	f := Fold(cell)
	if c, ok := aliases[f]; ok {
		return c
	}
	return strings.ReplaceAll(f, " ", "_")
}

// splitCell reads a cell holding several values: "Prévenir, Réagir", "ES;GHT".
func splitCell(cell string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '|' || r == '/' || r == '\n' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// rowFault is a fault of row n, whose message names the row; the faults of a
// file are listed together (field "line", as the organisation import does).
func rowFault(c *problem.Checks, n int, key string, args ...any) {
	c.Add("line", key, append([]any{n}, args...)...)
}

// ParseSheet reads the offers of a CSV or XLSX file, the first non-blank row
// naming the columns. The whole file is checked: every faulty row is reported
// with its number (an unknown theme on row 12 names row 12), and no offer is
// returned unless all are good. regions names the region codes a row may give,
// by code or by name; a blank region or "national" is national.
func ParseSheet(data []byte, filename string, regions map[string]string) ([]Offer, error) {
	opts := docs.SheetOptions{MaxRows: MaxImportRows, Header: func([]string) bool { return true }, LazyQuotes: true, TrimLeadingSpace: true,
		Keys: docs.SheetKeys{CSV: "catalogue.import.csv", Workbook: "catalogue.import.unreadable", TooMany: "catalogue.import.too_many"}}
	sheet, ok := docs.ReadSheet(data, filename, opts)
	if !ok {
		return nil, problem.New(problem.Invalid, "catalogue.import.format", strings.ToLower(path.Ext(filename)))
	}
	var rows []docs.Row
	for row, err := range sheet {
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if len(rows) < 2 {
		return nil, problem.New(problem.Invalid, "catalogue.import.empty")
	}
	return parseRows(rows, regions)
}

// parseRows reads the rows of a file, the first naming the columns.
func parseRows(rows []docs.Row, regions map[string]string) ([]Offer, error) {
	var c problem.Checks
	head, rows := rows[0], rows[1:]
	cols := map[string]int{}
	for i, label := range head.Cells {
		col, ok := importColumns[Fold(label)]
		if !ok {
			continue // a notes column: not ours
		}
		if _, twice := cols[col]; twice {
			rowFault(&c, head.N, "catalogue.import.column_twice", strings.TrimSpace(label))
			continue
		}
		cols[col] = i
	}
	for _, col := range requiredColumns {
		if _, ok := cols[col]; !ok {
			rowFault(&c, head.N, "catalogue.import.column_missing", columnNames[col])
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	byName := map[string]string{}
	for code, name := range regions {
		byName[Fold(name)] = code
		byName[Fold(code)] = code
	}
	refs := map[string]int{}
	out := make([]Offer, 0, len(rows))
	for _, row := range rows {
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(row.Cells) {
				return strings.TrimSpace(row.Cells[i])
			}
			return ""
		}
		n := row.N
		o := Offer{Ref: get("ref"), Title: get("title"), Provider: get("provider"), URL: get("url"), Contact: get("contact"), Description: get("description"),
			ProviderType: code(get("provider_type"), providerAliases), Cost: code(get("cost"), costAliases)}
		for _, v := range splitCell(get("themes")) {
			th, ok := ParseTheme(v)
			if !ok {
				th = v // refused by Check with its own words
			}
			o.Themes = append(o.Themes, th)
		}
		for _, v := range splitCell(get("audience")) {
			switch a := Fold(v); a {
			case "tous", "all":
				o.Audience = append(o.Audience, Audiences...)
			case "es", "essms", "ght":
				o.Audience = append(o.Audience, a)
			default:
				o.Audience = append(o.Audience, v)
			}
		}
		if r := Fold(get("region")); r != "" && r != National {
			if o.Region = byName[r]; o.Region == "" {
				rowFault(&c, n, "catalogue.import.region", get("region"))
			}
		}
		if o.Ref != "" {
			if first, dup := refs[o.Ref]; dup {
				rowFault(&c, n, "catalogue.import.duplicate", o.Ref, first)
			}
			refs[o.Ref] = n
		}
		var own problem.Checks
		o.Check(&own, func(f string) string { return f })
		for _, f := range own.Fields() {
			// catalogue.error.theme → catalogue.import.theme: the row and the
			// column first.
			rowFault(&c, n, strings.Replace(f.Key, "catalogue.error.", "catalogue.import.", 1), append([]any{columnNames[f.Field]}, f.Args...)...)
		}
		out = append(out, o)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
