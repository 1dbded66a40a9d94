package maturity

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/docs"
)

// AnswersXLSX writes an assessment's answers as a spreadsheet: one sheet of answers
// (theme, question, answer, value, weight, comment, who, when), one of theme scores.
func AnswersXLSX(a Assessment, q Questionnaire, stored map[string]Answer, r Result) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const answersSheet, scoresSheet = "Réponses", "Scores"
	if err := f.SetSheetName("Sheet1", answersSheet); err != nil {
		return nil, err
	}
	header := []any{"Thème", "Question", "Identifiant", "Réponse", "Valeur (0-3)", "Poids", "Commentaire", "Répondu par", "Le"}
	rows := [][]any{header}
	choices := Choices(stored)
	for _, t := range q.Themes {
		for _, qu := range t.Questions {
			if !q.Visible(qu, choices) {
				continue
			}
			ans := stored[qu.ID]
			row := []any{t.Title, qu.Text, qu.ID, "", "", qu.Weight, ans.Comment, ans.By, ""}
			if opt, ok := qu.Option(ans.OptionID); ok {
				row[3] = opt.Label
				if opt.Value != nil {
					row[4] = *opt.Value
				}
				row[8] = ans.At.Format("2006-01-02 15:04")
			}
			rows = append(rows, row)
		}
	}
	if err := docs.WriteRows(f, answersSheet, rows); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(scoresSheet); err != nil {
		return nil, err
	}
	scores := [][]any{{"Thème", "Score (0-3)", "Score (%)", "Questions répondues", "Questions affichées"}}
	for _, t := range r.Themes {
		row := []any{t.Title, "", "", t.Answered, t.Visible}
		if t.Score != nil {
			row[1], row[2] = round(*t.Score, 2), round(*t.Percent, 1)
		}
		scores = append(scores, row)
	}
	overall := []any{"Ensemble", "", "", r.Answered, r.Visible}
	if r.Overall != nil {
		overall[1], overall[2] = round(*r.Overall, 2), round(*r.Percent, 1)
	}
	scores = append(scores, overall, []any{}, []any{"Établissement", a.OrgName}, []any{"Questionnaire", fmt.Sprintf("%s (version %d)", q.Title, q.Version)}, []any{"Statut", string(a.Status)})
	if r.Level != nil {
		scores = append(scores, []any{"Niveau", r.Level.Label})
	}
	if err := docs.WriteRows(f, scoresSheet, scores); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
