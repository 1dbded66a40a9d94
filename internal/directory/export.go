package directory

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

// An audit's exports: the spreadsheet of every checkpoint and its evidence, and
// the PDF report. Each reads the audit and its node once (Service.Report).

// ExportXLSX sends an audit's checkpoints and evidence objects as a spreadsheet.
func (h *Handler) ExportXLSX(w http.ResponseWriter, r *http.Request) {
	d, err := h.report(r, i18n.FR) // the sheet's headers are French
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	book, err := workbook(d)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="annuaire-audit-%d.xlsx"`, d.Audit.ID))
	_, _ = w.Write(book)
}

// workbook writes an audit's checkpoints and their evidence objects, a sheet each.
func workbook(d auditData) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetName("Sheet1", "Points de contrôle")
	_, _ = f.NewSheet("Objets")
	rows := [][]any{{"Point de contrôle", "Identifiant ANSSI", "Niveau", "État", "Évolution", "Objets", "Intitulé", "Remédiation", "Responsable", "Échéance"}}
	objects := [][]any{{"Point de contrôle", "Objet"}}
	for _, cv := range d.All {
		owner, due := "", ""
		if cv.FollowUp != nil {
			owner, due = cv.FollowUp.Owner, cv.FollowUp.DueOn
		}
		rows = append(rows, []any{cv.ID, cv.ANSSI, cv.Level, i18n.FR.T("directory.result." + cv.Status), i18n.FR.T("directory.change." + cv.Change),
			len(cv.Objects), cv.Title, cv.Remediation, owner, due})
		for _, o := range cv.Objects {
			objects = append(objects, []any{cv.ID, o})
		}
	}
	if err := docs.WriteRows(f, "Points de contrôle", rows); err != nil {
		return nil, err
	}
	if err := docs.WriteRows(f, "Objets", objects); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err := f.Write(&buf)
	return buf.Bytes(), err
}

// ReportPDF prints an audit's report: level, failed checkpoints by level with
// remediation, the objects concerned (first twenty per checkpoint).
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	d, err := h.report(r, i18n.FromRequest(r))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	a := d.Audit
	doc := docs.Doc{Title: "Audit Active Directory — " + d.OrgName, Subtitle: fmt.Sprintf("Domaine %s, collecte du %s", a.Domain, a.CollectedAt.Format("02/01/2006 15:04"))}
	doc.P(fmt.Sprintf("Niveau ANSSI du domaine : %d sur 5 (le plus bas des niveaux des points de contrôle en échec). %s, %s, %s, sur %s lus.",
		a.Level, i18n.FR.N("directory.count_failed", a.Failed), i18n.FR.N("directory.count_passed", d.Passed), i18n.FR.N("directory.count_na", d.NA),
		i18n.FR.N("directory.objects_count", a.Objects)))
	for _, g := range d.Levels {
		doc.H(1, fmt.Sprintf("Niveau %d", g.Level))
		for _, cv := range g.Checks {
			state := map[string]string{ChangeNew: "nouveau", ChangePersisting: "persistant", ChangeFixed: "corrigé"}[cv.Change]
			doc.H(2, fmt.Sprintf("%s — %s (%s)", cv.Title, cv.ANSSI, state))
			if cv.Status != Fail {
				continue
			}
			doc.P(cv.Why)
			doc.P("Remédiation : " + cv.Remediation)
			if cv.FollowUp != nil && (cv.FollowUp.Owner != "" || cv.FollowUp.DueOn != "") {
				doc.P(fmt.Sprintf("Suivi : %s, échéance %s.", cv.FollowUp.Owner, cv.FollowUp.DueOn))
			}
			list := cv.Objects
			if len(list) > 20 {
				list = append(append([]string{}, list[:20]...), fmt.Sprintf("… et %d autres (voir l'export XLSX)", len(cv.Objects)-20))
			}
			doc.List(list...)
		}
	}
	out, err := h.PDF.Render(r.Context(), doc.HTML())
	if err != nil {
		h.Fail(w, r, problem.New(problem.Conflict, "maturity.error.no_pdf"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="annuaire-audit-%d.pdf"`, a.ID))
	_, _ = w.Write(out)
}
