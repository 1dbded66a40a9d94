package directory

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/web"
)

func apiOrg(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

type auditJSON struct {
	ID          int64     `json:"id"`
	Org         int64     `json:"org"`
	Source      string    `json:"source"`
	Transport   string    `json:"transport"`
	Verified    bool      `json:"certificate_verified"`
	Server      string    `json:"server"`
	Domain      string    `json:"domain"`
	BaseDN      string    `json:"base_dn"`
	CollectedAt time.Time `json:"collected_at"`
	Level       int       `json:"level"`
	Objects     int       `json:"objects"`
	Failed      int       `json:"failed"`
	CreatedAt   time.Time `json:"created_at"`
}

func toAuditJSON(a AuditRow) auditJSON {
	return auditJSON{ID: a.ID, Org: a.OrgID, Source: a.Source, Transport: a.Transport, Verified: a.Verified, Server: a.Server, Domain: a.Domain, BaseDN: a.BaseDN,
		CollectedAt: a.CollectedAt, Level: a.Level, Objects: a.Objects, Failed: a.Failed, CreatedAt: a.CreatedAt}
}

type checkJSON struct {
	Result
	ANSSI       string `json:"anssi"`
	Title       string `json:"title"`
	Remediation string `json:"remediation"`
}

type auditDetailJSON struct {
	auditJSON
	Checks []checkJSON `json:"checks"`
}

type configJSON struct {
	URL                string `json:"url"`
	BindDN             string `json:"bind_dn"`
	Password           string `json:"password"`
	BaseDN             string `json:"base_dn"`
	StartTLS           bool   `json:"starttls"`
	AllowPlain         bool   `json:"allow_plain"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify"`
	CAPEM              string `json:"ca_pem"`
	Kerberos           bool   `json:"kerberos"`
	SPN                string `json:"spn"`
}

func (c configJSON) config() Config {
	return Config{URL: strings.TrimSpace(c.URL), BindDN: strings.TrimSpace(c.BindDN), Password: c.Password, BaseDN: strings.TrimSpace(c.BaseDN),
		StartTLS: c.StartTLS, AllowPlain: c.AllowPlain, InsecureSkipVerify: c.InsecureSkipVerify, CAPEM: []byte(strings.TrimSpace(c.CAPEM)),
		Kerberos: c.Kerberos, SPN: strings.TrimSpace(c.SPN)}
}

func detailJSON(r *http.Request, a AuditDetail) auditDetailJSON {
	out := auditDetailJSON{auditJSON: toAuditJSON(a.AuditRow), Checks: []checkJSON{}}
	for _, cv := range views(i18n.FromRequest(r), a.Checks, nil) {
		out.Checks = append(out.Checks, checkJSON{Result: cv.Result, ANSSI: cv.ANSSI, Title: cv.Title, Remediation: cv.Remediation})
	}
	return out
}

// APIRun answers POST /api/v1/orgs/{id}/directory/audits: collect now.
func (h *Handler) APIRun(w http.ResponseWriter, r *http.Request) {
	var in configJSON
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	a, err := h.Directory.Run(r.Context(), apiOrg(r), in.config())
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, detailJSON(r, a))
}

// APIImport answers POST /api/v1/orgs/{id}/directory/imports: the body is a
// snapshot file sealed with the establishment's import key.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	a, err := h.Directory.Import(r.Context(), apiOrg(r), r.Body)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, detailJSON(r, a))
}

// APIAudits answers GET /api/v1/orgs/{id}/directory/audits.
func (h *Handler) APIAudits(w http.ResponseWriter, r *http.Request) {
	list, err := h.Directory.Audits(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[auditJSON]{Items: []auditJSON{}, Total: len(list), Limit: len(list)}
	for _, a := range list {
		out.Items = append(out.Items, toAuditJSON(a))
	}
	web.JSON(w, http.StatusOK, out)
}

// APIAudit answers GET /api/v1/directory/audits/{id}.
func (h *Handler) APIAudit(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	a, err := h.Directory.Audit(r.Context(), id)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, detailJSON(r, a))
}

type trackedJSON struct {
	CheckID    string `json:"check_id"`
	Level      int    `json:"level"`
	Status     string `json:"status"`
	Objects    int    `json:"objects"`
	FirstAudit int64  `json:"first_audit"`
	LastAudit  int64  `json:"last_audit"`
	FixedAudit *int64 `json:"fixed_audit"`
	Owner      string `json:"owner"`
	DueOn      string `json:"due_on"`
	Note       string `json:"note"`
}

