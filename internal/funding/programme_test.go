package funding

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

func shippedText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(ShippedFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old (which must be there) by new in the shipped text.
func edit(t *testing.T, src, old, new string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("the shipped file has no %q", old)
	}
	return strings.Replace(src, old, new, 1)
}

// faults parses src and returns its faults, each translated in both languages.
func faults(t *testing.T, src string) []problem.FieldError {
	t.Helper()
	_, err := ParseProgramme([]byte(src))
	e, ok := problem.As(err)
	if !ok || e.Kind != problem.Invalid {
		t.Fatalf("want an invalid-input problem, got %v", err)
	}
	for _, f := range e.Fields {
		for _, l := range []i18n.Lang{i18n.FR, i18n.EN} {
			msg := l.T(f.Key, f.Args...)
			if msg == f.Key || strings.Contains(msg, "%!") {
				t.Errorf("%s: %s untranslated or badly formatted: %q", l, f.Key, msg)
			}
		}
	}
	return e.Fields
}

func hasFault(fields []problem.FieldError, key, arg string) bool {
	for _, f := range fields {
		if f.Key != key {
			continue
		}
		if arg == "" {
			return true
		}
		for _, a := range f.Args {
			if strings.Contains(fmt.Sprint(a), arg) {
				return true
			}
		}
	}
	return false
}

// The shipped file parses, with the domains, codes and calls of the reference.
func TestShippedProgramme(t *testing.T) {
	p, _, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range p.Domains {
		ids = append(ids, d.ID)
	}
	if got := strings.Join(ids, " "); got != "d1 d2 hospiconnect acces-distants postes-detection" {
		t.Errorf("domains %s", got)
	}
	d2, _ := p.Domain("d2")
	var codes []string
	for _, o := range append(d2.Prerequisites, d2.Objectives...) {
		codes = append(codes, o.Code)
	}
	// Domaine 2's codes as the ANS requirements give them (care-domain §1.2).
	if got := strings.Join(codes, " "); got != "P1 P2 O1 O1.A O1.B O1.C O1.D O2 O2.A O2.B O3 O3.A O3.B O3.C O3.D O4" {
		t.Errorf("D2 codes %s", got)
	}
	rules := map[string]string{}
	for _, o := range d2.Objectives {
		rules[o.Code] = o.Rule
	}
	if rules["O1.C"] != "continuity.coverage" || rules["O1.D"] != "continuity.pca_field_test" || rules["O4"] != "continuity.restore_test" {
		t.Errorf("D2 rules %v", rules)
	}
	d1, _ := p.Domain("d1")
	if len(d1.Objectives) != 0 || len(d1.Withheld) == 0 || d1.Withheld[0].Subject != "objectives" {
		t.Errorf("D1's numbered objectives are not public, and must be marked so: %+v", d1.Withheld)
	}
	for _, id := range []string{"acces-distants", "postes-detection"} {
		if d, _ := p.Domain(id); d.IsPublic() || d.Note == "" {
			t.Errorf("%s must be marked not public with a note", id)
		}
	}
	c, ok := p.Call("d1-2024")
	if !ok || c.Amounts.Envelope.EUR == nil || *c.Amounts.Envelope.EUR != 65_000_000 || c.Amounts.Ceiling.IsPublic() {
		t.Errorf("D1 2024: envelope 65 M€ public, ceiling not public: %+v", c.Amounts)
	}
	if strings.Join(c.Categories, " ") != "ght public_hors_ght prive_non_lucratif prive_lucratif" {
		t.Errorf("D1 categories %v", c.Categories)
	}
	if _, ok := p.Call("d1-bis-2026"); !ok {
		t.Error("no D1 bis call")
	}
}

func TestParseRefusesUnknownFields(t *testing.T) {
	src := edit(t, shippedText(t), "  - id: d2\n", "  - id: d2\n    colour: bleu\n")
	// A second fault further on is reported too: every fault at once.
	src = edit(t, src, "code: O2.B", "code: O2.A")
	f := faults(t, src)
	if !hasFault(f, "funding.error.unknown_field", "colour") || !hasFault(f, "funding.error.duplicate_code", "O2.A") {
		t.Errorf("faults %+v", f)
	}
}

func TestParseRefusesDuplicateCodes(t *testing.T) {
	src := shippedText(t)
	for _, c := range []struct{ old, new, key, arg string }{
		{"code: O2.B", "code: O2.A", "funding.error.duplicate_code", "O2.A"},
		{"code: P2", "code: P1", "funding.error.duplicate_code", "P1"},
		{"  - id: acces-distants", "  - id: d2", "funding.error.duplicate_id", "d2"},
		{"  - id: d2-2025", "  - id: d1-2024", "funding.error.duplicate_id", "d1-2024"},
	} {
		if f := faults(t, edit(t, src, c.old, c.new)); !hasFault(f, c.key, c.arg) {
			t.Errorf("%s → %s: faults %+v", c.old, c.new, f)
		}
	}
	// The same code in two years is two objectives (HospiConnect 1.0 in 2027 and 2028).
	if _, err := ParseProgramme([]byte(src)); err != nil {
		t.Fatal(err)
	}
}

