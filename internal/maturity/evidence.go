package maturity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// MaxEvidenceSize bounds one evidence file.
const MaxEvidenceSize = 5 << 20

// evidenceTypes are the accepted file kinds: by extension, with the content types the
// file's first bytes may be sniffed as. Office files are zip archives.
var evidenceTypes = map[string]struct {
	contentType string
	sniffed     []string
}{
	".pdf":  {"application/pdf", []string{"application/pdf"}},
	".png":  {"image/png", []string{"image/png"}},
	".jpg":  {"image/jpeg", []string{"image/jpeg"}},
	".jpeg": {"image/jpeg", []string{"image/jpeg"}},
	".txt":  {"text/plain; charset=utf-8", []string{"text/plain; charset=utf-8"}},
	".csv":  {"text/csv; charset=utf-8", []string{"text/plain; charset=utf-8"}},
	".odt":  {"application/vnd.oasis.opendocument.text", []string{"application/zip"}},
	".ods":  {"application/vnd.oasis.opendocument.spreadsheet", []string{"application/zip"}},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{"application/zip"}},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{"application/zip"}},
}

// Evidence is a file attached to an answer.
type Evidence struct {
	ID          int64
	QuestionID  string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	By          string
	At          time.Time
}

// cleanName keeps a file's base name, printable and bounded.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	for utf8.RuneCountInString(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// checkEvidence returns the content type to store for a file, or why it is refused:
// the extension must be one we accept and the content must look like it.
func checkEvidence(name string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", problem.New(problem.Invalid, "maturity.error.evidence_empty")
	}
	if len(data) > MaxEvidenceSize {
		return "", problem.New(problem.TooLarge, "maturity.error.evidence_size", MaxEvidenceSize>>20)
	}
	kind, ok := evidenceTypes[strings.ToLower(filepath.Ext(name))]
	if !ok {
		return "", problem.New(problem.Invalid, "maturity.error.evidence_type", filepath.Ext(name))
	}
	sniffed := http.DetectContentType(data)
	for _, s := range kind.sniffed {
		if sniffed == s {
			return kind.contentType, nil
		}
	}
	return "", problem.New(problem.Invalid, "maturity.error.evidence_content", filepath.Ext(name))
}

// AddEvidence attaches a file to the answer of question qid.
func (s *Service) AddEvidence(ctx context.Context, id int64, qid, name string, data []byte) (Evidence, error) {
	name = cleanName(name)
	ctype, err := checkEvidence(name, data)
	if err != nil {
		return Evidence{}, err
	}
	sum := sha256.Sum256(data)
	ev := Evidence{QuestionID: qid, Filename: name, ContentType: ctype, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), At: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, q, err := s.editable(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if _, _, ok := q.Question(qid); !ok {
			return problem.New(problem.Invalid, "maturity.error.unknown_question", qid)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO evidence (assessment_id, question_id, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, id, qid, ev.Filename, ev.ContentType, ev.Size, ev.SHA256, data, nullID(subject(ctx).UserID), ev.At).Scan(&ev.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.evidence_add", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: a.OrgPath,
			Changes: map[string]audit.Change{qid + ".evidence": {After: ev.Filename + " (" + ev.SHA256[:12] + ")"}}})
	})
	return ev, err
}

// EvidenceList lists the files of an assessment the caller may read.
func (s *Service) EvidenceList(ctx context.Context, id int64) ([]Evidence, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT e.id, e.question_id, e.filename, e.content_type, e.size, e.sha256, COALESCE(u.name, ''), e.uploaded_at
		FROM evidence e LEFT JOIN users u ON u.id = e.uploaded_by WHERE e.assessment_id = $1 ORDER BY e.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.QuestionID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.By, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceFile returns one file of an assessment the caller may read.
func (s *Service) EvidenceFile(ctx context.Context, id, evidenceID int64) (Evidence, []byte, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Evidence{}, nil, err
	}
	var e Evidence
	var data []byte
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, question_id, filename, content_type, size, sha256, data FROM evidence WHERE id = $1 AND assessment_id = $2`,
		evidenceID, id).Scan(&e.ID, &e.QuestionID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Evidence{}, nil, problem.ErrNotFound
	}
	return e, data, err
}

// DeleteEvidence removes a file from an editable assessment.
func (s *Service) DeleteEvidence(ctx context.Context, id, evidenceID int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, _, err := s.editable(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		var name, qid string
		err = tx.QueryRowContext(ctx, "SELECT filename, question_id FROM evidence WHERE id = $1 AND assessment_id = $2", evidenceID, id).Scan(&name, &qid)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM evidence WHERE id = $1", evidenceID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.evidence_delete", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: a.OrgPath,
			Changes: map[string]audit.Change{qid + ".evidence": {Before: name}}})
	})
}
