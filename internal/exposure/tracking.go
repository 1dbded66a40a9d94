package exposure

import "time"

// Finding statuses.
const (
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusFixed      = "fixed"
	StatusAccepted   = "accepted" // accepted risk, with a justification and an expiry
)

// Tracked is a finding as stored between scans.
type Tracked struct {
	Key           string
	Address       string
	Port          int
	Status        string
	AcceptedUntil *time.Time
}

// Transition kinds, as a scan sees them.
const (
	New      = "new"      // not seen before
	Seen     = "seen"     // still there, status unchanged
	Reopened = "reopened" // was fixed, is back
	Expired  = "expired"  // an accepted risk whose acceptance ran out, open again
	Fixed    = "fixed"    // was there, the scan looked and it is gone
)

// Transition is what a scan does to one finding.
type Transition struct {
	Kind    string
	Key     string
	From    string // status before ("" for new)
	To      string // status after
	Finding Finding
}

// Reconcile compares a complete scan's findings with the stored ones. A stored
// finding is fixed only when the scan covered its address and port and did not see
// it: a partial or failed scan must not be reconciled at all, and a port the scan did
// not look at says nothing.
func Reconcile(stored []Tracked, found []Finding, covered func(address string, port int) bool, now time.Time) []Transition {
	byKey := map[string]Tracked{}
	for _, t := range stored {
		byKey[t.Key] = t
	}
	seen := map[string]bool{}
	var out []Transition
	for _, f := range found {
		key := f.Key()
		if seen[key] {
			continue
		}
		seen[key] = true
		t, ok := byKey[key]
		switch {
		case !ok:
			out = append(out, Transition{Kind: New, Key: key, To: StatusOpen, Finding: f})
		case t.Status == StatusFixed:
			out = append(out, Transition{Kind: Reopened, Key: key, From: StatusFixed, To: StatusOpen, Finding: f})
		case t.Status == StatusAccepted && t.AcceptedUntil != nil && now.After(*t.AcceptedUntil):
			out = append(out, Transition{Kind: Expired, Key: key, From: StatusAccepted, To: StatusOpen, Finding: f})
		default:
			out = append(out, Transition{Kind: Seen, Key: key, From: t.Status, To: t.Status, Finding: f})
		}
	}
	for _, t := range stored {
		if seen[t.Key] || t.Status == StatusFixed || !covered(t.Address, t.Port) {
			continue
		}
		out = append(out, Transition{Kind: Fixed, Key: t.Key, From: t.Status, To: StatusFixed})
	}
	return out
}

// Level is the exposure level of an establishment, from 1 (worst) to 5, read from
// its findings that are open or in progress (accepted risks do not count):
//
//	1 — a critical finding on a service that must never face the Internet, or a
//	    critical vulnerability listed in CISA's KEV catalogue;
//	2 — another critical finding;
//	3 — a high finding;
//	4 — a medium finding;
//	5 — low findings or none.
func Level(active []Finding) int {
	level := 5
	for _, f := range active {
		l := 5
		switch f.Severity {
		case "critical":
			l = 2
			if f.Exposed || f.KEV {
				l = 1
			}
		case "high":
			l = 3
		case "medium":
			l = 4
		}
		level = min(level, l)
	}
	return level
}
