package directory

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/web"
)

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

// APIRun answers POST /api/v1/orgs/{org}/directory/audits: collect now.
func (h *Handler) APIRun(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusCreated, func(ctx context.Context, org int64) (auditDetailJSON, error) {
		in, err := web.Decoded[configJSON](w, r)
		if err != nil {
			return auditDetailJSON{}, err
		}
		a, err := h.Directory.Run(ctx, org, in.config())
		return detailJSON(r, a), err
	})
}

// APIImport answers POST /api/v1/orgs/{org}/directory/imports: the body is a
// snapshot file sealed with the establishment's import key.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusCreated, func(ctx context.Context, org int64) (auditDetailJSON, error) {
		a, err := h.Directory.Import(ctx, org, r.Body)
		return detailJSON(r, a), err
	})
}

// listJSON is a whole list as an API page.
func listJSON[T, J any](list []T, item func(T) J) web.Page[J] {
	out := web.Page[J]{Items: make([]J, 0, len(list)), Total: len(list), Limit: len(list)}
	for _, x := range list {
		out.Items = append(out.Items, item(x))
	}
	return out
}

// APIAudits answers GET /api/v1/orgs/{org}/directory/audits.
func (h *Handler) APIAudits(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[auditJSON], error) {
		list, err := h.Directory.Audits(ctx, org)
		return listJSON(list, toAuditJSON), err
	})
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

// APICheckpoints answers GET /api/v1/orgs/{org}/directory/checkpoints.
func (h *Handler) APICheckpoints(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[trackedJSON], error) {
		list, err := h.Directory.Checkpoints(ctx, org)
		return listJSON(list, func(t Tracked) trackedJSON { return trackedJSON(t) }), err
	})
}

type followUpJSON struct {
	Owner string `json:"owner"`
	DueOn string `json:"due_on"`
	Note  string `json:"note"`
}

// APIFollowUp answers PATCH /api/v1/orgs/{org}/directory/checkpoints/{check}.
func (h *Handler) APIFollowUp(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusNoContent, func(ctx context.Context, org int64) (struct{}, error) {
		in, err := web.Decoded[followUpJSON](w, r)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, h.Directory.SetFollowUp(ctx, org, r.PathValue("check"), in.Owner, in.DueOn, in.Note)
	})
}

// APILevel answers GET /api/v1/orgs/{org}/directory/level: the latest level, for
// funding indicators.
func (h *Handler) APILevel(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (map[string]any, error) {
		l, ok, err := h.Directory.LatestLevel(ctx, org)
		out := map[string]any{"audited": ok, "level": nil, "collected_at": nil, "audit": nil}
		if ok {
			out["level"], out["collected_at"], out["audit"] = l.Level, l.CollectedAt, l.AuditID
		}
		return out, err
	})
}

type importKeyJSON struct {
	ImportKey string `json:"import_key"`
}

// APIImportKey answers GET /api/v1/orgs/{org}/directory/import-key.
func (h *Handler) APIImportKey(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (importKeyJSON, error) {
		key, err := h.Directory.ImportKey(ctx, org)
		return importKeyJSON{key}, err
	})
}

// APIRenewImportKey answers POST /api/v1/orgs/{org}/directory/import-key.
func (h *Handler) APIRenewImportKey(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (importKeyJSON, error) {
		key, err := h.Directory.RenewImportKey(ctx, org)
		return importKeyJSON{key}, err
	})
}

type sourceJSON struct {
	configJSON
	EveryDays int `json:"every_days"`
}

// APISource answers GET /api/v1/orgs/{org}/directory/source; the password is never
// sent back, only whether one is stored.
func (h *Handler) APISource(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (map[string]any, error) {
		src, err := h.Directory.GetSource(ctx, org)
		return map[string]any{"url": src.URL, "bind_dn": src.BindDN, "base_dn": src.BaseDN, "starttls": src.StartTLS,
			"allow_plain": src.AllowPlain, "insecure_skip_verify": src.Insecure, "ca_pem": src.CAPEM, "kerberos": src.Kerberos, "spn": src.SPN, "every_days": src.EveryDays,
			"password_stored": src.HasPassword, "next_run_at": src.NextRunAt, "last_run_at": src.LastRunAt, "last_error": src.LastError}, err
	})
}

// APISaveSource answers PUT /api/v1/orgs/{org}/directory/source.
func (h *Handler) APISaveSource(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusNoContent, func(ctx context.Context, org int64) (struct{}, error) {
		in, err := web.Decoded[sourceJSON](w, r)
		if err != nil {
			return struct{}{}, err
		}
		c := in.config()
		return struct{}{}, h.Directory.SaveSource(ctx, org, SourceOf(c, in.EveryDays), c.Password)
	})
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

type rollUpJSON struct {
	ByLevel map[string]int  `json:"by_level"`
	Rows    []rollUpRowJSON `json:"rows"`
}

// APIRollUp answers GET /api/v1/orgs/{org}/directory/rollup: the latest audit of
// every node of the subtree the caller may read, and how many sit at each level.
func (h *Handler) APIRollUp(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (rollUpJSON, error) {
		ru, err := h.Directory.RollUp(ctx, org)
		out := rollUpJSON{ByLevel: map[string]int{}, Rows: []rollUpRowJSON{}}
		for l := 1; l <= 5; l++ {
			out.ByLevel[strconv.Itoa(l)] = ru.ByLevel[l]
		}
		for _, row := range ru.Rows {
			out.Rows = append(out.Rows, rollUpRowJSON{Org: row.OrgID, Name: row.Name, Node: row.Level, Domain: row.Domain, Audit: row.AuditID,
				Level: row.DomainLevel, CollectedAt: row.CollectedAt, Open: row.Open})
		}
		return out, err
	})
}