// APICheckpoints answers GET /api/v1/orgs/{id}/directory/checkpoints.
func (h *Handler) APICheckpoints(w http.ResponseWriter, r *http.Request) {
	list, err := h.Directory.Checkpoints(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[trackedJSON]{Items: []trackedJSON{}, Total: len(list), Limit: len(list)}
	for _, t := range list {
		out.Items = append(out.Items, trackedJSON(t))
	}
	web.JSON(w, http.StatusOK, out)
}

// APIFollowUp answers PATCH /api/v1/orgs/{id}/directory/checkpoints/{check}.
func (h *Handler) APIFollowUp(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Owner string `json:"owner"`
		DueOn string `json:"due_on"`
		Note  string `json:"note"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	if err := h.Directory.SetFollowUp(r.Context(), apiOrg(r), r.PathValue("check"), in.Owner, in.DueOn, in.Note); err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APILevel answers GET /api/v1/orgs/{id}/directory/level: the latest level, for
// funding indicators.
func (h *Handler) APILevel(w http.ResponseWriter, r *http.Request) {
	l, ok, err := h.Directory.LatestLevel(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := map[string]any{"audited": ok, "level": nil, "collected_at": nil, "audit": nil}
	if ok {
		out["level"], out["collected_at"], out["audit"] = l.Level, l.CollectedAt, l.AuditID
	}
	web.JSON(w, http.StatusOK, out)
}

// APIImportKey answers GET /api/v1/orgs/{id}/directory/import-key.
func (h *Handler) APIImportKey(w http.ResponseWriter, r *http.Request) {
	key, err := h.Directory.ImportKey(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]string{"import_key": key})
}

// APIRenewImportKey answers POST /api/v1/orgs/{id}/directory/import-key.
func (h *Handler) APIRenewImportKey(w http.ResponseWriter, r *http.Request) {
	key, err := h.Directory.RenewImportKey(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]string{"import_key": key})
}

type sourceJSON struct {
	configJSON
	EveryDays int `json:"every_days"`
}

// APISource answers GET /api/v1/orgs/{id}/directory/source; the password is never
// sent back, only whether one is stored.
func (h *Handler) APISource(w http.ResponseWriter, r *http.Request) {
	src, err := h.Directory.GetSource(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]any{"url": src.URL, "bind_dn": src.BindDN, "base_dn": src.BaseDN, "starttls": src.StartTLS,
		"allow_plain": src.AllowPlain, "insecure_skip_verify": src.Insecure, "ca_pem": src.CAPEM, "kerberos": src.Kerberos, "spn": src.SPN, "every_days": src.EveryDays,
		"password_stored": src.HasPassword, "next_run_at": src.NextRunAt, "last_run_at": src.LastRunAt, "last_error": src.LastError})
}

// APISaveSource answers PUT /api/v1/orgs/{id}/directory/source.
func (h *Handler) APISaveSource(w http.ResponseWriter, r *http.Request) {
	var in sourceJSON
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	c := in.config()
	if err := h.Directory.SaveSource(r.Context(), apiOrg(r), SourceOf(c, in.EveryDays), c.Password); err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type rollUpRowJSON struct {
	Org         int64     `json:"org"`
	Name        string    `json:"name"`
	Node        string    `json:"node_level"`
	Domain      string    `json:"domain"`
	Audit       int64     `json:"audit"`
	Level       int       `json:"level"`
	CollectedAt time.Time `json:"collected_at"`
	Open        int       `json:"open_checkpoints"`
}

// APIRollUp answers GET /api/v1/orgs/{id}/directory/rollup: the latest audit of
// every node of the subtree the caller may read, and how many sit at each level.
func (h *Handler) APIRollUp(w http.ResponseWriter, r *http.Request) {
	ru, err := h.Directory.RollUp(r.Context(), apiOrg(r))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := struct {
		ByLevel map[string]int  `json:"by_level"`
		Rows    []rollUpRowJSON `json:"rows"`
	}{ByLevel: map[string]int{}, Rows: []rollUpRowJSON{}}
	for l := 1; l <= 5; l++ {
		out.ByLevel[strconv.Itoa(l)] = ru.ByLevel[l]
	}
	for _, row := range ru.Rows {
		out.Rows = append(out.Rows, rollUpRowJSON{Org: row.OrgID, Name: row.Name, Node: row.Level, Domain: row.Domain, Audit: row.AuditID,
			Level: row.DomainLevel, CollectedAt: row.CollectedAt, Open: row.Open})
	}
	web.JSON(w, http.StatusOK, out)
}
