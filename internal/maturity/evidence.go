package maturity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
