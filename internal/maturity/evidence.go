package maturity

import (
	"context"
	"database/sql"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// Evidence is a file attached to an answer.
type Evidence struct {
	ID         int64
	QuestionID string
	docs.Attachment
	By string
	At time.Time
}

// AddEvidence attaches a file to the answer of question qid.
func (s *Service) AddEvidence(ctx context.Context, id int64, qid, name string, data []byte) (Evidence, error) {
	a, err := docs.Attach(name, data)
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{QuestionID: qid, Attachment: a, At: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, o, q, err := s.editable(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, _, ok := q.Question(qid); !ok {
			return problem.New(problem.Invalid, "maturity.error.unknown_question", qid)
		}
		if err := insertEvidence(ctx, tx, id, &ev, data, db.NullID(authz.Current(ctx).UserID)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.evidence_add", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{qid + ".evidence": {After: ev.Filename + " (" + ev.SHA256[:12] + ")"}}})
	})
	return ev, err
}

// EvidenceList lists the files of an assessment the caller may read.
func (s *Service) EvidenceList(ctx context.Context, id int64) ([]Evidence, error) {
	if _, _, err := loadAssessment(ctx, s.DB.Read, id, authz.OrgRead); err != nil {
		return nil, err
	}
	return listEvidence(ctx, s.DB.Read, id)
}

// EvidenceFile returns one file of an assessment the caller may read.
func (s *Service) EvidenceFile(ctx context.Context, id, evidenceID int64) (Evidence, []byte, error) {
	if _, _, err := loadAssessment(ctx, s.DB.Read, id, authz.OrgRead); err != nil {
		return Evidence{}, nil, err
	}
	return evidenceFile(ctx, s.DB.Read, id, evidenceID)
}

// DeleteEvidence removes a file from an editable assessment.
func (s *Service) DeleteEvidence(ctx context.Context, id, evidenceID int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, o, _, err := s.editable(ctx, tx, id)
		if err != nil {
			return err
		}
		name, qid, err := deleteEvidence(ctx, tx, id, evidenceID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.evidence_delete", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{qid + ".evidence": {Before: name}}})
	})
}
