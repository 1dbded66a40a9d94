package directory

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/problem"
)

// Tracked is a checkpoint followed across audits.
type Tracked struct {
	CheckID    string
	Level      int
	Status     string // open or fixed
	Objects    int
	FirstAudit int64
	LastAudit  int64
	FixedAudit *int64
	Owner      string
	DueOn      string
	Note       string
}

// Checkpoints lists an establishment's followed checkpoints, open ones first by level.
func (s *Service) Checkpoints(ctx context.Context, org int64) ([]Tracked, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return s.checkpoints(ctx, o.ID)
}

// checkpoints lists the followed checkpoints of a checked node, open ones first,
// then by level, then in catalogue order.
func (s *Service) checkpoints(ctx context.Context, org int64) ([]Tracked, error) {
	out, err := listCheckpoints(ctx, s.DB.Read, org)
	if err != nil {
		return nil, err
	}
	rank := checkpointRank()
	for i := range out {
		if r, ok := rank[out[i].CheckID]; ok {
			out[i].Level = checkpoints[r].level
		}
	}
	slices.SortFunc(out, func(a, b Tracked) int {
		if (a.Status == "open") != (b.Status == "open") {
			if a.Status == "open" {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(rank[a.CheckID], rank[b.CheckID]))
	})
	return out, nil
}

// SetFollowUp records who fixes an open checkpoint, by when, and a note.
func (s *Service) SetFollowUp(ctx context.Context, org int64, checkID, owner, dueOn, note string) error {
	owner, dueOn, note = strings.TrimSpace(owner), strings.TrimSpace(dueOn), strings.TrimSpace(note)
	var c problem.Checks
	if len(owner) > 200 {
		c.Add("owner", "directory.error.owner")
	}
	if dueOn != "" {
		if _, err := time.Parse("2006-01-02", dueOn); err != nil {
			c.Add("due_on", "directory.error.due_on")
		}
	}
	if len(note) > 2000 {
		c.Add("note", "directory.error.note")
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.write(ctx, org, func(tx *sql.Tx, o orgs.Org) error {
		before, err := getFollowUp(ctx, tx, o.ID, checkID)
		if err != nil {
			return err
		}
		if before.Status != "open" {
			return problem.New(problem.Conflict, "directory.error.not_open")
		}
		if err := setFollowUp(ctx, tx, o.ID, checkID, owner, dueOn, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.follow_up", ObjectType: "directory_checkpoint", ObjectID: checkID, OrgPath: o.Path,
			Changes: map[string]audit.Change{"owner": {Before: before.Owner, After: owner}, "due_on": {Before: before.DueOn, After: dueOn}, "note": {Before: before.Note, After: note}}})
	})
}
