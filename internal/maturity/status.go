package maturity

import (
	"context"
	"fmt"

	"care/internal/authz"
	"care/internal/home"
	"care/internal/platform/db"
)

// statusRow is one line of the status query: an assessment ('a') or one answer
// ('r') of an assessment still being filled.
type statusRow struct {
	kind, path       string
	id               int64
	status, level    string
	questionnaire    int64
	question, option string
}

// Status is the self-assessment card of every establishment of set: its latest
// maturity assessment — none, being filled (with the share of the visible
// questions answered), awaiting the direction's signature, or validated with its
// level. One query for the whole set: the assessments and the answers of those
// still open.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	rows, err := home.Read(ctx, s.DB.Read, set, "maturity: status", func(r db.Row) (x statusRow, err error) {
		return x, r.Scan(&x.kind, &x.path, &x.id, &x.status, &x.level, &x.questionnaire, &x.question, &x.option)
	}, func(scope string, next int) string {
		k := fmt.Sprintf("$%d", next)
		return `SELECT 'a', o.path, a.id, a.status, a.level, a.questionnaire_id, '', ''
		FROM assessments a JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE q.kind = ` + k + ` AND ` + scope + `
		UNION ALL
		SELECT 'r', '', n.assessment_id, '', '', 0, n.question_id, n.option_id
		FROM answers n JOIN assessments a ON a.id = n.assessment_id JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE q.kind = ` + k + ` AND a.status IN ('draft', 'review') AND n.option_id <> '' AND ` + scope
	}, KindMaturity)
	if err != nil {
		return nil, err
	}
	answers := map[int64]Answers{} // open assessment → its choices
	var assessments []statusRow
	for _, x := range rows {
		if x.kind == "a" {
			assessments = append(assessments, x)
			continue
		}
		if answers[x.id] == nil {
			answers[x.id] = Answers{}
		}
		answers[x.id][x.question] = x.option
	}
	none := func(node int64) home.Card {
		return home.Card{State: home.NotStarted, Summary: home.T("maturity.card.none"),
			Next: home.Action{Label: home.T("maturity.next.start"), URL: fmt.Sprintf("/autoevaluations?org=%d", node)}}
	}
	// Each node's card is drawn from its newest assessment.
	return home.LatestCards(set, assessments, func(x statusRow) (string, int64) { return x.path, x.id }, none, func(a statusRow) (home.Card, error) {
		link := fmt.Sprintf("/autoevaluations/%d", a.id)
		q, err := s.questionnaire(ctx, s.DB.Read, a.questionnaire)
		if err != nil {
			return home.Card{}, err
		}
		switch Status(a.status) {
		case Draft, Review:
			progress := q.Score(answers[a.id]).Progress()
			c := home.Card{State: home.InProgress, Level: home.T("maturity.card.progress", progress),
				Summary: home.T("maturity.card.draft", progress), Next: home.Action{Label: home.T("maturity.next.resume"), URL: link}}
			if Status(a.status) == Review {
				c.Summary = home.T("maturity.card.review")
				c.Next = home.Action{Label: home.T("maturity.next.validate"), URL: link, Needs: authz.SignOff}
			}
			return c, nil
		default:
			label := a.level
			for _, l := range q.Levels {
				if l.Code == a.level {
					label = l.Label
				}
			}
			return home.Card{State: home.Done, Level: home.T("maturity.card.level", label), Summary: home.T("maturity.card.validated", label),
				Next: home.Action{Label: home.T("maturity.next.results"), URL: link + "/resultats"}}, nil
		}
	})
}

// StatusSource is the maturity card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "maturity", Title: "nav.maturity", Cards: s.Status}
}
