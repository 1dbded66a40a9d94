package directory

import (
	"context"
	"time"

	"care/internal/authz"
	orgs "care/internal/org"
)

// What the pages and the API read: each public method loads its node once
// (org.Load) and reads the rest without checking again.

// Overview is what the directory page shows of a node.
type Overview struct {
	Org       orgs.Org
	Audits    []AuditRow // newest first
	Tracked   []Tracked
	Source    Source
	RollUp    RollUp
	Auditable bool   // a GHT, an establishment or a site (not a region, not the nation)
	CanWrite  bool   // the caller may audit it
	ImportKey string // when CanWrite (made on first use)
}

// Overview gathers the page of node org: its audits, followed checkpoints,
// connection settings, the roll-up of its subtree and, for who may audit it, its
// import key.
func (s *Service) Overview(ctx context.Context, org int64) (Overview, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return Overview{}, err
	}
	v := Overview{Org: o, Auditable: auditable(o) == nil}
	if v.Audits, err = listAudits(ctx, s.DB.Read, o.ID); err != nil {
		return v, err
	}
	if v.Tracked, err = s.checkpoints(ctx, o.ID); err != nil {
		return v, err
	}
	if v.Source, _, _, err = getSource(ctx, s.DB.Read, o.ID); err != nil {
		return v, err
	}
	if v.RollUp, err = s.rollUp(ctx, o); err != nil {
		return v, err
	}
	v.CanWrite = v.Auditable && authz.Current(ctx).Check(authz.ProgrammeWrite, o.Path) == nil
	if v.CanWrite {
		v.ImportKey, err = s.importKey(ctx, o)
	}
	return v, err
}

// Audits lists an establishment's audits, newest first.
func (s *Service) Audits(ctx context.Context, org int64) ([]AuditRow, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	return listAudits(ctx, s.DB.Read, o.ID)
}

// Audit returns one audit with its results; absent and invisible look the same.
func (s *Service) Audit(ctx context.Context, id int64) (AuditDetail, error) {
	a, _, err := s.audit(ctx, id)
	return a, err
}

// Report is an audit as its page and exports show it: with its node and the
// follow-up of its checkpoints.
type Report struct {
	Audit   AuditDetail
	Org     orgs.Org
	Tracked []Tracked
}

// Report gathers audit id for its page, spreadsheet and PDF.
func (s *Service) Report(ctx context.Context, id int64) (Report, error) {
	a, o, err := s.audit(ctx, id)
	if err != nil {
		return Report{}, err
	}
	tracked, err := s.checkpoints(ctx, o.ID)
	return Report{Audit: a, Org: o, Tracked: tracked}, err
}

// audit reads audit id and loads its node for the caller.
func (s *Service) audit(ctx context.Context, id int64) (AuditDetail, orgs.Org, error) {
	a, err := getAudit(ctx, s.DB.Read, id)
	if err != nil {
		return AuditDetail{}, orgs.Org{}, err
	}
	o, err := orgs.Load(ctx, s.DB.Read, a.OrgID, authz.OrgRead)
	if err != nil {
		return AuditDetail{}, orgs.Org{}, err
	}
	return a, o, nil
}

// Latest is the establishment's most recent directory level, for other capabilities
// (funding indicators, roll-ups).
type Latest struct {
	Level       int
	CollectedAt time.Time
	AuditID     int64
}

// LatestLevel returns the level of the establishment's last audit; ok is false when
// it has none.
func (s *Service) LatestLevel(ctx context.Context, org int64) (l Latest, ok bool, err error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return l, false, err
	}
	return latestAudit(ctx, s.DB.Read, o.ID)
}
