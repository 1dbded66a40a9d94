package maturity

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Status is where an assessment stands in its lifecycle.
type Status string

const (
	Draft     Status = "draft"     // being filled
	Review    Status = "review"    // submitted, awaiting the direction
	Validated Status = "validated" // signed off: counts in roll-ups, frozen
	Locked    Status = "locked"    // archived for good
)

// Editable reports whether answers may still change.
func (s Status) Editable() bool { return s == Draft || s == Review }

// Service is the self-assessment use cases. Its public methods load the
// establishment they work on through org.Load — for one assessment, the
// assessment with its establishment's id first (loadAssessment) — and pass the
// checked data to helpers that do not check again. The SQL is in store*.go.
type Service struct {
	DB *db.DB

	parsed sync.Map // questionnaire row id → Questionnaire: versions never change
}

// Assessment is one self-assessment of one establishment.
type Assessment struct {
	ID              int64
	OrgID           int64
	OrgName         string
	OrgPath         string
	QuestionnaireID int64
	Slug            string
	Version         int
	Kind            string
	Title           string
	Status          Status
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SubmittedAt     *time.Time
	ValidatedAt     *time.Time
	LockedAt        *time.Time
	Level           string
	Percent         *float64
}

// loadAssessment reads assessment id and loads its establishment for need: the
// one access check of every method on one assessment.
func loadAssessment(ctx context.Context, q db.Querier, id int64, need authz.Action) (Assessment, org.Org, error) {
	a, err := getAssessment(ctx, q, id)
	if err != nil {
		return Assessment{}, org.Org{}, err
	}
	o, err := org.Load(ctx, q, a.OrgID, need)
	if err != nil {
		return Assessment{}, org.Org{}, err
	}
	return a, o, nil
}

// Overview is what the self-assessment page shows: the visible assessments, the
// questionnaires to start one with and, when one was chosen, the establishment
// to start it for.
type Overview struct {
	Org         org.Org
	Assessments []Assessment
	Total       int
	Versions    []Version
	CanStart    bool // may run the programme somewhere
	CanContent  bool // may import questionnaires
}

// Overview reads the self-assessment page; orgID is the establishment chosen for
// a new assessment, 0 for none.
func (s *Service) Overview(ctx context.Context, orgID int64) (Overview, error) {
	sub := authz.Current(ctx)
	ov := Overview{CanStart: sub.CanAnywhere(authz.ProgrammeWrite), CanContent: sub.CanAnywhere(authz.ContentManage)}
	var err error
	if orgID != 0 {
		if ov.Org, err = org.Load(ctx, s.DB.Read, orgID, authz.OrgRead); err != nil {
			return Overview{}, err
		}
	}
	if ov.Assessments, ov.Total, err = s.List(ctx, Filter{Limit: 200}); err != nil {
		return Overview{}, err
	}
	ov.Versions, err = listVersions(ctx, s.DB.Read, false)
	return ov, err
}

// Filter narrows a list of assessments; the caller's scope always applies.
type Filter struct {
	OrgID         int64
	Slug          string
	Limit, Offset int
}

// List returns the visible assessments, newest first, and their count.
func (s *Service) List(ctx context.Context, f Filter) ([]Assessment, int, error) {
	return listAssessments(ctx, s.DB.Read, authz.Current(ctx).Scope(authz.OrgRead), f)
}

// Create starts an assessment of an establishment with a questionnaire version.
// An establishment the caller does not see, or a node that is not one, is a
// wrong field; one they see but may not run the programme of is forbidden.
func (s *Service) Create(ctx context.Context, questionnaireID, orgID int64) (Assessment, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var c problem.Checks
		o, err := org.Load(ctx, tx, orgID, authz.ProgrammeWrite)
		switch {
		case problem.Is(err, problem.NotFound):
			c.Add("org", "maturity.error.org_unknown")
		case err != nil:
			return err
		case !o.IsEstablishment():
			c.Add("org", "maturity.error.not_establishment")
		}
		q, err := s.questionnaire(ctx, tx, questionnaireID)
		if problem.Is(err, problem.NotFound) {
			c.Add("questionnaire", "maturity.error.questionnaire_unknown")
		} else if err != nil {
			return err
		}
		if err := c.Err(); err != nil {
			return err
		}
		by, now := db.NullID(authz.Current(ctx).UserID), db.Now()
		if id, err = insertAssessment(ctx, tx, o.ID, questionnaireID, by, now); err != nil {
			return err
		}
		inGHT, err := underGHT(ctx, tx, o)
		if err != nil {
			return err
		}
		for question, option := range FromRecord(q, o, inGHT) {
			if err := replaceAnswer(ctx, tx, id, Answer{QuestionID: question, OptionID: option, At: now}, by); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.create", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"questionnaire_id": {After: questionnaireID}, "org_id": {After: o.ID}}})
	})
	if err != nil {
		return Assessment{}, err
	}
	return getAssessment(ctx, s.DB.Read, id)
}

// Sheet is one assessment as its pages and the API show it, read with one access
// check: its establishment, its questionnaire version, the stored answers and
// their score, and what the caller may do with it.
type Sheet struct {
	Assessment    Assessment
	Org           org.Org
	Questionnaire Questionnaire
	Answers       map[string]Answer
	Result        Result
	CanWrite      bool         // may answer, submit, reopen
	CanSign       bool         // may validate, lock
	Evidence      []Evidence   // the files attached to the answers (Fill)
	Others        []Assessment // the establishment's other assessments with this questionnaire (Results)
}

// Open reads an assessment the caller may read, with its answers and result.
func (s *Service) Open(ctx context.Context, id int64) (Sheet, error) {
	a, o, err := loadAssessment(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Sheet{}, err
	}
	return s.sheet(ctx, s.DB.Read, a, o)
}

// Fill is Open with the files of the answers: the assessment's form.
func (s *Service) Fill(ctx context.Context, id int64) (Sheet, error) {
	sh, err := s.Open(ctx, id)
	if err != nil {
		return Sheet{}, err
	}
	sh.Evidence, err = listEvidence(ctx, s.DB.Read, id)
	return sh, err
}

// Results is Open with the establishment's other assessments with the same
// questionnaire, to compare with: the restitution.
func (s *Service) Results(ctx context.Context, id int64) (Sheet, error) {
	sh, err := s.Open(ctx, id)
	if err != nil {
		return Sheet{}, err
	}
	sh.Others, err = otherAssessments(ctx, s.DB.Read, sh.Org.ID, sh.Assessment.Slug, id)
	return sh, err
}

// sheet reads the questionnaire and answers of the checked assessment a of o.
func (s *Service) sheet(ctx context.Context, q db.Querier, a Assessment, o org.Org) (Sheet, error) {
	qn, err := s.questionnaire(ctx, q, a.QuestionnaireID)
	if err != nil {
		return Sheet{}, err
	}
	stored, err := listAnswers(ctx, q, a.ID)
	if err != nil {
		return Sheet{}, err
	}
	sub := authz.Current(ctx)
	return Sheet{Assessment: a, Org: o, Questionnaire: qn, Answers: stored, Result: qn.Score(Choices(stored)),
		CanWrite: sub.Can(authz.ProgrammeWrite, o.Path), CanSign: sub.Can(authz.SignOff, o.Path)}, nil
}

// KitLevel is the crisis-exercise kit level recommended to an establishment by its
// latest validated kit-level grid, for the capabilities that need it (they check
// their own access to the establishment).
func (s *Service) KitLevel(ctx context.Context, orgID int64) (level string, at time.Time, ok bool, err error) {
	return kitLevel(ctx, s.DB.Read, orgID)
}
