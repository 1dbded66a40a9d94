package exposure

import (
	"context"
	"net/http"
	"time"

	"care/internal/platform/web"
)

type targetJSON struct {
	ID         int64     `json:"id"`
	Value      string    `json:"value"`
	Owner      string    `json:"owner"`
	AttestedAt time.Time `json:"attested_at"`
	AttestedBy string    `json:"attested_by,omitempty"`
}

// APIAddTarget answers POST /api/v1/orgs/{id}/exposure/targets.
func (h *Handler) APIAddTarget(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusCreated, func(ctx context.Context, org int64) (targetJSON, error) {
		in, err := web.Decoded[struct {
			Value    string `json:"value"`
			Owner    string `json:"owner"`
			Attested bool   `json:"attested"`
		}](w, r)
		if err != nil {
			return targetJSON{}, err
		}
		t, err := h.Exposure.AddTarget(ctx, org, in.Value, in.Owner, in.Attested)
		return targetJSON{ID: t.ID, Value: t.Value, Owner: t.Owner, AttestedAt: t.AttestedAt}, err
	})
}

// APITargets answers GET /api/v1/orgs/{id}/exposure/targets.
func (h *Handler) APITargets(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[targetJSON], error) {
		list, err := h.Exposure.Targets(ctx, org)
		out := web.Page[targetJSON]{Items: []targetJSON{}, Total: len(list), Limit: len(list)}
		for _, t := range list {
			out.Items = append(out.Items, targetJSON{ID: t.ID, Value: t.Value, Owner: t.Owner, AttestedAt: t.AttestedAt, AttestedBy: t.AttestedBy})
		}
		return out, err
	})
}

type scanJSON struct {
	ID         int64      `json:"id"`
	Org        int64      `json:"org"`
	Status     string     `json:"status"`
	Ports      string     `json:"ports"`
	Lab        bool       `json:"lab"`
	Addresses  int        `json:"addresses"`
	Done       int        `json:"done"`
	Total      int        `json:"total"`
	Progress   int        `json:"progress"`
	Error      string     `json:"error,omitempty"`
	Level      *int       `json:"level"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func toScanJSON(s ScanRow) scanJSON {
	return scanJSON{ID: s.ID, Org: s.OrgID, Status: s.Status, Ports: s.Ports, Lab: s.Lab, Addresses: s.Addresses, Done: s.Done, Total: s.Total,
		Progress: s.Progress(), Error: s.Error, Level: s.Level, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
}

// APIStartScan answers POST /api/v1/orgs/{id}/exposure/scans.
func (h *Handler) APIStartScan(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusAccepted, func(ctx context.Context, org int64) (scanJSON, error) {
		in, err := web.Decoded[struct {
			Ports string `json:"ports"`
			Lab   bool   `json:"lab"`
		}](w, r)
		if err != nil {
			return scanJSON{}, err
		}
		s, err := h.Exposure.StartScan(ctx, org, in.Ports, in.Lab)
		return toScanJSON(s), err
	})
}

// APIScan answers GET /api/v1/exposure/scans/{id}.
func (h *Handler) APIScan(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, func(ctx context.Context, id int64) (scanJSON, error) {
		s, err := h.Exposure.GetScan(ctx, id)
		return toScanJSON(s), err
	})
}

// APICancelScan answers POST /api/v1/exposure/scans/{id}/cancel.
func (h *Handler) APICancelScan(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusNoContent, func(ctx context.Context, id int64) (any, error) {
		return nil, h.Exposure.Cancel(ctx, id)
	})
}

type findingJSON struct {
	ID            int64      `json:"id"`
	Address       string     `json:"address"`
	Port          int        `json:"port"`
	Check         string     `json:"check"`
	Severity      string     `json:"severity"`
	Finding       string     `json:"finding"`
	Evidence      string     `json:"evidence"`
	Remediation   string     `json:"remediation"`
	Status        string     `json:"status"`
	Justification string     `json:"justification,omitempty"`
	AcceptedUntil *time.Time `json:"accepted_until"`
	FirstSeen     time.Time  `json:"first_seen"`
	LastSeen      time.Time  `json:"last_seen"`
	FixedAt       *time.Time `json:"fixed_at"`
}

// APIFindings answers GET /api/v1/orgs/{id}/exposure/findings.
func (h *Handler) APIFindings(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[findingJSON], error) {
		q := r.URL.Query()
		list, err := h.Exposure.Findings(ctx, org, FindingFilter{Status: q.Get("status"), Severity: q.Get("severity")})
		out := web.Page[findingJSON]{Items: []findingJSON{}, Total: len(list), Limit: len(list)}
		for _, f := range list {
			out.Items = append(out.Items, findingJSON{ID: f.ID, Address: f.Address, Port: f.Port, Check: f.Check, Severity: f.Severity, Finding: f.Title,
				Evidence: f.Evidence, Remediation: f.Remediation, Status: f.Status, Justification: f.Justification, AcceptedUntil: f.AcceptedUntil,
				FirstSeen: f.FirstSeen, LastSeen: f.LastSeen, FixedAt: f.FixedAt})
		}
		return out, err
	})
}

// APISetStatus answers PATCH /api/v1/exposure/findings/{id}.
func (h *Handler) APISetStatus(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusNoContent, func(ctx context.Context, id int64) (any, error) {
		var in struct {
			Status        string `json:"status"`
			Justification string `json:"justification"`
			AcceptedUntil string `json:"accepted_until"`
		}
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return nil, err
		}
		until, err := formDate(in.AcceptedUntil)
		if err != nil {
			return nil, err
		}
		return nil, h.Exposure.SetStatus(ctx, id, in.Status, in.Justification, until)
	})
}

// APIEvidence answers GET /api/v1/orgs/{id}/exposure/evidence: the internal
// indicator inspired by Domaine 1 and the programme's SILENE indicator.
func (h *Handler) APIEvidence(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (map[string]any, error) {
		ev, err := h.Exposure.D1Evidence(ctx, org)
		silene := map[string]any{"met": ev.Silene.Met, "minimum": ev.Silene.Minimum, "first": nil, "second": nil}
		if ev.Silene.First != nil {
			silene["first"] = map[string]any{"audited_on": ev.Silene.First.AuditedOn.Format(time.DateOnly), "level": ev.Silene.First.Level}
			silene["second"] = map[string]any{"audited_on": ev.Silene.Second.AuditedOn.Format(time.DateOnly), "level": ev.Silene.Second.Level}
		}
		// met, first_scan and second_scan are the platform's internal indicator;
		// silene is the programme's Domaine 1 indicator.
		return map[string]any{"met": ev.Met, "first_scan": ev.FirstScan, "second_scan": ev.SecondScan, "open_critical": ev.OpenCrit, "level": ev.Level,
			"internal": true, "silene": silene}, err
	})
}
