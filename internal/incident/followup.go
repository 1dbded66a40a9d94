package incident

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The follow-up of a submitted incident: the shared timeline, CERT Santé's
// qualification, the sharing, the portal record, the links, the closure.

// AddEntry adds an entry to the shared timeline of a submitted incident, from
// the establishment's side or CERT Santé's.
func (s *Service) AddEntry(ctx context.Context, id int64, text string) (Entry, error) {
	text = strings.TrimSpace(text)
	now := s.now()
	sub := authz.Current(ctx)
	var e Entry
	_, err := s.change(ctx, id, needFollow, func(tx *sql.Tx, i Incident) error {
		if err := CheckEntry(text); err != nil {
			return err
		}
		if err := followed(i); err != nil {
			return err
		}
		e = Entry{Side: sideOf(sub, i.OrgPath), Text: text, Author: sub.Name, CreatedAt: now}
		var err error
		if e.ID, err = insertEntry(ctx, tx, id, e.Side, text, sub.UserID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.entry", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"side": {After: e.Side}}})
	})
	return e, err
}

// Qualify records CERT Santé's qualification of a submitted (or already
// qualified) incident: severity and category.
func (s *Service) Qualify(ctx context.Context, id int64, severity, category string) (Incident, error) {
	now := s.now()
	return s.change(ctx, id, needHandle, func(tx *sql.Tx, i Incident) error {
		if err := CheckQualification(severity, category); err != nil {
			return err
		}
		if err := followed(i); err != nil {
			return err
		}
		if err := moved(setStatus(ctx, tx, id, i.Status, Qualified, "severity = $1, qualified_category = $2, qualified_by = $3, qualified_at = $4, updated_at = $4,",
			severity, category, db.NullID(authz.Current(ctx).UserID), now)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.qualify", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: i.Status, After: Qualified}, "severity": {Before: i.Severity, After: severity},
				"category": {Before: i.QualifiedCategory, After: category}}})
	})
}

// Close closes a submitted or qualified incident (either side). The sharing
// with CERT Santé ends with it.
func (s *Service) Close(ctx context.Context, id int64) (Incident, error) {
	now := s.now()
	return s.change(ctx, id, needFollow, func(tx *sql.Tx, i Incident) error {
		if err := followed(i); err != nil {
			return err
		}
		if err := moved(setStatus(ctx, tx, id, i.Status, Closed, "closed_by = $1, closed_at = $2, updated_at = $2, shared = $3,",
			db.NullID(authz.Current(ctx).UserID), now, false)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.close", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: i.Status, After: Closed}, "shared": {Before: i.Shared, After: false}}})
	})
}

// Share opens (or closes) the establishment's other pages — assessments,
// plans, audits — to CERT Santé for this incident, until it is closed (the
// establishment's declarants).
func (s *Service) Share(ctx context.Context, id int64, on bool) (Incident, error) {
	return s.change(ctx, id, needDeclare, func(tx *sql.Tx, i Incident) error {
		if err := followed(i); err != nil {
			return err
		}
		if err := update(ctx, tx, id, "share", "shared = $1, updated_at = $2", on, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.share", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"shared": {Before: i.Shared, After: on}}})
	})
}

// RecordPortal records that the declaration was made on the national
// reporting portal: when, and under which reference (the declarants).
func (s *Service) RecordPortal(ctx context.Context, id int64, at time.Time, reference string) (Incident, error) {
	reference = strings.TrimSpace(reference)
	now := s.now()
	return s.change(ctx, id, needDeclare, func(tx *sql.Tx, i Incident) error {
		if err := CheckPortal(at, reference, now); err != nil {
			return err
		}
		if i.Status == Draft {
			return problem.New(problem.Conflict, "incident.error.step.draft")
		}
		if err := update(ctx, tx, id, "portal record", "portal_at = $1, portal_by = $2, portal_reference = $3, updated_at = $4",
			at.UTC(), db.NullID(authz.Current(ctx).UserID), reference, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.portal", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"reference": {Before: i.PortalReference, After: reference}}})
	})
}

// Link records the exercise whose RETEX this incident relates to and the PCRA
// version activated (0 removes a link); the ids are those of the other
// capabilities, shown as links (the declarants).
func (s *Service) Link(ctx context.Context, id, exercise int64, pcraVersion int) (Incident, error) {
	return s.change(ctx, id, needDeclare, func(tx *sql.Tx, i Incident) error {
		if exercise < 0 || pcraVersion < 0 {
			var c problem.Checks
			c.Add("exercise", "incident.error.link")
			return c.Err()
		}
		if err := update(ctx, tx, id, "links", "exercise_id = $1, pcra_version = $2, updated_at = $3", db.NullID(exercise), db.NullID(int64(pcraVersion)), s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.link", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"exercise": {Before: i.ExerciseID, After: exercise}, "pcra_version": {Before: i.PCRAVersion, After: pcraVersion}}})
	})
}
