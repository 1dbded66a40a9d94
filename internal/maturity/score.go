package maturity

import (
	"cmp"
	"slices"

	"care/internal/platform/problem"
)

// Answers maps question ids to the chosen option ids.
type Answers map[string]string

// Visible reports whether question qu is shown given the answers: a conditional
// question is shown when the question it depends on is itself shown and was answered
// with one of the listed options.
func (q Questionnaire) Visible(qu Question, a Answers) bool {
	for depth := 0; qu.ShowIf != nil; depth++ {
		if depth > 100 || !slices.Contains(qu.ShowIf.Options, a[qu.ShowIf.Question]) {
			return false
		}
		var ok bool
		if qu, _, ok = q.Question(qu.ShowIf.Question); !ok {
			return false
		}
	}
	return true
}

// CheckAnswers validates a set of answers as a whole: every question exists, every
// option belongs to its question, and no answer is given to a question the other
// answers hide. Every fault is reported.
func (q Questionnaire) CheckAnswers(a Answers) error {
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	return q.CheckChanges(a, ids)
}

// CheckChanges validates the answers to the questions ids within the whole set a
// (which decides what is visible).
func (q Questionnaire) CheckChanges(a Answers, ids []string) error {
	var c problem.Checks
	slices.Sort(ids)
	for _, qid := range ids {
		oid := a[qid]
		qu, _, ok := q.Question(qid)
		switch {
		case !ok:
			c.Add(qid, "maturity.error.unknown_question", qid)
		case oid == "":
		case !hasOption(qu, oid):
			c.Add(qid, "maturity.error.unknown_option", oid, qid)
		case !q.Visible(qu, a):
			c.Add(qid, "maturity.error.hidden_question", qid)
		}
	}
	return c.Err()
}

func hasOption(qu Question, id string) bool {
	_, ok := qu.Option(id)
	return ok
}

// ThemeScore is the result of one theme.
type ThemeScore struct {
	ID       string
	Title    string
	TitleEN  string
	Score    *float64 // weighted mean of the answered values, 0 to 3; nil when none scored
	Percent  *float64 // Score as a share of 3, in percent
	Answered int      // visible questions answered (context questions included)
	Visible  int      // visible questions
}

// Recommendation is a measure recommended by an answer.
type Recommendation struct {
	Measure
	QuestionID   string
	QuestionText string
	ThemeID      string
	ThemeTitle   string
	Answer       string // the chosen option's label
	Value        int    // the answer's value; "ne sait pas" counts as 0 here
	order        int
}

// Result is what an assessment's answers give.
type Result struct {
	Themes   []ThemeScore
	Overall  *float64 // weighted mean over every scored question, 0 to 3
	Percent  *float64
	Level    *Level
	Answered int
	Visible  int
	Priority []Recommendation // the six to do first
	Others   []Recommendation
}

// PriorityCount is how many measures the restitution puts first.
const PriorityCount = 6

// Score computes the result of answers a. A theme's score is Σ value × weight / Σ weight
// over its visible, answered, graded questions; "ne sait pas", "non applicable",
// context and hidden questions score nothing. The overall score is the same sum over
// every theme (not a mean of the themes). The level is the highest whose lower
// bound the overall percentage reaches.
func (q Questionnaire) Score(a Answers) Result {
	var res Result
	var totalSum, totalWeight float64
	var recs []Recommendation
	order := 0
	for _, t := range q.Themes {
		ts := ThemeScore{ID: t.ID, Title: t.Title, TitleEN: t.TitleEN}
		var sum, weight float64
		for _, qu := range t.Questions {
			if !q.Visible(qu, a) {
				continue
			}
			ts.Visible++
			opt, answered := qu.Option(a[qu.ID])
			if !answered {
				continue
			}
			ts.Answered++
			if qu.Context() || opt.Special == SpecialNA {
				continue
			}
			value := 0
			if opt.Value != nil {
				value = *opt.Value
				sum += float64(value * qu.Weight)
				weight += float64(qu.Weight)
			}
			for _, m := range qu.Measures {
				order++
				if value < m.Below() {
					recs = append(recs, Recommendation{Measure: m, QuestionID: qu.ID, QuestionText: qu.Text, ThemeID: t.ID,
						ThemeTitle: t.Title, Answer: opt.Label, Value: value, order: order})
				}
			}
		}
		if weight > 0 {
			s := sum / weight
			p := s / MaxValue * 100
			ts.Score, ts.Percent = &s, &p
		}
		totalSum += sum
		totalWeight += weight
		res.Answered += ts.Answered
		res.Visible += ts.Visible
		res.Themes = append(res.Themes, ts)
	}
	if totalWeight > 0 {
		s := totalSum / totalWeight
		p := s / MaxValue * 100
		res.Overall, res.Percent = &s, &p
		for i := range q.Levels {
			if p >= q.Levels[i].Min {
				res.Level = &q.Levels[i]
			}
		}
	}
	// Most urgent first; among equals, the worst answer first, then the file's order.
	slices.SortStableFunc(recs, func(x, y Recommendation) int {
		return cmp.Or(cmp.Compare(x.Priority, y.Priority), cmp.Compare(x.Value, y.Value), cmp.Compare(x.order, y.order))
	})
	n := min(PriorityCount, len(recs))
	res.Priority, res.Others = recs[:n], recs[n:]
	return res
}

// Progress is the share of visible questions answered, in percent.
func (r Result) Progress() int {
	if r.Visible == 0 {
		return 0
	}
	return r.Answered * 100 / r.Visible
}
