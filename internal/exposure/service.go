package exposure

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Service is the exposure audit of establishments: inventory, scans, findings.
// Its public methods load and check the establishment (org.Load) and then work on
// the checked node; the SQL is in store.go.
type Service struct {
	DB *db.DB
	// LabAllowed lets administrators scan non-public addresses (tests, demos).
	LabAllowed bool
	// Resolver looks the inventory's names up; net.DefaultResolver when nil.
	Resolver Resolver
	// Options tune the scanner (ports are set per scan).
	Options Options
	// SileneMinimum is the SILENE level the programme's Domaine 1 indicator asks
	// to keep; 0 while the instance does not know it (the threshold is not public).
	SileneMinimum int
	// Heartbeat is how often a running scan records its progress and looks for a
	// cancel request from another instance; 2 s when zero.
	Heartbeat time.Duration

	mu      sync.Mutex
	running map[int64]context.CancelFunc
	wg      sync.WaitGroup
}

// Overview is what the exposure page shows of one establishment, read with one
// access check.
type Overview struct {
	Org      org.Org
	Targets  []InventoryTarget
	Scans    []ScanRow
	Findings []StoredFinding
	Silene   []Silene // newest first
	Evidence Evidence
	CanWrite bool
}

// Overview reads an establishment's inventory, scans, findings (narrowed by f)
// and indicator.
func (s *Service) Overview(ctx context.Context, id int64, f FindingFilter) (Overview, error) {
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Overview{}, err
	}
	ov := Overview{Org: o, CanWrite: authz.Current(ctx).Can(authz.ProgrammeWrite, o.Path)}
	if ov.Targets, err = listTargets(ctx, s.DB.Read, o.ID); err != nil {
		return Overview{}, err
	}
	if ov.Scans, err = listScans(ctx, s.DB.Read, o.ID); err != nil {
		return Overview{}, err
	}
	if ov.Findings, err = listFindings(ctx, s.DB.Read, o.ID, f); err != nil {
		return Overview{}, err
	}
	if ov.Silene, err = listSilene(ctx, s.DB.Read, o.ID); err != nil {
		return Overview{}, err
	}
	ov.Evidence, err = s.evidence(ctx, o, ov.Scans, ov.Silene)
	return ov, err
}

// ---- inventory ----

// InventoryTarget is a declared target.
type InventoryTarget struct {
	ID         int64
	OrgID      int64
	Value      string
	Owner      string
	AttestedAt time.Time
	AttestedBy string
}

// AddTarget declares a target for an establishment. The declarant attests that the
// establishment may have it scanned.
func (s *Service) AddTarget(ctx context.Context, orgID int64, value, owner string, attested bool) (InventoryTarget, error) {
	t, err := ParseTarget(value)
	var c problem.Checks
	if err != nil {
		e, _ := problem.As(err)
		c.Add("value", e.Key, e.Args...)
	}
	if !attested {
		c.Add("attested", "exposure.error.attestation")
	}
	if err := c.Err(); err != nil {
		return InventoryTarget{}, err
	}
	it := InventoryTarget{OrgID: orgID, Value: t.Raw, Owner: strings.TrimSpace(owner), AttestedAt: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, orgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		added, err := insertTarget(ctx, tx, &it, db.NullID(authz.Current(ctx).UserID))
		if err != nil {
			return err
		}
		if !added {
			c.Add("value", "exposure.error.duplicate", it.Value)
			return c.Err()
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.target_add", ObjectType: "exposure_target", ObjectID: audit.ID(it.ID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"value": {After: it.Value}, "attested": {After: true}}})
	})
	return it, err
}

// Targets lists an establishment's declared targets.
func (s *Service) Targets(ctx context.Context, orgID int64) ([]InventoryTarget, error) {
	return readable(ctx, s, orgID, listTargets)
}

// readable lists what list reads of an establishment the caller may read (its
// node loaded with authz.OrgRead: absent and invisible read the same).
func readable[T any](ctx context.Context, s *Service, orgID int64, list func(context.Context, db.Querier, int64) ([]T, error)) ([]T, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return list(ctx, s.DB.Read, o.ID)
}
