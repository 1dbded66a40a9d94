package org

import (
	"strings"
	"testing"

	"care/internal/platform/problem"
)

func TestCheckFINESS(t *testing.T) {
	cases := map[string]string{
		"750712184":  "",                        // AP-HP, a real legal entity number
		"330781196":  "",                        // CHU de Bordeaux
		"750712185":  "org.error.finess_key",    // wrong key
		"75071218":   "org.error.finess_length", // too short
		"7507121840": "org.error.finess_length",
		"75O712184":  "org.error.finess_chars", // letter O
		"2A0000000":  "org.error.finess_key",
		"":           "org.error.finess_length",
	}
	for in, want := range cases {
		if got := CheckFINESS(in); got != want {
			t.Errorf("CheckFINESS(%q) = %q, want %q", in, got, want)
		}
	}
	for _, prefix := range []string{"35000101", "2A000101", "2B123456", "97100001"} {
		if n := CompleteFINESS(prefix); CheckFINESS(n) != "" {
			t.Errorf("CompleteFINESS(%q) = %q does not validate", prefix, n)
		}
	}
}

func TestTreeRules(t *testing.T) {
	if !CanHangUnder(LegalEntity, Region) || !CanHangUnder(LegalEntity, GHT) {
		t.Error("an establishment hangs under its GHT or, outside any GHT, its region")
	}
	if CanHangUnder(Site, GHT) || CanHangUnder(GHT, National) || CanHangUnder(Region, Region) {
		t.Error("wrong parent accepted")
	}
}

func TestValidateReportsEveryFault(t *testing.T) {
	err := Org{Level: LegalEntity, Name: " ", FINESS: "123", Kind: "X", Category: "y", ActivityWeight: -1}.Validate()
	e, ok := problem.As(err)
	if !ok {
		t.Fatalf("got %v", err)
	}
	fields := map[string]bool{}
	for _, f := range e.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"name", "finess", "kind", "category", "activity_weight"} {
		if !fields[f] {
			t.Errorf("no error for %s", f)
		}
	}
	if err := (Org{Level: Region, Name: "R", FINESS: "750712184"}).Validate(); err == nil {
		t.Error("a region with a FINESS number was accepted")
	}
}

func TestParseCSVReportsEveryBadLine(t *testing.T) {
	in := "FINESS;Nom;Type;Catégorie;Région;GHT\n" +
		"750712184;AP-HP;ES;public;R01;\n" +
		"750712185;Mauvaise clé;ES;public;R01;\n" +
		"330781196;Sans type;XX;Privé lucratif;R01;G\n" +
		"750712184;Doublon;ES;public;R01;\n" +
		"123;;ESSMS;inconnue;;\n" +
		"too;few\n"
	_, err := ParseCSV(strings.NewReader(in))
	e, ok := problem.As(err)
	if !ok {
		t.Fatalf("got %v", err)
	}
	lines := map[int][]string{}
	for _, f := range e.Fields {
		lines[f.Args[0].(int)] = append(lines[f.Args[0].(int)], f.Key)
	}
	want := map[int][]string{
		3: {"org.import.finess"},
		4: {"org.import.kind"},
		5: {"org.import.duplicate"},
		6: {"org.import.finess", "org.import.name", "org.import.category", "org.import.region_missing"},
		7: {"org.import.columns"},
	}
	for line, keys := range want {
		if strings.Join(lines[line], ",") != strings.Join(keys, ",") {
			t.Errorf("line %d: got %v, want %v", line, lines[line], keys)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("faulty lines: got %v", lines)
	}
}

func TestParseCSVAcceptsCommasAndLabels(t *testing.T) {
	rows, err := ParseCSV(strings.NewReader("\ufeff750712184,\"AP-HP, siège\",es,Privé non lucratif,Île-de-France,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "AP-HP, siège" || rows[0].Kind != ES || rows[0].Category != PriveNonLucratif || rows[0].Line != 1 {
		t.Fatalf("got %+v", rows)
	}
}
