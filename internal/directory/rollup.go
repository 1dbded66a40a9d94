package directory

import (
	"context"
	"time"

	"care/internal/authz"
	orgs "care/internal/org"
)

// RollUpRow is one audited node of a subtree with its latest audit.
type RollUpRow struct {
	OrgID       int64
	Name        string
	Level       string // the node's level in the tree (ght, legal_entity, site)
	Domain      string
	AuditID     int64
	DomainLevel int
	CollectedAt time.Time
	Open        int // checkpoints to fix
}

// RollUp is the directory picture of a subtree (a GHT, a region, the nation):
// every audited node the caller may read, worst first, and how many sit at each level.
type RollUp struct {
	Rows    []RollUpRow
	ByLevel [6]int // index 1–5
}

// LevelCount is how many audited nodes sit at a level.
type LevelCount struct{ Level, Count int }

// Distribution lists the count of audited nodes at each level, 1 to 5.
func (r RollUp) Distribution() []LevelCount {
	out := make([]LevelCount, 0, 5)
	for l := 1; l <= 5; l++ {
		out = append(out, LevelCount{l, r.ByLevel[l]})
	}
	return out
}

// RollUp gathers the latest audit of every node in the subtree of org.
func (s *Service) RollUp(ctx context.Context, org int64) (RollUp, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return RollUp{}, err
	}
	return s.rollUp(ctx, o)
}

// rollUp is the roll-up of checked node o: the part of its subtree the caller reads.
func (s *Service) rollUp(ctx context.Context, o orgs.Org) (RollUp, error) {
	rows, err := rollUpRows(ctx, s.DB.Read, authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), o.Path))
	if err != nil {
		return RollUp{}, err
	}
	r := RollUp{Rows: rows}
	for _, row := range rows {
		if row.DomainLevel >= 1 && row.DomainLevel <= 5 {
			r.ByLevel[row.DomainLevel]++
		}
	}
	return r, nil
}
