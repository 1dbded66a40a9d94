package exposure

import (
	"testing"
	"time"
)

func TestReconcile(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Hour)
	stored := []Tracked{
		{Key: "1.2.3.4|3389|rdp", Address: "1.2.3.4", Port: 3389, Status: StatusOpen},
		{Key: "1.2.3.4|22|ssh-old-version", Address: "1.2.3.4", Port: 22, Status: StatusFixed},
		{Key: "1.2.3.4|443|cert-expiring", Address: "1.2.3.4", Port: 443, Status: StatusAccepted, AcceptedUntil: &past},
		{Key: "1.2.3.5|21|ftp", Address: "1.2.3.5", Port: 21, Status: StatusInProgress}, // the scan did not look at 1.2.3.5
		{Key: "1.2.3.4|445|smb", Address: "1.2.3.4", Port: 445, Status: StatusInProgress},
	}
	found := []Finding{
		{Address: "1.2.3.4", Port: 22, Check: "ssh-old-version"},
		{Address: "1.2.3.4", Port: 443, Check: "cert-expiring"},
		{Address: "1.2.3.4", Port: 445, Check: "smb"},
		{Address: "1.2.3.4", Port: 80, Check: "http-no-csp"},
	}
	covered := func(a string, p int) bool { return a == "1.2.3.4" }
	got := map[string]string{}
	for _, tr := range Reconcile(stored, found, covered, now) {
		got[tr.Key] = tr.Kind + ":" + tr.To
	}
	want := map[string]string{
		"1.2.3.4|3389|rdp":           "fixed:fixed",
		"1.2.3.4|22|ssh-old-version": "reopened:open",
		"1.2.3.4|443|cert-expiring":  "expired:open",
		"1.2.3.4|445|smb":            "seen:in_progress",
		"1.2.3.4|80|http-no-csp":     "new:open",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["1.2.3.5|21|ftp"]; ok {
		t.Error("a finding on an address the scan did not cover changed")
	}
}

func TestLevel(t *testing.T) {
	cases := []struct {
		f    []Finding
		want int
	}{
		{nil, 5},
		{[]Finding{{Severity: "low"}}, 5},
		{[]Finding{{Severity: "medium"}, {Severity: "low"}}, 4},
		{[]Finding{{Severity: "high"}, {Severity: "medium"}}, 3},
		{[]Finding{{Severity: "critical"}}, 2},
		{[]Finding{{Severity: "critical", Exposed: true}}, 1},
		{[]Finding{{Severity: "critical", KEV: true}, {Severity: "low"}}, 1},
	}
	for _, c := range cases {
		if got := Level(c.f); got != c.want {
			t.Errorf("%+v: level %d, want %d", c.f, got, c.want)
		}
	}
}
