package directory

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"care/internal/authz"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
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

// Handler serves the directory-audit pages and API.
type Handler struct {
	Directory *Service
	Render    *web.Renderer
	View      func(r *http.Request, title string) *web.View
	PDF       *docs.PDF
	Nodes     func(ctx context.Context) ([]NodeChoice, error)
}

// MaxImport bounds an uploaded snapshot file (compressed: about a tenth of its
// JSON); the route table applies it to the page and the API alike.
const MaxImport = 32 << 20

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Render.Fail(w, r, h.View(r, "error.title"), err)
}

func orgOf(r *http.Request) int64 {
	v := r.PathValue("org")
	if v == "" {
		v = r.URL.Query().Get("org")
	}
	id, _ := strconv.ParseInt(v, 10, 64)
	return id
}

// CheckView is a checkpoint result with its text in the page's language.
type CheckView struct {
	Result
	ANSSI       string
	Title       string
	Why         string
	Remediation string
	FollowUp    *Tracked
}

func views(lang i18n.Lang, checks []Result, tracked []Tracked) []CheckView {
	c, _ := LoadContent()
	byID := map[string]*Tracked{}
	for i := range tracked {
		byID[tracked[i].CheckID] = &tracked[i]
	}
	out := make([]CheckView, 0, len(checks))
	for _, r := range checks {
		t := c.Text(r.ID)
		title, why, fix := t.Localized(string(lang))
		out = append(out, CheckView{Result: r, ANSSI: t.ANSSI, Title: title, Why: why, Remediation: fix, FollowUp: byID[r.ID]})
	}
	return out
}

// TrackedView is a followed checkpoint with its title.
type TrackedView struct {
	Tracked
	Title string
}

type pageData struct {
	Nodes     []NodeChoice
	Org       int64
	Audits    []AuditRow
	Latest    *AuditRow
	Tracked   []TrackedView
	Open      int
	Source    Source
	ImportKey string
	History   template.HTML
	CanWrite  bool
	Schedule  bool // the instance has a secret key
	Kerberos  bool // the instance has a krb5.conf
	Notice    string
	Auditable bool // a GHT, an establishment or a site (not a region, not the nation)
	RollUp    RollUp
	Others    int // audited nodes of the subtree besides this one
}

