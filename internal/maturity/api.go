package maturity

import (
	"context"
	"io"
	"net/http"
	"time"

	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// QuestionnaireJSON is a questionnaire version in a list.
type QuestionnaireJSON struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
}

type optionJSON struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Value   *int   `json:"value"`
	Special string `json:"special,omitempty"`
}

type questionJSON struct {
	ID       string       `json:"id"`
	Text     string       `json:"text"`
	Help     string       `json:"help,omitempty"`
	Weight   int          `json:"weight"`
	Tags     []string     `json:"tags"`
	ShowIf   *ShowIf      `json:"show_if"`
	Options  []optionJSON `json:"options"`
	Measures []string     `json:"measures"`
}

type themeJSON struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Questions []questionJSON `json:"questions"`
}

type levelJSON struct {
	Code  string  `json:"code"`
	Label string  `json:"label"`
	Min   float64 `json:"min"`
}

// APIQuestionnaires answers GET /api/v1/questionnaires (latest versions; ?all=true for all).
func (h *Handler) APIQuestionnaires(w http.ResponseWriter, r *http.Request) {
	versions, err := h.Assessments.Versions(r.Context(), r.URL.Query().Get("all") == "true")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	page := web.Page[QuestionnaireJSON]{Items: []QuestionnaireJSON{}, Total: len(versions), Limit: len(versions)}
	for _, v := range versions {
		page.Items = append(page.Items, QuestionnaireJSON{ID: v.ID, Slug: v.Slug, Title: v.Title, Version: v.Version, Kind: v.Kind})
	}
	web.JSON(w, http.StatusOK, page)
}

// APIQuestionnaire answers GET /api/v1/questionnaires/{id}: themes → questions → options.
func (h *Handler) APIQuestionnaire(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		q, err := h.Assessments.Questionnaire(ctx, id)
		if err != nil {
			return nil, err
		}
		return questionnaireJSON(id, q), nil
	})
}

// questionnaireJSON is version id of questionnaire q, whole, as the API shows it.
func questionnaireJSON(id int64, q Questionnaire) any {
	out := struct {
		QuestionnaireJSON
		Description string      `json:"description"`
		Notice      string      `json:"notice"`
		Levels      []levelJSON `json:"levels"`
		Themes      []themeJSON `json:"themes"`
	}{QuestionnaireJSON: QuestionnaireJSON{ID: id, Slug: q.ID, Title: q.Title, Version: q.Version, Kind: q.Kind}, Description: q.Description, Notice: q.Notice}
	for _, l := range q.Levels {
		out.Levels = append(out.Levels, levelJSON{Code: l.Code, Label: l.Label, Min: l.Min})
	}
	for _, t := range q.Themes {
		tj := themeJSON{ID: t.ID, Title: t.Title}
		for _, qu := range t.Questions {
			qj := questionJSON{ID: qu.ID, Text: qu.Text, Help: qu.Help, Weight: qu.Weight, Tags: qu.Tags, ShowIf: qu.ShowIf, Measures: []string{}}
			if qj.Tags == nil {
				qj.Tags = []string{}
			}
			for _, o := range qu.Options {
				qj.Options = append(qj.Options, optionJSON(o))
			}
			for _, m := range qu.Measures {
				qj.Measures = append(qj.Measures, m.ID)
			}
			tj.Questions = append(tj.Questions, qj)
		}
		out.Themes = append(out.Themes, tj)
	}
	return out
}

// APIImport answers POST /api/v1/questionnaires with a YAML body.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		web.Problem(w, r, problem.New(problem.TooLarge, "maturity.error.file_too_large", MaxFileSize))
		return
	}
	v, err := h.Assessments.Import(r.Context(), data)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, QuestionnaireJSON{ID: v.ID, Slug: v.Slug, Title: v.Title, Version: v.Version, Kind: v.Kind})
}

