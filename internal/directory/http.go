package directory

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the directory-audit pages and API.
type Handler struct {
	web.Pages
	Directory *Service
	Orgs      *orgs.Service
	PDF       *docs.PDF
}

// MaxImport bounds an uploaded snapshot file (compressed: about a tenth of its
// JSON); the route table applies it to the page and the API alike.
const MaxImport = 32 << 20

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
	Overview               // the node, zero when the caller sees none
	Chooser  web.Chooser   // the node selector
	Regional orgs.Regional // a GHT, a region or the nation: every legal entity, audited or not
	Followed []TrackedView // Tracked with their titles
	Open     int
	Latest   *AuditRow
	History  template.HTML
	Schedule bool // the instance has a secret key
	Kerberos bool // the instance has a krb5.conf
	Notice   string
	Others   int // audited nodes of the subtree besides this one
}

// Page shows an establishment's directory level, its followed checkpoints, its
// audits and the forms to run or import one.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	org, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.show(w, r, h.View(r, "directory.title"), org, nil)
}

// show renders the page of node org (the caller's first node when 0); refused is
// the error of a form posted from it, shown beside its field, nil for a plain view.
func (h *Handler) show(w http.ResponseWriter, r *http.Request, v *web.View, org int64, refused error) {
	d, err := h.page(r.Context(), v.Lang, org)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Show(w, r, "directory-page", v, d, refused)
}

// page gathers the page of node org: one service call, which reads the node once.
func (h *Handler) page(ctx context.Context, lang i18n.Lang, org int64) (pageData, error) {
	content, _ := LoadContent()
	d := pageData{Schedule: h.Directory.SecretKey != nil, Kerberos: h.Directory.KRB5Conf != "", Notice: content.Notice}
	if lang == i18n.EN {
		d.Notice = content.NoticeEN
	}
	if org == 0 {
		org = firstNode(ctx)
	}
	if org != 0 {
		var err error
		if d.Overview, err = h.Directory.Overview(ctx, org); err != nil {
			return d, err
		}
		for _, t := range d.Tracked {
			title, _, _ := content.Text(t.CheckID).Localized(string(lang))
			d.Followed = append(d.Followed, TrackedView{Tracked: t, Title: title})
			if t.Status == "open" {
				d.Open++
			}
		}
		if len(d.Audits) > 0 {
			d.Latest = &d.Audits[0]
		}
		for _, row := range d.RollUp.Rows {
			if row.OrgID != d.Org.ID {
				d.Others++
			}
		}
		d.History = historyChart(lang.T("directory.history"), d.Audits)
		if d.Regional, err = h.Orgs.Regional(ctx, "/annuaire", org, h.Directory.StatusSource()); err != nil {
			return d, err
		}
		d.Regional.Chooser = web.Chooser{} // the page's own chooser offers every level
	}
	var err error
	d.Chooser, err = h.Orgs.Chooser(ctx, "/annuaire", d.Org, orgs.Levels...)
	return d, err
}

// firstNode is the node the page opens on when none is named: the first the
// caller sees, the top of their first subtree (0 for someone who sees none).
func firstNode(ctx context.Context) int64 {
	scope := authz.Current(ctx).Scope(authz.OrgRead)
	if len(scope) == 0 {
		return 0
	}
	ids := orgs.PathIDs(scope[0])
	if len(ids) == 0 {
		return 0
	}
	return ids[len(ids)-1]
}

// historyChart draws the level of each audit, oldest first.
func historyChart(title string, audits []AuditRow) template.HTML {
	points := make([]web.LevelPoint, len(audits))
	for i, a := range audits {
		points[len(audits)-1-i] = web.LevelPoint{At: a.CollectedAt, Level: a.Level}
	}
	return web.LevelChart(title, points)
}

// act runs the action of a form posted from the page of node {org}: then is where
// the browser goes next, with flash; a refusal shows the page again with the error
// beside its field (the password never put back in the form).
func (h *Handler) act(w http.ResponseWriter, r *http.Request, flash string, do func(ctx context.Context, org int64) (then string, err error)) {
	org, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	then, err := do(r.Context(), org)
	if err != nil {
		v := h.View(r, "directory.title")
		v.Form = map[string]string{}
		for _, k := range []string{"url", "bind_dn", "base_dn"} {
			v.Form[k] = r.PostFormValue(k)
		}
		h.show(w, r, v, org, err)
		return
	}
	web.Done(w, r, flash, then)
}

