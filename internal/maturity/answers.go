package maturity

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Answer is a stored answer.
type Answer struct {
	QuestionID string
	OptionID   string
	Comment    string
	By         string
	At         time.Time
}

// Choices turns stored answers into the option choices the scoring reads.
func Choices(stored map[string]Answer) Answers {
	a := Answers{}
	for qid, ans := range stored {
		if ans.OptionID != "" {
			a[qid] = ans.OptionID
		}
	}
	return a
}

// Change is one question's new answer: a nil field is left as it is.
type Change struct {
	Option  *string
	Comment *string
}

// MaxComment bounds a comment.
const MaxComment = 4000

// SaveAnswers applies changes to an editable assessment. The whole set is checked
// against the questionnaire first (known questions and options, no answer to a
// question the answers hide); if any is wrong nothing is written.
func (s *Service) SaveAnswers(ctx context.Context, id int64, changes map[string]Change) (Result, error) {
	var res Result
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, o, q, err := s.editable(ctx, tx, id)
		if err != nil {
			return err
		}
		stored, err := listAnswers(ctx, tx, id)
		if err != nil {
			return err
		}
		merged, err := checkChanges(q, stored, changes)
		if err != nil {
			return err
		}
		res = q.Score(merged)
		now := db.Now()
		written, diff := applyChanges(stored, changes, now)
		by := db.NullID(authz.Current(ctx).UserID)
		for _, an := range written {
			if err := replaceAnswer(ctx, tx, id, an, by); err != nil {
				return err
			}
		}
		if len(diff) == 0 {
			return nil
		}
		if err := touchAssessment(ctx, tx, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.answer", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: o.Path, Changes: diff})
	})
	return res, err
}

// checkChanges returns the choices stored answers make once changes apply, or
// every reason the changes are refused, each with its question.
func checkChanges(q Questionnaire, stored map[string]Answer, changes map[string]Change) (Answers, error) {
	merged := Choices(stored)
	var c problem.Checks
	ids := make([]string, 0, len(changes))
	for qid, ch := range changes {
		ids = append(ids, qid)
		if ch.Option != nil {
			merged[qid] = *ch.Option
			if *ch.Option == "" {
				delete(merged, qid)
			}
		}
		if ch.Comment != nil && len(*ch.Comment) > MaxComment {
			c.Add(qid, "maturity.error.comment_long", MaxComment)
		}
	}
	if err := q.CheckChanges(merged, ids); err != nil {
		e, _ := problem.As(err)
		for _, f := range e.Fields {
			c.Add(f.Field, f.Key, f.Args...)
		}
	}
	return merged, c.Err()
}

// applyChanges returns the answers that changes rewrite, in question order, and
// what moved, for the audit trail. An answer left as it was is not rewritten.
func applyChanges(stored map[string]Answer, changes map[string]Change, now time.Time) ([]Answer, map[string]audit.Change) {
	ids := make([]string, 0, len(changes))
	for qid := range changes {
		ids = append(ids, qid)
	}
	sort.Strings(ids)
	var written []Answer
	diff := map[string]audit.Change{}
	for _, qid := range ids {
		ch := changes[qid]
		old, had := stored[qid]
		next := old
		next.QuestionID, next.At = qid, now
		if ch.Option != nil {
			next.OptionID = *ch.Option
		}
		if ch.Comment != nil {
			next.Comment = strings.TrimSpace(*ch.Comment)
		}
		if had && next.OptionID == old.OptionID && next.Comment == old.Comment {
			continue
		}
		written = append(written, next)
		if next.OptionID != old.OptionID {
			diff[qid] = audit.Change{Before: old.OptionID, After: next.OptionID}
		}
		if next.Comment != old.Comment {
			diff[qid+".comment"] = audit.Change{Before: old.Comment, After: next.Comment}
		}
	}
	return written, diff
}