// AssessmentJSON is an assessment as the API shows it.
type AssessmentJSON struct {
	ID            int64      `json:"id"`
	Org           int64      `json:"org"`
	OrgName       string     `json:"org_name"`
	Questionnaire int64      `json:"questionnaire"`
	Slug          string     `json:"questionnaire_slug"`
	Version       int        `json:"questionnaire_version"`
	Status        Status     `json:"status"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	SubmittedAt   *time.Time `json:"submitted_at"`
	ValidatedAt   *time.Time `json:"validated_at"`
	LockedAt      *time.Time `json:"locked_at"`
	Level         *string    `json:"level"`
	Percent       *float64   `json:"percent"`
}

func assessmentJSON(a Assessment) AssessmentJSON {
	j := AssessmentJSON{ID: a.ID, Org: a.OrgID, OrgName: a.OrgName, Questionnaire: a.QuestionnaireID, Slug: a.Slug, Version: a.Version,
		Status: a.Status, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, SubmittedAt: a.SubmittedAt, ValidatedAt: a.ValidatedAt,
		LockedAt: a.LockedAt, Percent: a.Percent}
	if a.Level != "" {
		j.Level = &a.Level
	}
	return j
}

// APIList answers GET /api/v1/assessments.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := web.Pagination(r, 50, 500)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	f := Filter{Slug: r.URL.Query().Get("questionnaire"), Limit: limit, Offset: offset}
	if f.OrgID, err = web.OrgParam(r); err != nil {
		web.Problem(w, r, err)
		return
	}
	list, total, err := h.Assessments.List(r.Context(), f)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	page := web.Page[AssessmentJSON]{Items: []AssessmentJSON{}, Total: total, Limit: limit, Offset: offset}
	for _, a := range list {
		page.Items = append(page.Items, assessmentJSON(a))
	}
	web.JSON(w, http.StatusOK, page)
}

// APICreate answers POST /api/v1/assessments {"questionnaire": ID, "org": ID}.
func (h *Handler) APICreate(w http.ResponseWriter, r *http.Request) {
	type created struct {
		Questionnaire int64 `json:"questionnaire"`
		Org           int64 `json:"org"`
	}
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in created) (AssessmentJSON, error) {
		a, err := h.Assessments.Create(ctx, in.Questionnaire, in.Org)
		return assessmentJSON(a), err
	})
}

// APIGet answers GET /api/v1/assessments/{id} with its answers.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		sh, err := h.Assessments.Open(ctx, id)
		if err != nil {
			return nil, err
		}
		type answerJSON struct {
			Option    string    `json:"option"`
			Comment   string    `json:"comment"`
			By        string    `json:"by"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		out := struct {
			AssessmentJSON
			Answers map[string]answerJSON `json:"answers"`
		}{assessmentJSON(sh.Assessment), map[string]answerJSON{}}
		for qid, ans := range sh.Answers {
			out.Answers[qid] = answerJSON{Option: ans.OptionID, Comment: ans.Comment, By: ans.By, UpdatedAt: ans.At}
		}
		return out, nil
	})
}

// APIAnswers answers PUT /api/v1/assessments/{id}/answers
// {"answers": {"QUESTION": "OPTION"}, "comments": {"QUESTION": "…"}}; an empty option
// clears an answer. The whole body is checked before anything is written.
func (h *Handler) APIAnswers(w http.ResponseWriter, r *http.Request) {
	type answers struct {
		Answers  map[string]string `json:"answers"`
		Comments map[string]string `json:"comments"`
	}
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in answers) (map[string]int, error) {
		changes := map[string]Change{}
		for qid, oid := range in.Answers {
			c := changes[qid]
			c.Option = &oid
			changes[qid] = c
		}
		for qid, comment := range in.Comments {
			c := changes[qid]
			c.Comment = &comment
			changes[qid] = c
		}
		res, err := h.Assessments.SaveAnswers(ctx, id, changes)
		if err != nil {
			return nil, err
		}
		return map[string]int{"answered": res.Answered, "visible": res.Visible, "progress": res.Progress()}, nil
	})
}

// APITransition answers POST /api/v1/assessments/{id}/submit, /reopen, /validate, /lock.
func (h *Handler) APITransition(to Status) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		web.OnID(w, r, "id", http.StatusOK, web.As(func(ctx context.Context, id int64) (Assessment, error) { return h.Assessments.Move(ctx, id, to) }, assessmentJSON))
	}
}

