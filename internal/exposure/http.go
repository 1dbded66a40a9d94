package exposure

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the exposure pages and API.
type Handler struct {
	web.Pages
	Exposure *Service
	Orgs     *org.Service
	PDF      *docs.PDF
}

type pageData struct {
	Overview
	Chooser  web.Chooser
	Regional org.Regional   // the view of a GHT, a region or the nation
	Groups   []FindingGroup // the findings, one row per weakness with its addresses
	Filter   FindingFilter
	History  template.HTML
	CanLab   bool
	Running  bool
	Statuses []string
}

// Page shows an establishment's inventory, scans, level and findings.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, h.View(r, "exposure.title"), nil)
}

// page renders the page for the node of the request, with the errors of a
// refused form when formErr is set.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, v *web.View, formErr error) {
	ctx := r.Context()
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := pageData{Filter: FindingFilter{Status: r.URL.Query().Get("statut"), Severity: r.URL.Query().Get("gravite")},
		Statuses: []string{StatusOpen, StatusInProgress, StatusAccepted, StatusFixed}}
	if d.Regional, err = h.Orgs.Regional(ctx, "/exposition", id, h.Exposure.StatusSource()); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Regional.Node.ID != 0 {
		h.Show(w, r, "exposure-page", v, d, formErr)
		return
	}
	if d.Chooser, err = h.Orgs.Chooser(ctx, "/exposition", org.Org{}, org.LegalEntity, org.Site); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id == 0 && len(d.Chooser.Few) > 0 {
		id = d.Chooser.Few[0].ID // a short list: its first establishment
	}
	if id != 0 {
		if d.Overview, err = h.Exposure.Overview(ctx, id, d.Filter); err != nil {
			h.Fail(w, r, err)
			return
		}
		d.CanLab = h.Exposure.LabAllowed && authz.Current(ctx).HasRole(authz.Admin)
		for _, sc := range d.Scans {
			d.Running = d.Running || sc.Status == "queued" || sc.Status == "running"
		}
		d.History = historyChart(v.T("exposure.history"), d.Scans)
		d.Groups = Group(d.Findings)
	}
	d.Chooser.Current = d.Org.Choice()
	name := "exposure-page"
	if r.Header.Get("HX-Request") == "true" && r.URL.Query().Get("fragment") == "scans" {
		name = "exposure-scans"
		if !d.Running {
			// The scan ended: reload the whole page, whose findings and level changed.
			w.Header().Set("HX-Refresh", "true")
		}
	}
	h.Show(w, r, name, v, d, formErr)
}

// historyChart draws the level of each finished scan, oldest first.
func historyChart(title string, scans []ScanRow) template.HTML {
	var points []web.LevelPoint
	for i := len(scans) - 1; i >= 0; i-- {
		if scans[i].Level != nil && scans[i].FinishedAt != nil {
			points = append(points, web.LevelPoint{At: *scans[i].FinishedAt, Level: *scans[i].Level})
		}
	}
	return web.LevelChart(title, points)
}

// again shows the page of the form's node again, with the form's errors.
func (h *Handler) again(w http.ResponseWriter, r *http.Request, err error) {
	h.page(w, r, h.View(r, "exposure.title"), err)
}

// back sends the browser to the page of the form's node with a message.
func back(w http.ResponseWriter, r *http.Request, flash string) {
	id, _ := web.OrgParam(r)
	web.Done(w, r, flash, fmt.Sprintf("/exposition?org=%d", id))
}

// AddTarget declares an inventory target from the page.
func (h *Handler) AddTarget(w http.ResponseWriter, r *http.Request) {
	h.formAction(w, r, web.OrgParam, "exposure.target_added", func(id int64) error {
		_, err := h.Exposure.AddTarget(r.Context(), id, r.PostFormValue("value"), r.PostFormValue("owner"), r.PostFormValue("attested") == "on")
		return err
	})
}

