package catalogue

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"care/internal/platform/problem"
)

// Search ignores accents and case: the query and the offers are folded alike.
func TestFoldIgnoresAccentsAndCase(t *testing.T) {
	for in, want := range map[string]string{
		"SAUVEGARDÉ":                 "sauvegarde",
		"Réagir, Contrôler":          "reagir controler",
		"  l'hôpital—Île-de-France ": "l hopital ile de france",
		"MonServiceSécurisé":         "monservicesecurise",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Terms(`sauvegardé "OR" * NEAR(`); !slices.Equal(got, []string{"sauvegarde", "or", "near"}) {
		t.Errorf("terms %q: only folded letters and digits reach the search syntax", got)
	}
}

func TestParseThemeAcceptsLabels(t *testing.T) {
	for _, s := range []string{"Réagir", "REAGIR", "reagir", " réagir "} {
		if th, ok := ParseTheme(s); !ok || th != "reagir" {
			t.Errorf("%q: %q %v", s, th, ok)
		}
	}
	if _, ok := ParseTheme("Guérir"); ok {
		t.Error("Guérir is not a theme")
	}
}

// The starting set: real offers only, each checked, with its public link, in
// every theme, and the awareness library with #TousCybervigilants and Cybermois.
func TestShippedContent(t *testing.T) {
	c, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	offers := c.ShippedOffers()
	if len(offers) < 30 {
		t.Errorf("%d offers shipped", len(offers))
	}
	themes := map[string]int{}
	types := map[string]int{}
	for _, o := range offers {
		for _, th := range o.Themes {
			themes[th]++
		}
		types[o.ProviderType]++
		if !strings.HasPrefix(o.URL, "http") {
			t.Errorf("%s: no link", o.Ref)
		}
	}
	for _, th := range Themes {
		if themes[th] == 0 {
			t.Errorf("no offer in theme %s", th)
		}
	}
	for _, p := range ProviderTypes {
		if types[p] == 0 {
			t.Errorf("no offer of a %s", p)
		}
	}
	var refs []string
	for _, cp := range c.Campaigns {
		refs = append(refs, cp.Ref)
	}
	if !slices.Contains(refs, "tous-cybervigilants") || !slices.Contains(refs, "cybermois") {
		t.Errorf("campaigns %v", refs)
	}
}

// csvOffers is an import file of n good rows, the row numbered bad (as a
// spreadsheet counts, the header being row 1) with an unknown theme.
func csvOffers(n, bad int) string {
	var b strings.Builder
	b.WriteString("titre;fournisseur;type;thèmes;public;région;coût;lien;description\n")
	for i := 2; i <= n+1; i++ {
		theme := "Prévenir, Réagir"
		if i == bad {
			theme = "Prévenir, Guérir"
		}
		fmt.Fprintf(&b, "Offre importée %d;GRADeS test;GRADeS;%s;ES, ESSMS;national;gratuit;https://example.org/offre-%d;Sauvegardes hors ligne, offre %d\n", i, theme, i, i)
	}
	return b.String()
}

// An import with an unknown theme on row 12 is refused whole, naming row 12.
func TestImportRefusesUnknownThemeNamingTheRow(t *testing.T) {
	if got, err := ParseSheet([]byte(csvOffers(13, 0)), "offres.csv", nil); err != nil || len(got) != 13 {
		t.Fatalf("good file: %d offers, %v", len(got), err)
	} else if !slices.Equal(got[0].Themes, []string{"prevenir", "reagir"}) || !slices.Equal(got[0].Audience, []string{"es", "essms"}) ||
		got[0].ProviderType != "grades" || got[0].Cost != "free" || got[0].Region != "" {
		t.Errorf("row 2 read as %+v", got[0])
	}
	got, err := ParseSheet([]byte(csvOffers(13, 12)), "offres.csv", nil)
	e, ok := problem.As(err)
	if got != nil || !ok || len(e.Fields) != 1 {
		t.Fatalf("got %d offers, %v", len(got), err)
	}
	f := e.Fields[0]
	if f.Key != "catalogue.import.theme" || f.Args[0] != 12 || f.Args[2] != "Guérir" {
		t.Errorf("fault %+v", f)
	}
}

func TestImportRegionsAndColumns(t *testing.T) {
	regions := map[string]string{"84": "Auvergne-Rhône-Alpes"}
	file := "titre,fournisseur,type,thèmes,public,région,coût,lien,description\n" +
		"A,P,ANS,Détecter,tous,auvergne rhone alpes,Subvention,https://example.org/a,d\n" +
		"B,P,ANS,Détecter,GHT,84,payant,https://example.org/b,d\n" +
		"C,P,ANS,Détecter,GHT,Bretagne,payant,https://example.org/c,d\n"
	_, err := ParseSheet([]byte(file), "x.csv", regions)
	e, _ := problem.As(err)
	if e == nil || len(e.Fields) != 1 || e.Fields[0].Key != "catalogue.import.region" || e.Fields[0].Args[0] != 4 {
		t.Fatalf("unknown region: %v", err)
	}
	got, err := ParseSheet([]byte(strings.Replace(file, "Bretagne", "", 1)), "x.csv", regions)
	if err != nil || got[0].Region != "84" || got[1].Region != "84" || got[2].Region != "" || len(got[0].Audience) != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	_, err = ParseSheet([]byte("titre,lien\nA,https://example.org\n"), "x.csv", regions)
	if e, _ := problem.As(err); e == nil || len(e.Fields) != 6 {
		t.Errorf("missing columns: %v", err)
	}
	if _, err := ParseSheet([]byte("x"), "x.ods", nil); err == nil {
		t.Error("an .ods file was read")
	}
}

// Awareness counts: no negative number, never more trained than staff, a known
// population once, a year not in the future.
func TestCheckCounts(t *testing.T) {
	good := []Count{{"soignants", 100, 40}, {"direction", 10, 10}}
	if err := CheckCounts(2025, 2026, good); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		year   int
		counts []Count
		field  string
	}{
		"more trained than staff": {2025, []Count{{"soignants", 100, 101}}, "trained_soignants"},
		"negative staff":          {2025, []Count{{"techniques", -1, 0}}, "staff_techniques"},
		"negative trained":        {2025, []Count{{"techniques", 5, -2}}, "trained_techniques"},
		"future year":             {2027, good, "year"},
		"unknown population":      {2025, []Count{{"patients", 1, 0}}, "population"},
		"twice":                   {2025, []Count{{"direction", 1, 0}, {"direction", 2, 0}}, "direction"},
		"empty":                   {2025, nil, "counts"},
	} {
		err := CheckCounts(tc.year, 2026, tc.counts)
		e, ok := problem.As(err)
		if !ok || !slices.ContainsFunc(e.Fields, func(f problem.FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRateTrend(t *testing.T) {
	years := []Year{
		{Year: 2025, Counts: []Count{{"soignants", 100, 60}, {"direction", 0, 0}}},
		{Year: 2024, Counts: []Count{{"soignants", 0, 0}}},
		{Year: 2023, Counts: []Count{{"soignants", 80, 20}, {"direction", 20, 20}}},
	}
	rate, trend, ok := RateTrend(years)
	if !ok || rate != 60 || trend != 20 {
		t.Errorf("rate %v trend %v ok %v: want 60 %% and +20 points over 2023 (2024 counted nobody)", rate, trend, ok)
	}
	if _, _, ok := RateTrend(nil); ok {
		t.Error("a rate without counts")
	}
	if rate, trend, ok := RateTrend(years[:1]); !ok || rate != 60 || trend != 0 {
		t.Errorf("one year: %v %v %v", rate, trend, ok)
	}
}
