package funding

import (
	"testing"

	"care/internal/platform/problem"
)

// The D1 calendar of the ANS axe-4 page: evidence from 21 May 2024, the
// declaration closed on 30 June 2025 (pushed back from 28 March 2025), the ARS
// verification until 30 September 2025, the ANS control until 31 December 2025.
func TestD1StepWindows(t *testing.T) {
	c, ok := shippedProgramme(t).Call("d1-2024")
	if !ok {
		t.Fatal("no D1 call")
	}
	for _, tc := range []struct {
		at       string
		evidence string
		declare  string
	}{
		{"2024-05-20T23:59:59Z", "funding.error.before_operational", "funding.error.before_operational"},
		{"2024-05-21T00:00:00Z", "", ""},
		{"2025-03-29T10:00:00Z", "", ""}, // after the first deadline, before the pushed-back one
		{"2025-06-30T23:59:59Z", "", ""},
		{"2025-07-01T00:00:00Z", "funding.error.operational_closed", "funding.error.declaration_closed"},
	} {
		if got := c.EvidenceWindow(at(tc.at)); got != tc.evidence {
			t.Errorf("evidence at %s: %q, want %q", tc.at, got, tc.evidence)
		}
		if got := c.DeclarationWindow(at(tc.at)); got != tc.declare {
			t.Errorf("declaration at %s: %q, want %q", tc.at, got, tc.declare)
		}
	}
	for _, tc := range []struct {
		phase, at string
		open      bool
	}{
		{Verification, "2025-09-30T23:00:00Z", true}, {Verification, "2025-10-01T00:00:00Z", false},
		{Control, "2025-12-31T23:00:00Z", true}, {Control, "2026-01-01T00:00:00Z", false},
	} {
		if got := c.PhaseOpen(tc.phase, at(tc.at)); got != tc.open {
			t.Errorf("%s at %s: %v", tc.phase, tc.at, got)
		}
	}
}

// The D2 declarations opened on 16 January 2026 (axe-4 page); their close is
// not published, so a declaration after that is taken; the operational phase
// began with the arrêté's publication on 18 January 2025.
func TestD2DeclarationWindow(t *testing.T) {
	c, _ := shippedProgramme(t).Call("d2-2025")
	for at_, want := range map[string]string{
		"2025-01-17T12:00:00Z": "funding.error.before_operational",
		"2025-11-01T12:00:00Z": "funding.error.declaration_not_open",
		"2026-01-16T00:00:00Z": "",
		"2027-06-01T00:00:00Z": "",
	} {
		if got := c.DeclarationWindow(at(at_)); got != want {
			t.Errorf("at %s: %q, want %q", at_, got, want)
		}
	}
	if c.Ceiling() != nil {
		t.Errorf("the D2 ceiling is not public: %v", *c.Ceiling())
	}
}

func fields(err error) map[string]bool {
	out := map[string]bool{}
	if p, ok := problem.As(err); ok {
		for _, f := range p.Fields {
			out[f.Field] = true
		}
	}
	return out
}

func TestCheckDeclaration(t *testing.T) {
	known := []string{"P1", "O1.A"}
	ceiling := int64(1000)
	for _, tc := range []struct {
		objectives []string
		amount     int64
		ceiling    *int64
		bad        string
	}{
		{[]string{"P1"}, 0, nil, ""},
		{[]string{"P1", "O1.A"}, 1000, &ceiling, ""},
		{[]string{"P1"}, -1, nil, "amount_requested"},
		{[]string{"P1"}, 1001, &ceiling, "amount_requested"},
		{nil, 10, nil, "objectives"},
		{[]string{"cadrage"}, 10, nil, "objectives"},
		{[]string{"P1", "P1"}, 10, nil, "objectives"},
	} {
		f := fields(CheckDeclaration(tc.objectives, known, tc.amount, tc.ceiling))
		if (tc.bad == "") != (len(f) == 0) || (tc.bad != "" && !f[tc.bad]) {
			t.Errorf("%v %d: %v, want %q", tc.objectives, tc.amount, f, tc.bad)
		}
	}
}

