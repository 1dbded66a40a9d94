package incident

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// JSON is an incident as the API shows it: the declaration's fields as sent,
// and its follow-up.
type JSON struct {
	ID      int64  `json:"id"`
	Org     int64  `json:"org"`
	OrgName string `json:"org_name"`
	Status  string `json:"status"`
	Declaration
	CreatedAt         time.Time    `json:"created_at"`
	SubmittedBy       string       `json:"submitted_by,omitempty"`
	SubmittedAt       *time.Time   `json:"submitted_at"`
	Severity          string       `json:"severity,omitempty"`
	QualifiedCategory string       `json:"qualified_category,omitempty"`
	QualifiedAt       *time.Time   `json:"qualified_at"`
	ClosedAt          *time.Time   `json:"closed_at"`
	Portal            *PortalJSON  `json:"portal"`
	Shared            bool         `json:"shared"`
	Exercise          int64        `json:"exercise,omitempty"`
	PCRAVersion       int          `json:"pcra_version,omitempty"`
	Timeline          []EntryJSON  `json:"timeline,omitempty"`
	Summary           []SummaryRow `json:"copy_summary,omitempty"`
	Sheets            []Sheet      `json:"degraded_sheets,omitempty"`
}

// PortalJSON is the record of the declaration on the national portal.
type PortalJSON struct {
	DeclaredAt time.Time `json:"declared_at"`
	By         string    `json:"by"`
	Reference  string    `json:"reference"`
}

// EntryJSON is a timeline entry.
type EntryJSON struct {
	ID        int64     `json:"id"`
	Side      string    `json:"side"`
	Text      string    `json:"text"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// SummaryRow is a line of the copy-ready summary (labels in French, the
// portal's language).
type SummaryRow struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ToJSON is the API form of an incident.
func ToJSON(i Incident) JSON {
	j := JSON{ID: i.ID, Org: i.OrgID, OrgName: i.OrgName, Status: i.Status, Declaration: i.Declaration, CreatedAt: i.CreatedAt,
		SubmittedBy: i.SubmittedBy, SubmittedAt: i.SubmittedAt, Severity: i.Severity, QualifiedCategory: i.QualifiedCategory,
		QualifiedAt: i.QualifiedAt, ClosedAt: i.ClosedAt, Shared: i.SharedNow(), Exercise: i.ExerciseID, PCRAVersion: i.PCRAVersion}
	if j.Categories == nil {
		j.Categories = []string{}
	}
	if i.PortalAt != nil {
		j.Portal = &PortalJSON{DeclaredAt: *i.PortalAt, By: i.PortalBy, Reference: i.PortalReference}
	}
	return j
}

func toEntryJSON(e Entry) EntryJSON { return EntryJSON(e) }

type declarationJSON struct {
	Org int64 `json:"org"`
	Declaration
}

// APICreate answers POST /api/v1/incidents: a draft declaration of org.
func (h *Handler) APICreate(w http.ResponseWriter, r *http.Request) {
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in declarationJSON) (JSON, error) {
		if in.Org <= 0 {
			var c problem.Checks
			c.Add("org", "incident.error.org_required")
			return JSON{}, c.Err()
		}
		i, err := h.Incidents.Create(ctx, in.Org, in.Declaration)
		return ToJSON(i), err
	})
}

// APIUpdate answers PUT /api/v1/incidents/{id}: the draft's declaration
// replaced; a submitted one is never altered (409).
func (h *Handler) APIUpdate(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in declarationJSON) (JSON, error) {
		i, err := h.Incidents.Update(ctx, id, in.Org, in.Declaration)
		return ToJSON(i), err
	})
}

// APISubmit answers POST /api/v1/incidents/{id}/submit.
func (h *Handler) APISubmit(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Incidents.Submit, ToJSON))
}

// APIGet answers GET /api/v1/incidents/{id}: the incident with its timeline
// and its copy-ready summary.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, func(ctx context.Context, id int64) (JSON, error) {
		i, err := h.Incidents.Incident(ctx, id)
		if err != nil {
			return JSON{}, err
		}
		entries, err := listEntries(ctx, h.Incidents.DB.Read, i.ID)
		if err != nil {
			return JSON{}, err
		}
		j := ToJSON(i)
		for _, e := range entries {
			j.Timeline = append(j.Timeline, toEntryJSON(e))
		}
		for _, l := range CopySummary(i, frT) {
			j.Summary = append(j.Summary, SummaryRow{Label: frT(l.Key), Value: l.Value})
		}
		j.Sheets, err = h.Incidents.HandlingSheets(ctx, i)
		return j, err
	})
}

type entryJSON struct {
	Text string `json:"text"`
}

// APIEntry answers POST /api/v1/incidents/{id}/timeline ({text}).
func (h *Handler) APIEntry(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusCreated, func(ctx context.Context, id int64, in entryJSON) (EntryJSON, error) {
		e, err := h.Incidents.AddEntry(ctx, id, in.Text)
		return toEntryJSON(e), err
	})
}

type qualificationJSON struct {
	Severity string `json:"severity"`
	Category string `json:"category"`
}

// APIQualify answers POST /api/v1/incidents/{id}/qualification ({severity,
// category}; CERT Santé).
func (h *Handler) APIQualify(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in qualificationJSON) (JSON, error) {
		i, err := h.Incidents.Qualify(ctx, id, in.Severity, in.Category)
		return ToJSON(i), err
	})
}

// APIClose answers POST /api/v1/incidents/{id}/close.
func (h *Handler) APIClose(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Incidents.Close, ToJSON))
}

type shareJSON struct {
	Shared bool `json:"shared"`
}

// APIShare answers POST /api/v1/incidents/{id}/share ({shared}).
func (h *Handler) APIShare(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in shareJSON) (JSON, error) {
		i, err := h.Incidents.Share(ctx, id, in.Shared)
		return ToJSON(i), err
	})
}

type portalJSON struct {
	DeclaredAt time.Time `json:"declared_at"`
	Reference  string    `json:"reference"`
}

// APIPortal answers POST /api/v1/incidents/{id}/portal ({declared_at,
// reference}): the declaration was made on the national portal.
func (h *Handler) APIPortal(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in portalJSON) (JSON, error) {
		i, err := h.Incidents.RecordPortal(ctx, id, in.DeclaredAt, in.Reference)
		return ToJSON(i), err
	})
}

// APIList answers GET /api/v1/incidents?org=…&status=…: the incidents the
// caller sees, newest first, paged.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := web.Pagination(r, 50, 500)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[JSON], error) {
		list, err := h.Incidents.Incidents(ctx, org, r.URL.Query().Get("status"))
		p := web.Page[JSON]{Items: []JSON{}, Total: len(list), Limit: limit, Offset: offset}
		for k, i := range list {
			if k >= offset && k < offset+limit {
				p.Items = append(p.Items, ToJSON(i))
			}
		}
		return p, err
	})
}

// APIStats answers GET /api/v1/incidents/stats?org=…&year=…: the statistics
// of the declarations the caller sees (a region's for its ARS referents).
func (h *Handler) APIStats(w http.ResponseWriter, r *http.Request) {
	year, err := yearParam(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (Stats, error) {
		return h.Incidents.Stats(ctx, org, year)
	})
}

// frT translates in French, the national portal's language.
var frT = i18n.FR.T

// yearParam is the year query parameter, 0 when absent.
func yearParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		return 0, problem.New(problem.BadRequest, "incident.error.year", v)
	}
	return y, nil
}