type recommendationJSON struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Level    int    `json:"level"`
	Priority int    `json:"priority"`
	Why      string `json:"why"`
	How      string `json:"how"`
	Question string `json:"question"`
	Theme    string `json:"theme"`
	Answer   string `json:"answer"`
}

func recommendations(recs []Recommendation) []recommendationJSON {
	out := []recommendationJSON{}
	for _, r := range recs {
		out = append(out, recommendationJSON{ID: r.ID, Title: r.Title, Level: r.Measure.Level, Priority: r.Priority, Why: r.Why, How: r.How,
			Question: r.QuestionID, Theme: r.ThemeID, Answer: r.Answer})
	}
	return out
}

// APIResult answers GET /api/v1/assessments/{id}/result.
func (h *Handler) APIResult(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Assessments.Open, resultJSON))
}

// resultJSON is the result of an open assessment as the API shows it.
func resultJSON(sh Sheet) any {
	a, res := sh.Assessment, sh.Result
	type themeScore struct {
		ID       string   `json:"id"`
		Title    string   `json:"title"`
		Score    *float64 `json:"score"`
		Percent  *float64 `json:"percent"`
		Answered int      `json:"answered"`
		Visible  int      `json:"visible"`
	}
	out := struct {
		Assessment int64                `json:"assessment"`
		Status     Status               `json:"status"`
		Overall    *float64             `json:"overall"`
		Percent    *float64             `json:"percent"`
		Level      *string              `json:"level"`
		Progress   int                  `json:"progress"`
		Themes     []themeScore         `json:"themes"`
		Priority   []recommendationJSON `json:"priority_measures"`
		Others     []recommendationJSON `json:"other_measures"`
	}{Assessment: a.ID, Status: a.Status, Overall: res.Overall, Percent: res.Percent, Progress: res.Progress(),
		Priority: recommendations(res.Priority), Others: recommendations(res.Others)}
	if res.Level != nil {
		out.Level = &res.Level.Code
	}
	for _, t := range res.Themes {
		out.Themes = append(out.Themes, themeScore{ID: t.ID, Title: t.Title, Score: t.Score, Percent: t.Percent, Answered: t.Answered, Visible: t.Visible})
	}
	return out
}

// APIRollUp answers GET /api/v1/rollups?org=ID&questionnaire=SLUG.
func (h *Handler) APIRollUp(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, node int64) (any, error) {
		if node == 0 {
			return nil, problem.New(problem.Invalid, "error.param", "org")
		}
		ru, err := h.Assessments.RollUp(ctx, node, r.URL.Query().Get("questionnaire"))
		if err != nil {
			return nil, err
		}
		return rollUpJSON(ru), nil
	})
}

// rollUpJSON is a roll-up as the API shows it.
func rollUpJSON(ru RollUp) any {
	type tallyJSON struct {
		Establishments int                `json:"establishments"`
		Levels         map[string]int     `json:"levels"`
		MeanPercent    float64            `json:"mean_percent"`
		Themes         map[string]float64 `json:"themes"`
	}
	tally := func(t Tally) tallyJSON {
		j := tallyJSON{Establishments: t.Establishments, Levels: t.Levels, MeanPercent: t.Mean(), Themes: map[string]float64{}}
		for _, th := range ru.Questionnaire.Themes {
			if v, ok := t.Theme(th.ID); ok {
				j.Themes[th.ID] = v
			}
		}
		return j
	}
	type childJSON struct {
		Org   int64     `json:"org"`
		Name  string    `json:"name"`
		Level string    `json:"level"`
		Tally tallyJSON `json:"tally"`
	}
	out := struct {
		Org      int64       `json:"org"`
		Name     string      `json:"name"`
		Total    tallyJSON   `json:"total"`
		Children []childJSON `json:"children"`
	}{Org: ru.Org.ID, Name: ru.Org.Name, Total: tally(ru.Total), Children: []childJSON{}}
	for _, c := range ru.Children {
		out.Children = append(out.Children, childJSON{Org: c.OrgID, Name: c.Name, Level: c.Level, Tally: tally(c.Tally)})
	}
	return out
}