func TestParseRefusesPhasesOutOfOrder(t *testing.T) {
	src := shippedText(t)
	// Names out of the programme's order: instruction after operational.
	swapped := edit(t, src, "      - phase: instruction\n        to: \"2024-05-21\"", "      - phase: payment\n        to: \"2024-05-21\"")
	if f := faults(t, swapped); !hasFault(f, "funding.error.phase_order", "operational") {
		t.Errorf("names: faults %+v", f)
	}
	// Dates: the ARS verification ending before the declaration window closes.
	early := edit(t, src, "to: \"2025-09-30\"", "to: \"2025-01-31\"")
	if f := faults(t, early); !hasFault(f, "funding.error.phase_order", "verification") {
		t.Errorf("dates: faults %+v", f)
	}
	// A phase that ends before it starts.
	backwards := edit(t, src, "to: \"2024-04-19\"", "to: \"2024-03-01\"")
	if f := faults(t, backwards); !hasFault(f, "funding.error.phase_dates", "candidature") {
		t.Errorf("backwards: faults %+v", f)
	}
	if f := faults(t, edit(t, src, "phase: control", "phase: controle")); !hasFault(f, "funding.error.phase", "controle") {
		t.Errorf("unknown phase: faults %+v", f)
	}
}

// A rule, a domain or a category that the programme does not know is refused
// with the name it was given.
func TestParseRefusesUnknownNames(t *testing.T) {
	for _, c := range []struct{ name, from, to, key, arg string }{
		{"an objective's rule", "rule: continuity.restore_test", "rule: continuity.magic", "funding.error.rule", "continuity.magic"},
		{"an aim's rule", "rule: exposure.silene", "rule: exposure.nmap", "funding.error.rule", "exposure.nmap"},
		{"a call's domain", "domain: d2", "domain: d9", "funding.error.unknown_domain", "d9"},
		{"a call's category", "categories: [ght, public_hors_ght", "categories: [chu, public_hors_ght", "funding.error.unknown_category", "chu"},
	} {
		if f := faults(t, edit(t, shippedText(t), c.from, c.to)); !hasFault(f, c.key, c.arg) {
			t.Errorf("%s: faults %+v", c.name, f)
		}
	}
}

func TestParseRefusesMalformedDates(t *testing.T) {
	for _, bad := range []string{"19/04/2024", "2024-02-30", "2024-4-19"} {
		src := edit(t, shippedText(t), "to: \"2024-04-19\"", "to: \""+bad+"\"")
		if f := faults(t, src); !hasFault(f, "funding.error.date", bad) {
			t.Errorf("%s: faults %+v", bad, f)
		}
	}
}

func TestParseRefusesUnsourcedOrUnmarkedFacts(t *testing.T) {
	src := shippedText(t)
	for _, c := range []struct{ old, new, key, arg string }{
		// Every fact carries its source.
		{"    domain: d1\n    title: \"Appel à financement du Domaine 1 (2024)\"\n    title_en: \"Domaine 1 funding call (2024)\"\n    source: \"https", "    domain: d1\n    title: \"Appel à financement du Domaine 1 (2024)\"\n    title_en: \"Domaine 1 funding call (2024)\"\n    source: \"http", "funding.error.source", "call d1-2024"},
		// Not public: a note says why, and no value is given.
		{"note: \"Domaine annoncé par la DNS ; ses objectifs, son calendrier et ses montants ne sont pas publics.\"", "note: \"\"", "funding.error.note", "acces-distants"},
		{"eur: 65000000", "eur: -1", "funding.error.amount_negative", "-1"},
		// An unpublished date is said so.
		{"        note: \"Instruction par les ARS ; dates non publiées.\"\n", "", "funding.error.unknown_date", "instruction"},
		// A sub-objective follows its objective.
		{"      - code: O1\n", "      - code: O5\n", "funding.error.parent", "O1"},
	} {
		if f := faults(t, edit(t, src, c.old, c.new)); !hasFault(f, c.key, c.arg) {
			t.Errorf("%.40q → %.40q: faults %+v", c.old, c.new, f)
		}
	}
	withheld := edit(t, src, "      ceiling:\n        public: false\n        note: \"Plafond", "      ceiling:\n        public: false\n        eur: 100\n        note: \"Plafond")
	if f := faults(t, withheld); !hasFault(f, "funding.error.amount_withheld", "") {
		t.Errorf("faults %+v", f)
	}
}

func TestParseRefusesBrokenYAML(t *testing.T) {
	_, err := ParseProgramme([]byte("version: [1\n"))
	if e, ok := problem.As(err); !ok || e.Key != "funding.error.yaml" {
		t.Errorf("got %v", err)
	}
}

// Whatever the file, the parser answers without panicking, and what it accepts
// validates again.
func FuzzParseProgramme(f *testing.F) {
	src, err := os.ReadFile(ShippedFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Add([]byte("version: 1\ntitle: x\nsource: https://example.test\ncalls:\n  - id: a\n    domain: b\n    phases:\n      - phase: payment\n        to: \"2024-13-01\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProgramme(data)
		if err == nil {
			if err := p.Validate(); err != nil {
				t.Errorf("accepted, then refused: %v", err)
			}
			for _, c := range p.Calls {
				c.OperationalPhase()
				c.CandidatureOpen(date("2025-01-01"))
			}
		}
	})
}
