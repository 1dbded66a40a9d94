package exposure

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"care/internal/authz"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// NodeChoice is an establishment offered in the page's selector.
type NodeChoice struct {
	ID    int64
	Label string
}

// Handler serves the exposure pages and API.
type Handler struct {
	Exposure *Service
	Render   *web.Renderer
	View     func(r *http.Request, title string) *web.View
	PDF      *docs.PDF
	Nodes    func(ctx context.Context) ([]NodeChoice, error)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Render.Fail(w, r, h.View(r, "error.title"), err)
}

// orgOf is the establishment a page works on: the {org} of its path, or the org
// query parameter of pages whose path names a finding or a scan.
func orgOf(r *http.Request) int64 {
	v := r.PathValue("org")
	if v == "" {
		v = r.URL.Query().Get("org")
	}
	id, _ := strconv.ParseInt(v, 10, 64)
	return id
}

// apiOrg is the establishment of an API path /api/v1/orgs/{id}/….
func apiOrg(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

type pageData struct {
	Nodes    []NodeChoice
	Org      int64
	OrgName  string
	Targets  []InventoryTarget
	Scans    []ScanRow
	Findings []StoredFinding
	Filter   FindingFilter
	Evidence Evidence
	History  template.HTML
	CanWrite bool
	CanLab   bool
	Running  bool
	Statuses []string
}

// Page shows an establishment's inventory, scans, level and findings.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, http.StatusOK, h.View(r, "exposure.title"))
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	d := pageData{Org: orgOf(r), Filter: FindingFilter{Status: r.URL.Query().Get("statut"), Severity: r.URL.Query().Get("gravite")},
		Statuses: []string{StatusOpen, StatusInProgress, StatusAccepted, StatusFixed}}
	var err error
	if d.Nodes, err = h.Nodes(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Org == 0 && len(d.Nodes) > 0 {
		d.Org = d.Nodes[0].ID
	}
	for _, n := range d.Nodes {
		if n.ID == d.Org {
			d.OrgName = n.Label
		}
	}
	if d.Org != 0 {
		s := h.Exposure
		d.Targets, err = s.Targets(ctx, d.Org)
		if err == nil {
			d.Scans, err = s.Scans(ctx, d.Org)
		}
		if err == nil {
			d.Findings, err = s.Findings(ctx, d.Org, d.Filter)
		}
		if err == nil {
			d.Evidence, err = s.D1Evidence(ctx, d.Org)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		path, _ := s.node(ctx, s.DB.Read, d.Org, authz.OrgRead)
		sub, _ := authz.FromContext(ctx)
		d.CanWrite = sub.Can(authz.ProgrammeWrite, path)
		d.CanLab = s.LabAllowed && sub.HasRole(authz.Admin)
		for _, sc := range d.Scans {
			d.Running = d.Running || sc.Status == "queued" || sc.Status == "running"
		}
		d.History = historyChart(v.T("exposure.history"), d.Scans)
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	name := "exposure-page"
	if r.Header.Get("HX-Request") == "true" && r.URL.Query().Get("fragment") == "scans" {
		name = "exposure-scans"
		if !d.Running {
			// The scan ended: reload the whole page, whose findings and level changed.
			w.Header().Set("HX-Refresh", "true")
		}
	}
	h.Render.Render(w, status, name, v)
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

func (h *Handler) again(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	v := h.View(r, "exposure.title")
	v.SetError(err)
	q := r.URL.Query()
	q.Set("org", strconv.FormatInt(orgOf(r), 10))
	r.URL.RawQuery = q.Encode()
	h.page(w, r, web.Status(err), v)
}

func (h *Handler) back(w http.ResponseWriter, r *http.Request, flash string) {
	web.SetFlash(w, flash)
	web.Redirect(w, r, fmt.Sprintf("/exposition?org=%d", orgOf(r)))
}

// AddTarget declares an inventory target from the page.
func (h *Handler) AddTarget(w http.ResponseWriter, r *http.Request) {
	if _, err := h.Exposure.AddTarget(r.Context(), orgOf(r), r.PostFormValue("value"), r.PostFormValue("owner"), r.PostFormValue("attested") == "on"); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, "exposure.target_added")
}

// StartScan starts a scan from the page.
func (h *Handler) StartScan(w http.ResponseWriter, r *http.Request) {
	if _, err := h.Exposure.StartScan(r.Context(), orgOf(r), r.PostFormValue("ports"), r.PostFormValue("lab") == "on"); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, "exposure.scan_started")
}

// CancelScan stops a running scan from the page.
func (h *Handler) CancelScan(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		err = h.Exposure.Cancel(r.Context(), id)
	}
	if err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, "exposure.scan_cancelled")
}