func formConfig(r *http.Request) Config {
	return Config{URL: strings.TrimSpace(r.PostFormValue("url")), BindDN: strings.TrimSpace(r.PostFormValue("bind_dn")), Password: r.PostFormValue("password"),
		BaseDN: strings.TrimSpace(r.PostFormValue("base_dn")), StartTLS: r.PostFormValue("starttls") == "on", AllowPlain: r.PostFormValue("plain") == "on",
		InsecureSkipVerify: r.PostFormValue("insecure") == "on", CAPEM: []byte(strings.TrimSpace(r.PostFormValue("ca_pem"))),
		Kerberos: r.PostFormValue("kerberos") == "on", SPN: strings.TrimSpace(r.PostFormValue("spn"))}
}

// Run audits the directory now from the page.
func (h *Handler) Run(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "directory.audit_done", func(ctx context.Context, org int64) (string, error) {
		a, err := h.Directory.Run(ctx, org, formConfig(r))
		return auditPage(a.ID), err
	})
}

// Import stores an audit from an uploaded snapshot file.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "directory.audit_done", func(ctx context.Context, org int64) (string, error) {
		file, _, err := r.FormFile("file")
		if err != nil {
			return "", refused("file", "directory.error.no_file")
		}
		defer file.Close()
		a, err := h.Directory.Import(ctx, org, file)
		return auditPage(a.ID), err
	})
}

func auditPage(id int64) string { return fmt.Sprintf("/annuaire/audits/%d", id) }

func nodePage(org int64) string { return fmt.Sprintf("/annuaire?org=%d", org) }

// SaveSource records the connection settings and the schedule.
func (h *Handler) SaveSource(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "directory.source_saved", func(ctx context.Context, org int64) (string, error) {
		cfg := formConfig(r)
		every, _ := strconv.Atoi(r.PostFormValue("every_days"))
		return nodePage(org), h.Directory.SaveSource(ctx, org, SourceOf(cfg, every), cfg.Password)
	})
}

// RenewImportKey replaces the import key from the page.
func (h *Handler) RenewImportKey(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "directory.import_key_renewed", func(ctx context.Context, org int64) (string, error) {
		_, err := h.Directory.RenewImportKey(ctx, org)
		return nodePage(org), err
	})
}

// FollowUp sets the owner and due date of a failed checkpoint.
func (h *Handler) FollowUp(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "directory.follow_up_saved", func(ctx context.Context, org int64) (string, error) {
		return nodePage(org) + "#suivi", h.Directory.SetFollowUp(ctx, org, r.PathValue("check"), r.PostFormValue("owner"), r.PostFormValue("due_on"), r.PostFormValue("note"))
	})
}

type auditData struct {
	Audit   AuditDetail
	OrgName string
	All     []CheckView // every checkpoint, in catalogue order
	Levels  []levelGroup
	Passed  int
	NA      int
}

// failFirst ranks a status for the lists of an audit: failing, then the rest.
func failFirst(status string) int {
	if status == Fail {
		return 0
	}
	return 1
}

type levelGroup struct {
	Level  int
	Checks []CheckView
}

// report gathers an audit for its page and exports, texts in lang: one service
// call, which reads the audit's node once.
func (h *Handler) report(r *http.Request, lang i18n.Lang) (auditData, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return auditData{}, err
	}
	rep, err := h.Directory.Report(r.Context(), id)
	if err != nil {
		return auditData{}, err
	}
	d := auditData{Audit: rep.Audit, OrgName: rep.Org.Name, All: views(lang, rep.Audit.Checks, rep.Tracked)}
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
			// Within a level, what still fails comes before what was fixed; each
			// part keeps the catalogue order.
			slices.SortStableFunc(g.Checks, func(a, b CheckView) int {
				return cmp.Compare(failFirst(a.Status), failFirst(b.Status))
			})
			d.Levels = append(d.Levels, *g)
		}
	}
	return d, nil
}

// AuditPage shows one audit: failed checkpoints by level with their evidence, and
// what changed since the previous audit.
func (h *Handler) AuditPage(w http.ResponseWriter, r *http.Request) {
	d, err := h.report(r, i18n.FromRequest(r))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "directory.audit_title")
	v.Flash = web.TakeFlash(w, r)
	v.Data = d
	h.Render.Render(w, http.StatusOK, "directory-audit", v)
}
