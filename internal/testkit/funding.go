package testkit

import (
	"fmt"
	"strings"
	"testing"

	"care/internal/authz"
	"care/internal/funding"
)

// FundingCalls imports the shipped programme content as version 2 with calls
// appended (YAML items of its calls list), as the platform's root.
func FundingCalls(t testing.TB, a *App, calls string) {
	t.Helper()
	_, data, err := funding.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "\nversion: 1\n", "\nversion: 2\n", 1)
	if !strings.Contains(text, "\nversion: 2\n") {
		t.Fatal("the shipped programme's version line moved")
	}
	if _, err := a.Server.Funding.Import(authz.WithSubject(t.Context(), a.Root(t)), []byte(text+calls)); err != nil {
		t.Fatal(err)
	}
}

// DatedCall is a call of Domaine 2 with every phase dated in 2030 and a public
// ceiling of 100 000 €, for tests that move the funding service's clock through
// it: candidature in January, instruction until 28 February, operational phase
// from 1 March to 30 September, declaration in September, verification until 31
// October, control until 30 November, payment until 31 December.
func DatedCall(id string) string {
	return fmt.Sprintf(`
  - id: %[2]s
    domain: d2
    title: "Appel de test %[2]s"
    source: "%[1]s"
    categories: [ght, public_hors_ght, prive_non_lucratif, prive_lucratif]
    amounts:
      envelope: {eur: 1000000, source: "%[1]s"}
      ceiling: {eur: 100000, source: "%[1]s"}
    phases:
      - {phase: candidature, from: "2030-01-01", to: "2030-01-31", source: "%[1]s"}
      - {phase: instruction, from: "2030-01-01", to: "2030-02-28", source: "%[1]s"}
      - {phase: operational, from: "2030-03-01", to: "2030-09-30", source: "%[1]s"}
      - {phase: declaration, from: "2030-09-01", to: "2030-09-30", source: "%[1]s"}
      - {phase: verification, from: "2030-09-01", to: "2030-10-31", source: "%[1]s"}
      - {phase: control, from: "2030-10-01", to: "2030-11-30", source: "%[1]s"}
      - {phase: payment, from: "2030-11-01", to: "2030-12-31", source: "%[1]s"}
`, "https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4", id)
}