// Page shows an establishment's directory level, its followed checkpoints, its
// audits and the forms to run or import one.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, http.StatusOK, h.View(r, "directory.title"))
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	d := pageData{Org: orgOf(r), Schedule: h.Directory.SecretKey != nil, Kerberos: h.Directory.KRB5Conf != ""}
	var err error
	if d.Nodes, err = h.Nodes(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Org == 0 && len(d.Nodes) > 0 {
		d.Org = d.Nodes[0].ID
	}
	content, _ := LoadContent()
	d.Notice = content.Notice
	if v.Lang == i18n.EN {
		d.Notice = content.NoticeEN
	}
	if d.Org != 0 {
		s := h.Directory
		var tracked []Tracked
		d.Audits, err = s.Audits(ctx, d.Org)
		if err == nil {
			tracked, err = s.Checkpoints(ctx, d.Org)
		}
		if err == nil {
			d.Source, err = s.GetSource(ctx, d.Org)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, t := range tracked {
			title, _, _ := content.Text(t.CheckID).Localized(string(v.Lang))
			d.Tracked = append(d.Tracked, TrackedView{Tracked: t, Title: title})
			if t.Status == "open" {
				d.Open++
			}
		}
		if len(d.Audits) > 0 {
			d.Latest = &d.Audits[0]
		}
		if d.RollUp, err = s.RollUp(ctx, d.Org); err != nil {
			h.fail(w, r, err)
			return
		}
		for _, row := range d.RollUp.Rows {
			if row.OrgID != d.Org {
				d.Others++
			}
		}
		d.Auditable = s.auditable(ctx, d.Org) == nil
		path, _ := node(ctx, s.DB.Read, d.Org, authz.OrgRead)
		sub, _ := authz.FromContext(ctx)
		d.CanWrite = sub.Can(authz.ProgrammeWrite, path) && d.Auditable
		if d.CanWrite {
			if d.ImportKey, err = s.ImportKey(ctx, d.Org); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		d.History = historyChart(v.T("directory.history"), d.Audits)
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	h.Render.Render(w, status, "directory-page", v)
}

// historyChart draws the level of each audit, oldest first.
func historyChart(title string, audits []AuditRow) template.HTML {
	points := make([]web.LevelPoint, len(audits))
	for i, a := range audits {
		points[len(audits)-1-i] = web.LevelPoint{At: a.CollectedAt, Level: a.Level}
	}
	return web.LevelChart(title, points)
}

// again shows the page with the error of a failed form; the password is never put
// back in the form.
func (h *Handler) again(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	v := h.View(r, "directory.title")
	v.SetError(err)
	v.Form = map[string]string{}
	for _, k := range []string{"url", "bind_dn", "base_dn"} {
		v.Form[k] = r.PostFormValue(k)
	}
	q := r.URL.Query()
	q.Set("org", strconv.FormatInt(orgOf(r), 10))
	r.URL.RawQuery = q.Encode()
	h.page(w, r, web.Status(err), v)
}

func formConfig(r *http.Request) Config {
	return Config{URL: strings.TrimSpace(r.PostFormValue("url")), BindDN: strings.TrimSpace(r.PostFormValue("bind_dn")), Password: r.PostFormValue("password"),
		BaseDN: strings.TrimSpace(r.PostFormValue("base_dn")), StartTLS: r.PostFormValue("starttls") == "on", AllowPlain: r.PostFormValue("plain") == "on",
		InsecureSkipVerify: r.PostFormValue("insecure") == "on", CAPEM: []byte(strings.TrimSpace(r.PostFormValue("ca_pem"))),
		Kerberos: r.PostFormValue("kerberos") == "on", SPN: strings.TrimSpace(r.PostFormValue("spn"))}
}

// Run audits the directory now from the page.
func (h *Handler) Run(w http.ResponseWriter, r *http.Request) {
	a, err := h.Directory.Run(r.Context(), orgOf(r), formConfig(r))
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "directory.audit_done")
	web.Redirect(w, r, fmt.Sprintf("/annuaire/audits/%d", a.ID))
}

// Import stores an audit from an uploaded snapshot file.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	if err != nil {
		h.again(w, r, refused("file", "directory.error.no_file"))
		return
	}
	defer file.Close()
	a, err := h.Directory.Import(r.Context(), orgOf(r), file)
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "directory.audit_done")
	web.Redirect(w, r, fmt.Sprintf("/annuaire/audits/%d", a.ID))
}

// SaveSource records the connection settings and the schedule.
func (h *Handler) SaveSource(w http.ResponseWriter, r *http.Request) {
	cfg := formConfig(r)
	every, _ := strconv.Atoi(r.PostFormValue("every_days"))
	if err := h.Directory.SaveSource(r.Context(), orgOf(r), SourceOf(cfg, every), cfg.Password); err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "directory.source_saved")
	web.Redirect(w, r, fmt.Sprintf("/annuaire?org=%d", orgOf(r)))
}

// RenewImportKey replaces the import key from the page.
func (h *Handler) RenewImportKey(w http.ResponseWriter, r *http.Request) {
	if _, err := h.Directory.RenewImportKey(r.Context(), orgOf(r)); err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "directory.import_key_renewed")
	web.Redirect(w, r, fmt.Sprintf("/annuaire?org=%d", orgOf(r)))
}

// FollowUp sets the owner and due date of a failed checkpoint.
func (h *Handler) FollowUp(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	if err := h.Directory.SetFollowUp(r.Context(), org, r.PathValue("check"), r.PostFormValue("owner"), r.PostFormValue("due_on"), r.PostFormValue("note")); err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "directory.follow_up_saved")
	web.Redirect(w, r, fmt.Sprintf("/annuaire?org=%d#suivi", org))
}

