package maturity

import (
	"context"
	"database/sql"
	"slices"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// editable loads assessment id for a change of its answers or files, with its
// questionnaire: the caller must run its establishment's programme, and the
// assessment must not be validated yet.
func (s *Service) editable(ctx context.Context, tx *sql.Tx, id int64) (Assessment, org.Org, Questionnaire, error) {
	a, o, err := loadAssessment(ctx, tx, id, authz.ProgrammeWrite)
	if err != nil {
		return Assessment{}, org.Org{}, Questionnaire{}, err
	}
	if !a.Status.Editable() {
		return Assessment{}, org.Org{}, Questionnaire{}, problem.New(problem.Conflict, "maturity.error.frozen")
	}
	q, err := s.questionnaire(ctx, tx, a.QuestionnaireID)
	return a, o, q, err
}

// step is one move of the lifecycle: the statuses it leaves, the one it reaches,
// what the caller needs on the establishment, and what it writes besides.
type step struct {
	from  []Status
	to    Status
	need  authz.Action
	apply func(ctx context.Context, tx *sql.Tx, a Assessment, q Questionnaire) error
}

// move loads assessment id for the step's need and takes the step.
func (s *Service) move(ctx context.Context, id int64, st step) (Assessment, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, o, err := loadAssessment(ctx, tx, id, st.need)
		if err != nil {
			return err
		}
		if !slices.Contains(st.from, a.Status) {
			return problem.New(problem.Conflict, "maturity.error.transition", string(a.Status), string(st.to))
		}
		q, err := s.questionnaire(ctx, tx, a.QuestionnaireID)
		if err != nil {
			return err
		}
		if st.apply != nil {
			if err := st.apply(ctx, tx, a, q); err != nil {
				return err
			}
		}
		if err := setStatus(ctx, tx, id, st.to, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment." + string(st.to), ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"status": {Before: string(a.Status), After: string(st.to)}}})
	})
	if err != nil {
		return Assessment{}, err
	}
	return getAssessment(ctx, s.DB.Read, id)
}

// Submit sends a complete draft for review: every visible question must be answered
// ("je ne sais pas" is an answer).
func (s *Service) Submit(ctx context.Context, id int64) (Assessment, error) {
	return s.move(ctx, id, step{from: []Status{Draft}, to: Review, need: authz.ProgrammeWrite, apply: checkComplete})
}

// Reopen sends an assessment under review back to draft.
func (s *Service) Reopen(ctx context.Context, id int64) (Assessment, error) {
	return s.move(ctx, id, step{from: []Status{Review}, to: Draft, need: authz.ProgrammeWrite})
}

// Validate signs off an assessment under review. Its result is frozen, and it becomes
// the establishment's latest validated assessment for this questionnaire.
func (s *Service) Validate(ctx context.Context, id int64) (Assessment, error) {
	return s.move(ctx, id, step{from: []Status{Review}, to: Validated, need: authz.SignOff, apply: freezeResult})
}

// Lock archives a validated assessment for good.
func (s *Service) Lock(ctx context.Context, id int64) (Assessment, error) {
	return s.move(ctx, id, step{from: []Status{Validated}, to: Locked, need: authz.SignOff})
}

// Move takes assessment id to status to: Submit, Reopen, Validate or Lock.
func (s *Service) Move(ctx context.Context, id int64, to Status) (Assessment, error) {
	switch to {
	case Review:
		return s.Submit(ctx, id)
	case Draft:
		return s.Reopen(ctx, id)
	case Validated:
		return s.Validate(ctx, id)
	case Locked:
		return s.Lock(ctx, id)
	}
	return Assessment{}, problem.ErrNotFound
}

func checkComplete(ctx context.Context, tx *sql.Tx, a Assessment, q Questionnaire) error {
	stored, err := listAnswers(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	if r := q.Score(Choices(stored)); r.Answered < r.Visible {
		return problem.New(problem.Invalid, "maturity.error.incomplete", r.Visible-r.Answered)
	}
	return nil
}

func freezeResult(ctx context.Context, tx *sql.Tx, a Assessment, q Questionnaire) error {
	stored, err := listAnswers(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	r := q.Score(Choices(stored))
	level := ""
	if r.Level != nil {
		level = r.Level.Code
	}
	return freeze(ctx, tx, a, level, r.Percent, formatThemes(r.Themes), db.NullID(authz.Current(ctx).UserID))
}