func TestCheckEvidence(t *testing.T) {
	for _, tc := range []struct {
		in  EvidenceIn
		bad string
	}{
		{EvidenceIn{"O1.A", LinkEvidence, "CR", "https://intranet.example/cr"}, ""},
		{EvidenceIn{"O1.A", LinkEvidence, "CR", "javascript:alert(1)"}, "url"},
		{EvidenceIn{"O1.A", LinkEvidence, "CR", "/continuite"}, "url"},
		{EvidenceIn{"O1.C", RecordEvidence, "Couverture", "/continuite?org=3"}, ""},
		{EvidenceIn{"O1.C", RecordEvidence, "Couverture", "/continuite/activites/4"}, ""},
		{EvidenceIn{"O1.C", RecordEvidence, "Couverture", "//evil.example/continuite"}, "url"},
		{EvidenceIn{"O1.C", RecordEvidence, "Couverture", "/continuitex"}, "url"},
		{EvidenceIn{"O1.C", RecordEvidence, "Couverture", "/compte"}, "url"},
		{EvidenceIn{"O1.C", "photo", "x", ""}, "kind"},
		{EvidenceIn{"O1.C", LinkEvidence, " ", "https://a.example"}, "title"},
		{EvidenceIn{"", FileEvidence, "", ""}, "objective"},
	} {
		f := fields(CheckEvidence(tc.in))
		if (tc.bad == "") != (len(f) == 0) || (tc.bad != "" && !f[tc.bad]) {
			t.Errorf("%+v: %v, want %q", tc.in, f, tc.bad)
		}
	}
}

func TestCheckControlAndPayment(t *testing.T) {
	if f := fields(CheckControl(ControlPassed, "", 100, 100)); len(f) != 0 {
		t.Errorf("a full grant: %v", f)
	}
	for _, f := range []map[string]bool{
		fields(CheckControl(ControlPassed, "", 101, 100)), fields(CheckControl(ControlPassed, "", -1, 100)), fields(CheckControl(ControlFail, "non", 5, 100)),
	} {
		if !f["amount_granted"] {
			t.Errorf("a grant out of bounds passes: %v", f)
		}
	}
	if !fields(CheckControl(ControlFail, " ", 0, 100))["reason"] {
		t.Error("a failure without reason passes")
	}
	today := date("2030-12-01")
	if f := fields(CheckPayment(PaidOut, date("2030-12-01"), 100, 100, today)); len(f) != 0 {
		t.Errorf("a payment today: %v", f)
	}
	if !fields(CheckPayment(PaidOut, date("2030-12-02"), 100, 100, today))["paid_on"] || !fields(CheckPayment(PaidOut, today, 101, 100, today))["amount_paid"] ||
		!fields(CheckPayment("later", today, 0, 0, today))["status"] {
		t.Error("a bad payment passes")
	}
}

// A reminder is due in the two weeks before the deadline of the step the
// candidature waits for, never when the deadline is not published.
func TestReminderDue(t *testing.T) {
	d1, _ := shippedProgramme(t).Call("d1-2024")
	d2, _ := shippedProgramme(t).Call("d2-2025")
	for _, tc := range []struct {
		status string
		call   Call
		at     string
		step   string
	}{
		{Accepted, d1, "2025-06-10T00:00:00Z", ""},
		{Accepted, d1, "2025-06-17T00:00:00Z", Declaration},
		{Accepted, d1, "2025-07-01T00:00:00Z", ""}, // over
		{Declared, d1, "2025-09-20T00:00:00Z", Verification},
		{Verified, d1, "2025-12-20T00:00:00Z", Control},
		{Controlled, d1, "2026-06-20T00:00:00Z", Payment},
		{Paid, d1, "2026-06-20T00:00:00Z", ""},
		{Accepted, d2, "2026-06-20T00:00:00Z", ""}, // no published close
	} {
		r, due := ReminderDue(Candidacy{Status: tc.status}, tc.call, at(tc.at))
		if due != (tc.step != "") || (due && r.Step != tc.step) {
			t.Errorf("%s at %s: %+v %v, want %q", tc.status, tc.at, r, due, tc.step)
		}
	}
	if _, due := ReminderDue(Candidacy{Status: Controlled, PaymentStatus: PaidOut}, d1, at("2026-06-20T00:00:00Z")); due {
		t.Error("a paid candidature is reminded")
	}
}