type auditData struct {
	Audit   AuditDetail
	OrgName string
	All     []CheckView // every checkpoint, in catalogue order
	Levels  []levelGroup
	Passed  int
	NA      int
}

type levelGroup struct {
	Level  int
	Checks []CheckView
}

// detail gathers an audit for its page and reports, texts in lang.
func (h *Handler) detail(r *http.Request, lang i18n.Lang) (auditData, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return auditData{}, problem.ErrNotFound
	}
	a, err := h.Directory.Audit(r.Context(), id)
	if err != nil {
		return auditData{}, err
	}
	tracked, err := h.Directory.Checkpoints(r.Context(), a.OrgID)
	if err != nil {
		return auditData{}, err
	}
	d := auditData{Audit: a, All: views(lang, a.Checks, tracked)}
	groups := map[int]*levelGroup{}
	for _, cv := range d.All {
		switch cv.Status {
		case Pass:
			d.Passed++
			if cv.Change != ChangeFixed {
				continue
			}
		case NA:
			d.NA++
			continue
		}
		g := groups[cv.Level]
		if g == nil {
			g = &levelGroup{Level: cv.Level}
			groups[cv.Level] = g
		}
		g.Checks = append(g.Checks, cv)
	}
	for l := 1; l <= 5; l++ {
		if g := groups[l]; g != nil {
			d.Levels = append(d.Levels, *g)
		}
	}
	if nodes, err := h.Nodes(r.Context()); err == nil {
		for _, n := range nodes {
			if n.ID == a.OrgID {
				d.OrgName = strings.TrimLeft(n.Label, "· ")
			}
		}
	}
	return d, nil
}

// AuditPage shows one audit: failed checkpoints by level with their evidence, and
// what changed since the previous audit.
func (h *Handler) AuditPage(w http.ResponseWriter, r *http.Request) {
	d, err := h.detail(r, i18n.FromRequest(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "directory.audit_title")
	v.Flash = web.TakeFlash(w, r)
	v.Data = d
	h.Render.Render(w, http.StatusOK, "directory-audit", v)
}

// ExportXLSX sends an audit's checkpoints and evidence objects as a spreadsheet.
func (h *Handler) ExportXLSX(w http.ResponseWriter, r *http.Request) {
	d, err := h.detail(r, i18n.FR) // the sheet's headers are French
	if err != nil {
		h.fail(w, r, err)
		return
	}
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
		rows = append(rows, []any{cv.ID, cv.ANSSI, cv.Level, cv.Status, cv.Change, len(cv.Objects), cv.Title, cv.Remediation, owner, due})
		for _, o := range cv.Objects {
			objects = append(objects, []any{cv.ID, o})
		}
	}
	err = docs.WriteRows(f, "Points de contrôle", rows)
	if err == nil {
		err = docs.WriteRows(f, "Objets", objects)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="annuaire-audit-%d.xlsx"`, d.Audit.ID))
	_, _ = w.Write(buf.Bytes())
}

// ReportPDF prints an audit's report: level, failed checkpoints by level with
// remediation, the objects concerned (first twenty per checkpoint).
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	d, err := h.detail(r, i18n.FromRequest(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a := d.Audit
	doc := docs.Doc{Title: "Audit Active Directory — " + d.OrgName, Subtitle: fmt.Sprintf("Domaine %s, collecte du %s", a.Domain, a.CollectedAt.Format("02/01/2006 15:04"))}
	doc.P(fmt.Sprintf("Niveau ANSSI du domaine : %d sur 5 (le plus bas des niveaux des points de contrôle en échec). %d points de contrôle en échec, %d réussis, %d sans objet, sur %d objets lus.",
		a.Level, a.Failed, d.Passed, d.NA, a.Objects))
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
		h.fail(w, r, problem.New(problem.Conflict, "maturity.error.no_pdf"))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="annuaire-audit-%d.pdf"`, a.ID))
	_, _ = w.Write(out)
}
