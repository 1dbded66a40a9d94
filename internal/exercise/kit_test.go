package exercise

import (
	"strings"
	"testing"

	"care/internal/platform/problem"
)

// The shipped kits are valid and as rich as the issue asks.
func TestShippedKits(t *testing.T) {
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	minimum := map[string]int{"debutant": 15, "intermediaire": 20, "confirme": 25, "regional": 25}
	seen := map[string]bool{}
	for _, k := range kits {
		seen[k.Level] = true
		if n := len(k.Animator.Stimuli); n < minimum[k.Level] {
			t.Errorf("%s: %d stimuli, want at least %d", k.ID, n, minimum[k.Level])
		}
		channels := map[string]bool{}
		for _, s := range k.Animator.Stimuli {
			channels[s.Channel] = true
		}
		if len(channels) < 4 {
			t.Errorf("%s: only %d channels", k.ID, len(channels))
		}
		if !strings.Contains(strings.ToLower(k.Notice), "care") {
			t.Errorf("%s: the notice does not say whose kit it is", k.ID)
		}
		if p := k.ForPlayers(); p.Animator.Scenario != "" || len(p.Animator.Stimuli) != 0 {
			t.Errorf("%s: the players' view keeps animator material", k.ID)
		}
		t.Logf("%s: %s, %d min, %d cells, %d stimuli, %d criteria", k.ID, k.Level, k.Duration, len(k.Cells), len(k.Animator.Stimuli), len(k.Animator.Criteria))
	}
	if len(kits) == 4 {
		for level := range minimum {
			if !seen[level] {
				t.Errorf("no %s kit", level)
			}
		}
	}
}

func TestKitFaultsAreReported(t *testing.T) {
	bad := `id: kit-test
version: 1
title: Test
title_en: Test
level: debutant
audience: [ES]
duration_minutes: 60
notice: Kit CaRE de test.
summary: Résumé.
objectives: [Apprendre]
cells:
  - {id: decision, name: Décision, roles: [Directeur]}
participant: {rules: [Règle], sheets: [], glossary: []}
communication: {invitation: I, announcement: A, internal_notice: N}
animator:
  scenario: Scénario.
  stimuli:
    - {id: s01, offset_minutes: 30, channel: email, sender: X, recipients: [decision], title: T, content: C, expected_reactions: [R], criteria: [c01]}
    - {id: s02, offset_minutes: 10, channel: pigeon, sender: X, recipients: [inconnue], title: T, content: C, expected_reactions: [R], criteria: [c09]}
    - {id: s03, offset_minutes: 90, channel: sms, sender: X, recipients: [decision], title: T, content: C, expected_reactions: [R], criteria: [c01]}
  criteria:
    - {id: c01, label: L, description: D, cell: decision}
    - {id: c02, label: L, description: D, cell: decision}
  retex_template: []
`
	_, err := ParseKit([]byte(bad))
	e, ok := problem.As(err)
	if !ok {
		t.Fatalf("got %v", err)
	}
	var keys []string
	for _, f := range e.Fields {
		keys = append(keys, f.Key)
	}
	got := strings.Join(keys, " ")
	for _, want := range []string{"exercise.error.order", "exercise.error.channel", "exercise.error.unknown_cell", "exercise.error.unknown_criterion",
		"exercise.error.offset", "exercise.error.criterion_unused"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	if _, err := ParseKit([]byte(strings.Replace(bad, "summary:", "surprise: x\nsummary:", 1))); err == nil {
		t.Error("an unknown key was accepted")
	}
}
