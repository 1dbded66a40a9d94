package funding

import (
	"strings"
	"testing"
	"time"
)

func shippedProgramme(t *testing.T) Programme {
	t.Helper()
	p, _, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// The Domaine 2 operational phase runs from the publication of the arrêté
// (JORF 18 Jan 2025) to the deposit of the declaration of attainment (objective
// O1.D); the close of the declaration window is not published.
func TestOperationalPhaseOfD2(t *testing.T) {
	p := shippedProgramme(t)
	c, ok := p.Call("d2-2025")
	if !ok {
		t.Fatal("no D2 call")
	}
	from, to, ok := c.OperationalPhase()
	if !ok || !from.Equal(date("2025-01-18")) || !to.IsZero() {
		t.Errorf("D2 operational phase %v → %v (%v), want from 2025-01-18, end unpublished", from, to, ok)
	}
	// Once the declaration window's close is known, the phase ends with it at the latest.
	for i, ph := range c.Phases {
		if ph.Name == Declaration {
			c.Phases[i].To = "2026-06-30"
		}
	}
	if _, to, _ := c.OperationalPhase(); !to.Equal(date("2026-06-30")) {
		t.Errorf("with the declaration's close: ends %v", to)
	}
	d1, _ := p.Call("d1-2024")
	if from, to, ok := d1.OperationalPhase(); !ok || !from.Equal(date("2024-05-21")) || !to.Equal(date("2025-06-30")) {
		t.Errorf("D1 operational phase %v → %v", from, to)
	}
	hc, _ := p.Call("hospiconnect-2026")
	if _, _, ok := hc.OperationalPhase(); ok {
		t.Error("HospiConnect has no published operational phase")
	}
}

func TestPhaseAndCall(t *testing.T) {
	p := shippedProgramme(t)
	c, _ := p.Call("d1-2024")
	if from, to := c.Phase(Candidature); !from.Equal(date("2024-03-18")) || !to.Equal(date("2024-04-19")) {
		t.Errorf("D1 candidature %v → %v", from, to)
	}
	// The ARS instruction's start is not published; the payment window closes 30 Jun 2026.
	if from, to := c.Phase(Instruction); !from.IsZero() || !to.Equal(date("2024-05-21")) {
		t.Errorf("D1 instruction %v → %v", from, to)
	}
	if _, to := c.Phase(Payment); !to.Equal(date("2026-06-30")) {
		t.Errorf("D1 payment ends %v", to)
	}
	hc, _ := p.Call("hospiconnect-2026")
	if from, to := hc.Phase(Payment); !from.IsZero() || !to.IsZero() {
		t.Error("a phase the call lacks has no dates")
	}
	if _, ok := p.Call("d3-2027"); ok {
		t.Error("an unknown call was found")
	}
}

// Candidature windows from the ANS calendar: D1 18 Mar – 19 Apr 2024; D2 opened
// 16 Jul 2025 (its close unpublished, so it closes at the latest when the
// declaration window opens on 16 Jan 2026); HospiConnect from 20 Jan 2026;
// D1 bis from 13 Feb 2026.
func TestOpenCalls(t *testing.T) {
	p := shippedProgramme(t)
	for _, c := range []struct {
		domain, at, want string
	}{
		{"d1", "2024-03-17T23:59:00Z", ""},
		{"d1", "2024-03-18T00:00:00Z", "d1-2024"},
		{"d1", "2024-04-19T22:00:00Z", "d1-2024"},
		{"d1", "2024-04-20T00:00:00Z", ""},
		{"d1", "2026-02-13T08:00:00Z", "d1-bis-2026"},
		{"d2", "2025-07-15T12:00:00Z", ""}, // the operational phase has begun, not the candidature
		{"d2", "2025-07-16T09:00:00Z", "d2-2025"},
		{"d2", "2025-09-02T09:00:00Z", "d2-2025"},
		{"d2", "2026-01-16T00:00:00Z", ""},
		{"hospiconnect", "2026-01-19T12:00:00Z", ""},
		{"hospiconnect", "2026-01-20T12:00:00Z", "hospiconnect-2026"},
		{"acces-distants", "2026-06-01T12:00:00Z", ""},
	} {
		var ids []string
		for _, call := range p.OpenCalls(c.domain, at(c.at)) {
			ids = append(ids, call.ID)
		}
		if got := strings.Join(ids, " "); got != c.want {
			t.Errorf("OpenCalls(%s, %s) = %q, want %q", c.domain, c.at, got, c.want)
		}
	}
}

func TestPhaseStatus(t *testing.T) {
	p := shippedProgramme(t)
	c, _ := p.Call("d1-2024")
	status := func(name, when string) string {
		for _, ph := range c.Phases {
			if ph.Name == name {
				return ph.StatusAt(at(when))
			}
		}
		return ""
	}
	for _, s := range []struct{ phase, at, want string }{
		{Candidature, "2024-03-01T00:00:00Z", PhaseComing},
		{Candidature, "2024-04-19T12:00:00Z", PhaseCurrent},
		{Candidature, "2024-04-20T00:00:00Z", PhaseDone},
		{Verification, "2025-06-01T00:00:00Z", PhaseUnknown}, // only its end is published
		{Verification, "2025-10-01T00:00:00Z", PhaseDone},
	} {
		if got := status(s.phase, s.at); got != s.want {
			t.Errorf("%s at %s: %s, want %s", s.phase, s.at, got, s.want)
		}
	}
}

// The call whose objectives an establishment works on at a date: the latest of
// the domain whose operational phase has begun (axe-4 calendar).
func TestLatestCall(t *testing.T) {
	p, _, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct{ domain, at, want string }{
		{ContinuityDomain, "2026-12-07", "d2-2025"},
		{ContinuityDomain, "2025-01-18", "d2-2025"},
		{ContinuityDomain, "2025-01-17", ""},
		{"d1", "2025-01-01", "d1-2024"},
		{"postes-detection", "2026-12-07", ""},
	} {
		call, ok := p.LatestCall(c.domain, at(c.at))
		if ok != (c.want != "") || call.ID != c.want {
			t.Errorf("LatestCall(%s, %s) = %q %v, want %q", c.domain, c.at, call.ID, ok, c.want)
		}
	}
}