// SetStatus changes a finding's status from the page.
func (h *Handler) SetStatus(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var until *time.Time
	if s := strings.TrimSpace(r.PostFormValue("accepted_until")); s != "" && err == nil {
		t, perr := time.Parse("2006-01-02", s)
		if perr != nil {
			var c problem.Checks
			c.Add("accepted_until", "exposure.error.expiry")
			err = c.Err()
		}
		until = &t
	}
	if err == nil {
		err = h.Exposure.SetStatus(r.Context(), id, r.PostFormValue("status"), r.PostFormValue("justification"), until)
	}
	if err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, "exposure.status_saved")
}

// ExportXLSX sends the findings as a spreadsheet.
func (h *Handler) ExportXLSX(w http.ResponseWriter, r *http.Request) {
	findings, err := h.Exposure.Findings(r.Context(), orgOf(r), FindingFilter{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Constats"
	_ = f.SetSheetName("Sheet1", sheet)
	rows := [][]any{{"Adresse", "Port", "Contrôle", "Gravité", "Constat", "Preuve", "Remédiation", "Statut", "Vu la première fois", "Vu la dernière fois", "Corrigé le"}}
	for _, x := range findings {
		fixed := ""
		if x.FixedAt != nil {
			fixed = x.FixedAt.Format("2006-01-02")
		}
		rows = append(rows, []any{x.Address, x.Port, x.Check, x.Severity, x.Title, x.Evidence, x.Remediation, x.Status,
			x.FirstSeen.Format("2006-01-02"), x.LastSeen.Format("2006-01-02"), fixed})
	}
	if err := docs.WriteRows(f, sheet, rows); err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exposition-%d.xlsx"`, orgOf(r)))
	_, _ = w.Write(buf.Bytes())
}

// ReportPDF prints the findings report for the ARS.
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	findings, err := h.Exposure.Findings(r.Context(), org, FindingFilter{})
	var ev Evidence
	if err == nil {
		ev, err = h.Exposure.D1Evidence(r.Context(), org)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := ""
	if nodes, err := h.Nodes(r.Context()); err == nil {
		for _, n := range nodes {
			if n.ID == org {
				name = strings.TrimLeft(n.Label, "· ")
			}
		}
	}
	d := docs.Doc{Title: "Exposition sur Internet — " + name, Subtitle: "Rapport du " + time.Now().Format("02/01/2006")}
	level := "—"
	if ev.Level != nil {
		level = strconv.Itoa(*ev.Level)
	}
	d.P(fmt.Sprintf("Niveau d'exposition : %s sur 5. Constats critiques ouverts : %d. Indicateur Domaine 1 (deux audits à 45–60 jours d'écart, aucun critique ouvert) : %s.", level, ev.OpenCrit, map[bool]string{true: "atteint", false: "non atteint"}[ev.Met]))
	var rows [][]string
	for _, x := range findings {
		if x.Status == StatusFixed {
			continue
		}
		rows = append(rows, []string{x.Address + ":" + strconv.Itoa(x.Port), x.Severity, x.Title, x.Status, x.Remediation})
	}
	d.H(1, "Constats à traiter")
	d.Table([]string{"Cible", "Gravité", "Constat", "Statut", "Remédiation"}, rows)
	out, err := h.PDF.Render(r.Context(), d.HTML())
	if err != nil {
		h.fail(w, r, problem.New(problem.Conflict, "maturity.error.no_pdf"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exposition-%d.pdf"`, org))
	_, _ = w.Write(out)
}
