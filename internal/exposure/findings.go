package exposure

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/problem"
)

// StoredFinding is a finding with its follow-up.
type StoredFinding struct {
	Finding
	ID            int64
	Status        string
	Justification string
	AcceptedUntil *time.Time
	FirstSeen     time.Time
	LastSeen      time.Time
	FixedAt       *time.Time
}

// FindingFilter narrows the findings list.
type FindingFilter struct {
	Status   string
	Severity string
}

// Findings lists an establishment's findings, worst first.
func (s *Service) Findings(ctx context.Context, orgID int64, f FindingFilter) ([]StoredFinding, error) {
	return readable(ctx, s, orgID, f.list)
}

// SetStatus moves a finding through the remediation workflow: in progress, or an
// accepted risk (with a justification and an expiry within a year), or back to open.
// Fixed is the scans' word, not the user's.
func (s *Service) SetStatus(ctx context.Context, id int64, status, justification string, until *time.Time) error {
	return s.SetStatuses(ctx, []int64{id}, status, justification, until)
}

// SetStatuses moves the findings ids — one weakness seen on several addresses,
// which the page shows as one row — to the same status, as SetStatus does for
// one: all of them or none.
func (s *Service) SetStatuses(ctx context.Context, ids []int64, status, justification string, until *time.Time) error {
	var c problem.Checks
	switch status {
	case StatusOpen, StatusInProgress:
	case StatusAccepted:
		if strings.TrimSpace(justification) == "" {
			c.Add("justification", "exposure.error.justification")
		}
		if until == nil || until.Before(time.Now()) || until.After(time.Now().AddDate(1, 0, 1)) {
			c.Add("accepted_until", "exposure.error.expiry")
		}
	default:
		c.Add("status", "exposure.error.status", status)
	}
	if err := c.Err(); err != nil {
		return err
	}
	if status != StatusAccepted {
		justification, until = "", nil
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			orgID, from, err := findingOwner(ctx, tx, id)
			if err != nil {
				return err
			}
			o, err := org.Load(ctx, tx, orgID, authz.ProgrammeWrite)
			if err != nil {
				return err
			}
			if from == StatusFixed {
				return problem.New(problem.Conflict, "exposure.error.fixed")
			}
			if err := setFindingStatus(ctx, tx, id, from, status, justification, until, authz.Current(ctx).Label()); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "exposure.finding_status", ObjectType: "exposure_finding", ObjectID: audit.ID(id), OrgPath: o.Path,
				Changes: map[string]audit.Change{"status": {Before: from, After: status}}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindingGroup is one weakness (a check on a port, in one status) seen on one
// address or several: the page shows it as one row with its addresses.
type FindingGroup struct {
	StoredFinding          // the first of the group
	IDs           []int64  // every finding of the group
	Addresses     []string // their addresses, in order
}

// Group gathers the findings of the same check on the same port and in the same
// status, in the order of their first occurrence.
func Group(findings []StoredFinding) []FindingGroup {
	var out []FindingGroup
	at := map[string]int{}
	for _, f := range findings {
		key := fmt.Sprintf("%s|%d|%s", f.Check, f.Port, f.Status)
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, FindingGroup{StoredFinding: f})
		}
		out[i].IDs = append(out[i].IDs, f.ID)
		out[i].Addresses = append(out[i].Addresses, f.Address)
	}
	return out
}

// Evidence is the platform's internal indicator inspired by Domaine 1 — two
// complete scans 45 to 60 days apart, and no critical finding open now — beside
// the programme's own indicator, which rests on SILENE audits (silene.go).
type Evidence struct {
	Met        bool
	FirstScan  *time.Time
	SecondScan *time.Time
	OpenCrit   int
	Level      *int
	Silene     SileneIndicator
}

// D1Evidence computes the indicator for an establishment, for other capabilities.
func (s *Service) D1Evidence(ctx context.Context, orgID int64) (Evidence, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return Evidence{}, err
	}
	scans, err := listScans(ctx, s.DB.Read, o.ID)
	if err != nil {
		return Evidence{}, err
	}
	silene, err := listSilene(ctx, s.DB.Read, o.ID)
	if err != nil {
		return Evidence{}, err
	}
	return s.evidence(ctx, o, scans, silene)
}

// evidence is the indicator of the checked node o, from its scans (newest first)
// and its SILENE audits.
func (s *Service) evidence(ctx context.Context, o org.Org, scans []ScanRow, silene []Silene) (Evidence, error) {
	open, err := countOpenCritical(ctx, s.DB.Read, o.ID)
	if err != nil {
		return Evidence{}, err
	}
	ev := indicator(scans, open)
	ev.Silene = sileneIndicator(silene, s.SileneMinimum)
	return ev, nil
}

// indicator finds the latest pair of finished scans 45 to 60 days apart among
// scans (newest first); the indicator is met with such a pair and no critical
// finding open.
func indicator(scans []ScanRow, openCritical int) Evidence {
	ev := Evidence{OpenCrit: openCritical}
	var done []ScanRow
	for _, sc := range scans {
		if sc.Status == "done" && sc.FinishedAt != nil {
			done = append(done, sc)
			if ev.Level == nil {
				ev.Level = sc.Level
			}
		}
	}
	for i := 0; i < len(done) && ev.FirstScan == nil; i++ {
		for j := i + 1; j < len(done); j++ {
			gap := done[i].FinishedAt.Sub(*done[j].FinishedAt)
			if gap >= 45*24*time.Hour && gap <= 60*24*time.Hour {
				ev.SecondScan, ev.FirstScan = done[i].FinishedAt, done[j].FinishedAt
				break
			}
		}
	}
	ev.Met = ev.FirstScan != nil && ev.OpenCrit == 0
	return ev
}
