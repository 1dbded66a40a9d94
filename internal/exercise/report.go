package exercise

import (
	"context"
	"fmt"
	"strconv"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

// Document writes the RETEX as a document: what the reader may see of it, in the
// language of t. The same model gives the DOCX, ODT and PDF versions.
func (r Retex) Document(lang string, t func(key string, args ...any) string) docs.Doc {
	e := r.Exercise
	d := docs.Doc{Title: t("exercise.retex") + " — " + e.Title, Lang: lang,
		Subtitle: t("exercise.level."+e.Level) + " · " + t("exercise.kit_version", e.KitID, e.KitVersion)}
	if e.FinishedAt != nil {
		d.Subtitle += " · " + e.FinishedAt.Format("02/01/2006")
	}
	d.H(1, t("exercise.conclusions"))
	d.H(2, t("exercise.strengths"))
	d.P(orDash(r.Strengths))
	d.H(2, t("exercise.improvements"))
	d.P(orDash(r.Improvements))

	d.H(1, t("exercise.action_plan"))
	rows := [][]string{}
	for _, a := range r.Actions {
		rows = append(rows, []string{a.Title, a.Owner, a.Due.Format("02/01/2006"), t("exercise.action_status." + a.Status)})
	}
	if len(rows) == 0 {
		d.P(t("exercise.no_actions"))
	} else {
		d.Table([]string{t("exercise.action"), t("exercise.owner"), t("exercise.due"), t("exercise.status")}, rows)
	}

	d.H(1, t("exercise.timeline"))
	rows = rows[:0:0]
	for _, row := range r.Timeline {
		answer := t("exercise.no_answer")
		if row.Answer != nil {
			answer = row.Answer.Body + " (" + row.Answer.Author + ")"
		}
		rows = append(rows, []string{"T+" + strconv.Itoa(row.Stimulus.Offset/60) + " min", row.Stimulus.Title, answer, orDash(row.DelayText())})
	}
	d.Table([]string{"T+", t("exercise.stimulus"), t("exercise.answer"), t("exercise.delay")}, rows)

	if len(r.Criteria) > 0 {
		d.H(1, t("exercise.grid"))
		rows = rows[:0:0]
		for _, c := range r.Criteria {
			avg := "—"
			if len(c.Marks) > 0 {
				avg = fmt.Sprintf("%s / 3 (%d)", i18n.Lang(lang).Decimal(c.Average, 1), len(c.Marks))
			}
			notes := ""
			for _, m := range c.Marks {
				if m.Note != "" {
					notes += "• " + m.Note + " "
				}
			}
			rows = append(rows, []string{c.Criterion.Label, avg, notes})
		}
		d.Table([]string{t("exercise.criterion"), t("exercise.marks"), t("exercise.note")}, rows)
	}
	return d
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Report renders the RETEX of an exercise for the caller as docx, odt or pdf.
func (s *Service) Report(ctx context.Context, id int64, format, lang string, t func(string, ...any) string, pdf *docs.PDF) ([]byte, string, error) {
	r, err := s.Retex(ctx, id)
	if err != nil {
		return nil, "", err
	}
	d := r.Document(lang, t)
	switch format {
	case "docx":
		b, err := d.DOCX()
		return b, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", err
	case "odt":
		b, err := d.ODT()
		return b, "application/vnd.oasis.opendocument.text", err
	case "pdf":
		b, err := pdf.Render(ctx, d.HTML())
		return b, "application/pdf", err
	}
	var c problem.Checks
	c.Add("format", "exercise.error.format")
	return nil, "", c.Err()
}
