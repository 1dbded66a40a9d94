package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

// Document is the declaration as submitted, read from the copy frozen at
// submission — never from the incident as it is now — followed by what came
// later (qualification, portal record, timeline, attachments), each shown as
// an addition after the declaration.
func (s *Service) Document(ctx context.Context, id int64, l i18n.Lang) (docs.Doc, error) {
	i, err := load(ctx, s.DB.Read, id, needRead)
	if err != nil {
		return docs.Doc{}, err
	}
	if i.Status == Draft || i.Snapshot == "" {
		return docs.Doc{}, problem.New(problem.Conflict, "incident.error.step.draft")
	}
	var f Frozen
	if err := json.Unmarshal([]byte(i.Snapshot), &f); err != nil {
		return docs.Doc{}, fmt.Errorf("incident: frozen declaration of %d: %w", id, err)
	}
	entries, err := listEntries(ctx, s.DB.Read, id)
	if err != nil {
		return docs.Doc{}, err
	}
	files, err := listAttachments(ctx, s.DB.Read, id)
	if err != nil {
		return docs.Doc{}, err
	}
	return declarationDoc(i, f, entries, files, l), nil
}

// declarationDoc builds the document: the frozen declaration, then the
// additions.
func declarationDoc(i Incident, f Frozen, entries []Entry, files []File, l i18n.Lang) docs.Doc {
	d := docs.Doc{Title: l.T("incident.pdf_title", f.Org), Subtitle: l.T("incident.pdf_subtitle", f.SubmittedAt.Local().Format("02/01/2006 15:04"), f.SubmittedBy), Lang: string(l)}
	d.H(1, l.T("incident.pdf_as_submitted"))
	frozen := Incident{OrgName: f.Org, Declaration: f.Declaration}
	var rows [][]string
	for _, line := range CopySummary(frozen, l.T) {
		rows = append(rows, []string{l.T(line.Key), line.Value})
	}
	d.Table([]string{l.T("incident.field"), l.T("incident.value")}, rows)
	d.H(1, l.T("incident.pdf_later"))
	d.P(l.T("incident.pdf_later_hint"))
	var later []string
	if i.QualifiedAt != nil {
		later = append(later, l.T("incident.pdf_qualified", i.QualifiedAt.Local().Format("02/01/2006 15:04"), i.QualifiedBy,
			l.T("incident.severity."+i.Severity), l.T("incident.category."+i.QualifiedCategory)))
	}
	if i.PortalAt != nil {
		later = append(later, l.T("incident.portal_record", i.PortalAt.Local().Format("02/01/2006"), i.PortalBy, i.PortalReference))
	}
	if i.ClosedAt != nil {
		later = append(later, l.T("incident.pdf_closed", i.ClosedAt.Local().Format("02/01/2006 15:04"), i.ClosedBy))
	}
	for _, e := range entries {
		later = append(later, fmt.Sprintf("%s — %s (%s) : %s", e.CreatedAt.Local().Format("02/01/2006 15:04"), e.Author, l.T("incident.side."+e.Side), e.Text))
	}
	for _, file := range files {
		later = append(later, l.T("incident.pdf_file", file.CreatedAt.Local().Format("02/01/2006 15:04"), file.Author, file.Filename))
	}
	if len(later) == 0 {
		d.P(l.T("incident.pdf_nothing_later"))
	} else {
		d.List(later...)
	}
	return d
}

// File is an attachment of an incident.
type File struct {
	ID int64
	docs.Attachment
	Side      string
	Author    string
	CreatedAt time.Time
}

// Attach adds a file to a submitted, open incident (either side).
func (s *Service) Attach(ctx context.Context, id int64, name string, data []byte) (File, error) {
	a, err := docs.Attach(name, data)
	if err != nil {
		return File{}, err
	}
	now := s.now()
	sub := authz.Current(ctx)
	f := File{Attachment: a, Author: sub.Name, CreatedAt: now}
	_, err = s.change(ctx, id, needFollow, func(tx *sql.Tx, i Incident) error {
		if err := followed(i); err != nil {
			return err
		}
		f.Side = sideOf(sub, i.OrgPath)
		if err := tx.QueryRowContext(ctx, `INSERT INTO incident_attachments (incident_id, side, filename, content_type, size, sha256, data, author_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, id, f.Side, a.Filename, a.ContentType, a.Size, a.SHA256, data, db.NullID(sub.UserID), now).Scan(&f.ID); err != nil {
			return fmt.Errorf("incident: attach %q to %d: %w", a.Filename, id, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.attach", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"file": {After: a.Filename}, "sha256": {After: a.SHA256}}})
	})
	return f, err
}

// Files lists the attachments of an incident the caller sees.
func (s *Service) Files(ctx context.Context, id int64) ([]File, error) {
	if _, err := load(ctx, s.DB.Read, id, needRead); err != nil {
		return nil, err
	}
	return listAttachments(ctx, s.DB.Read, id)
}

// File reads attachment fid of incident id, with its bytes.
func (s *Service) File(ctx context.Context, id, fid int64) (File, []byte, error) {
	if _, err := load(ctx, s.DB.Read, id, needRead); err != nil {
		return File{}, nil, err
	}
	var f File
	var data []byte
	err := s.DB.Read.QueryRowContext(ctx, `SELECT a.id, a.side, a.filename, a.content_type, a.size, a.sha256, COALESCE(u.name, ''), a.created_at, a.data
FROM incident_attachments a LEFT JOIN users u ON u.id = a.author_id WHERE a.id = $1 AND a.incident_id = $2`, fid, id).
		Scan(&f.ID, &f.Side, &f.Filename, &f.ContentType, &f.Size, &f.SHA256, &f.Author, &f.CreatedAt, &data)
	if err == sql.ErrNoRows {
		return File{}, nil, problem.ErrNotFound
	}
	if err != nil {
		return File{}, nil, fmt.Errorf("incident: read attachment %d of %d: %w", fid, id, err)
	}
	return f, data, nil
}

func listAttachments(ctx context.Context, q db.Querier, id int64) ([]File, error) {
	return db.List(ctx, q, fmt.Sprintf("incident: attachments of %d", id), func(row db.Row) (File, error) {
		var f File
		return f, row.Scan(&f.ID, &f.Side, &f.Filename, &f.ContentType, &f.Size, &f.SHA256, &f.Author, &f.CreatedAt)
	}, `SELECT a.id, a.side, a.filename, a.content_type, a.size, a.sha256, COALESCE(u.name, ''), a.created_at
FROM incident_attachments a LEFT JOIN users u ON u.id = a.author_id WHERE a.incident_id = $1 ORDER BY a.created_at, a.id`, id)
}