// formAction runs a page form's action on the id the request names (param):
// a bad id fails the request, a refused action shows the page again with the
// form's errors, a done one goes back to the page with flash.
func (h *Handler) formAction(w http.ResponseWriter, r *http.Request, param func(*http.Request) (int64, error), flash string, do func(id int64) error) {
	id, err := param(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := do(id); err != nil {
		h.again(w, r, err)
		return
	}
	back(w, r, flash)
}

// pathID is the {id} of the request's path.
func pathID(r *http.Request) (int64, error) { return web.PathID(r, "id") }

// sileneSentence says in French where the programme's SILENE indicator stands.
func sileneSentence(ind SileneIndicator) string {
	if ind.First == nil {
		return "Indicateur Domaine 1 (audits SILENE) : pas encore deux audits SILENE successifs à 45–60 jours d'écart enregistrés."
	}
	pair := fmt.Sprintf("audits SILENE du %s (niveau %d) et du %s (niveau %d)", ind.First.AuditedOn.Format("02/01/2006"), ind.First.Level, ind.Second.AuditedOn.Format("02/01/2006"), ind.Second.Level)
	if ind.Met == nil {
		return "Indicateur Domaine 1 : " + pair + " ; le niveau minimum attendu n'est pas public et n'est pas renseigné sur cette instance."
	}
	return fmt.Sprintf("Indicateur Domaine 1 : %s, niveau minimum attendu %d : %s.", pair, ind.Minimum, map[bool]string{true: "atteint", false: "non atteint"}[*ind.Met])
}

// RecordSilene stores a SILENE audit result and its report from the page.
func (h *Handler) RecordSilene(w http.ResponseWriter, r *http.Request) {
	h.formAction(w, r, web.OrgParam, "exposure.silene_recorded", func(id int64) error {
		// Without a report the other fields are still checked, all errors at once.
		var name string
		var data []byte
		err := docs.Upload(r, "file", nil, true, func(n string, d []byte) error { name, data = n, d; return nil })
		if err == nil {
			_, err = h.Exposure.RecordSilene(r.Context(), id, r.PostFormValue("audited_on"), r.PostFormValue("level"), name, data)
		}
		return err
	})
}

// SileneReport sends the report of a recorded SILENE audit.
func (h *Handler) SileneReport(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	rid, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	x, data, err := h.Exposure.SileneReport(r.Context(), id, rid)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	docs.SendAttachment(w, x.Attachment, data)
}

// StartScan starts a scan from the page.
func (h *Handler) StartScan(w http.ResponseWriter, r *http.Request) {
	h.formAction(w, r, web.OrgParam, "exposure.scan_started", func(id int64) error {
		_, err := h.Exposure.StartScan(r.Context(), id, r.PostFormValue("ports"), r.PostFormValue("lab") == "on")
		return err
	})
}

// CancelScan stops a running scan from the page.
func (h *Handler) CancelScan(w http.ResponseWriter, r *http.Request) {
	h.formAction(w, r, pathID, "exposure.scan_cancelled", func(id int64) error { return h.Exposure.Cancel(r.Context(), id) })
}

// SetStatus changes a finding's status from the page.
func (h *Handler) SetStatus(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	until, err := formDate(r.PostFormValue("accepted_until"))
	if err != nil {
		h.again(w, r, err)
		return
	}
	ids := []int64{id}
	for _, v := range r.PostForm["also"] { // the other addresses of the same weakness
		other, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			h.Fail(w, r, problem.ErrNotFound)
			return
		}
		ids = append(ids, other)
	}
	if err := h.Exposure.SetStatuses(r.Context(), ids, r.PostFormValue("status"), r.PostFormValue("justification"), until); err != nil {
		h.again(w, r, err)
		return
	}
	back(w, r, "exposure.status_saved")
}

// formDate reads an optional YYYY-MM-DD expiry date.
func formDate(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		var c problem.Checks
		c.Add("accepted_until", "exposure.error.expiry")
		return nil, c.Err()
	}
	return &t, nil
}

// ExportXLSX sends the findings as a spreadsheet.
func (h *Handler) ExportXLSX(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	findings, err := h.Exposure.Findings(r.Context(), id, FindingFilter{})
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Constats"
	_ = f.SetSheetName("Sheet1", sheet)
	fr := i18n.FR // the workbook's headers are French: so are its severities and statuses
	rows := [][]any{{"Adresse", "Port", "Contrôle", "Gravité", "Constat", "Preuve", "Remédiation", "Statut", "Vu la première fois", "Vu la dernière fois", "Corrigé le"}}
	for _, x := range findings {
		fixed := ""
		if x.FixedAt != nil {
			fixed = x.FixedAt.Format("2006-01-02")
		}
		rows = append(rows, []any{x.Address, x.Port, x.Check, fr.T("exposure.sev." + x.Severity), x.Title, x.Evidence, x.Remediation, fr.T("exposure.finding." + x.Status),
			x.FirstSeen.Format("2006-01-02"), x.LastSeen.Format("2006-01-02"), fixed})
	}
	if err := docs.WriteRows(f, sheet, rows); err != nil {
		h.Fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exposition-%d.xlsx"`, id))
	_, _ = w.Write(buf.Bytes())
}

// ReportPDF prints the findings report for the ARS; it reads the node it prints
// with the rest of the page's data.
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	ov, err := h.Exposure.Overview(r.Context(), id, FindingFilter{})
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := ReportForARS(ov, time.Now())
	out, err := h.PDF.Render(r.Context(), d.HTML())
	if err != nil {
		h.Fail(w, r, problem.New(problem.Conflict, "maturity.error.no_pdf"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exposition-%d.pdf"`, id))
	_, _ = w.Write(out)
}

// ReportForARS writes the findings report for the ARS, in French: severities and
// statuses in words, open findings only.
func ReportForARS(ov Overview, now time.Time) docs.Doc {
	fr := i18n.FR
	ev := ov.Evidence
	d := docs.Doc{Title: "Exposition sur Internet — " + ov.Org.Name, Subtitle: "Rapport du " + now.Format("02/01/2006")}
	level := "—"
	if ev.Level != nil {
		level = strconv.Itoa(*ev.Level)
	}
	open := fmt.Sprintf("Constats critiques ouverts : %d.", ev.OpenCrit)
	if ev.Level == nil { // never scanned: zero findings would read as a clean edge
		open = "Aucun audit terminé : rien ne dit encore ce qui est exposé."
	}
	d.P(fmt.Sprintf("Niveau d'exposition : %s sur 5. %s Indicateur interne inspiré du Domaine 1 (deux analyses de la plateforme à 45–60 jours d'écart, aucun constat critique ouvert) : %s.", level, open, map[bool]string{true: "atteint", false: "non atteint"}[ev.Met]))
	d.P("Les analyses de la plateforme ne sont pas les audits SILENE de l'ANSSI sur lesquels le programme CaRE définit l'indicateur du Domaine 1. " + sileneSentence(ev.Silene))
	var rows [][]string
	for _, x := range ov.Findings {
		if x.Status == StatusFixed {
			continue
		}
		rows = append(rows, []string{x.Address + ":" + strconv.Itoa(x.Port), fr.T("exposure.sev." + x.Severity), x.Title, fr.T("exposure.finding." + x.Status), x.Remediation})
	}
	d.H(1, "Constats à traiter")
	d.Table([]string{"Cible", "Gravité", "Constat", "Statut", "Remédiation"}, rows)
	return d
}
