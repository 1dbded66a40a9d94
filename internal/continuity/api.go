package continuity

import (
	"context"
	"net/http"
	"strings"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// ActivityJSON is an activity as the API shows it.
type ActivityJSON struct {
	ID                int64                     `json:"id"`
	Org               int64                     `json:"org"`
	Name              string                    `json:"name"`
	Type              string                    `json:"type"`
	CatalogueID       string                    `json:"catalogue_id,omitempty"`
	Impacts           map[string]map[string]int `json:"impacts"`
	DMIAHours         *int                      `json:"dmia_hours"`
	ComputedDMIAHours *int                      `json:"computed_dmia_hours"`
	DMIAOverride      *int                      `json:"dmia_override_hours"`
	DMIAJustification string                    `json:"dmia_justification,omitempty"`
	PDMAHours         *int                      `json:"pdma_hours"`
	Dependencies      []dependencyJSON          `json:"dependencies"`
	BIAUpdatedAt      *time.Time                `json:"bia_updated_at"`
	ReviewDue         *time.Time                `json:"review_due"`
	Stale             bool                      `json:"stale"`
}

type dependencyJSON struct {
	Application int64  `json:"application"`
	Name        string `json:"name,omitempty"`
	Critical    bool   `json:"critical"`
}

func activityJSON(a Activity) ActivityJSON {
	j := ActivityJSON{ID: a.ID, Org: a.OrgID, Name: a.Name, Type: a.Type, CatalogueID: a.CatalogueID, Impacts: map[string]map[string]int{},
		DMIAHours: a.EffectiveDMIA(), ComputedDMIAHours: a.ComputedDMIA(), DMIAOverride: a.DMIAOverride, DMIAJustification: a.DMIAJustification,
		PDMAHours: a.PDMA, Dependencies: []dependencyJSON{}, BIAUpdatedAt: a.BIAUpdatedAt, ReviewDue: a.ReviewDue, Stale: Stale(a.ReviewDue, time.Now())}
	for crit, byH := range a.Impacts {
		j.Impacts[crit] = map[string]int{}
		for h, l := range byH {
			j.Impacts[crit][string(h)] = l
		}
	}
	for _, d := range a.Dependencies {
		j.Dependencies = append(j.Dependencies, dependencyJSON{Application: d.ResourceID, Name: d.Name, Critical: d.Critical})
	}
	return j
}

// APICreateActivity answers POST /api/v1/activities.
func (h *Handler) APICreateActivity(w http.ResponseWriter, r *http.Request) {
	type activityIn struct {
		Org         int64  `json:"org"`
		Name        string `json:"name"`
		Type        string `json:"type"`
		CatalogueID string `json:"catalogue_id"`
		Description string `json:"description"`
	}
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in activityIn) (ActivityJSON, error) {
		a, err := h.Continuity.CreateActivity(ctx, NewActivity{OrgID: in.Org, Name: in.Name, Type: in.Type, CatalogueID: in.CatalogueID, Description: in.Description})
		return activityJSON(a), err
	})
}

// APIActivity answers GET /api/v1/activities/{id}.
func (h *Handler) APIActivity(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Continuity.GetActivity, activityJSON))
}

// APISaveBIA answers PUT /api/v1/activities/{id}/bia.
func (h *Handler) APISaveBIA(w http.ResponseWriter, r *http.Request) {
	type biaIn struct {
		Impacts           map[string]map[string]int `json:"impacts"`
		PDMAHours         *int                      `json:"pdma_hours"`
		DMIAOverride      *int                      `json:"dmia_override_hours"`
		DMIAJustification string                    `json:"dmia_justification"`
		MinimumStaff      *string                   `json:"minimum_staff"`
		PeakPeriods       *string                   `json:"peak_periods"`
		ReviewDue         string                    `json:"review_due"`
		Dependencies      []dependencyJSON          `json:"dependencies"`
	}
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in biaIn) (ActivityJSON, error) {
		due, err := optDate(in.ReviewDue)
		if err != nil {
			return ActivityJSON{}, dateError("review_due")
		}
		b := BIA{Impacts: Impacts{}, PDMA: in.PDMAHours, DMIAOverride: in.DMIAOverride, DMIAJustification: in.DMIAJustification,
			MinimumStaff: in.MinimumStaff, PeakPeriods: in.PeakPeriods, ReviewDue: due}
		for crit, byH := range in.Impacts {
			b.Impacts[crit] = map[Horizon]int{}
			for hz, l := range byH {
				b.Impacts[crit][Horizon(hz)] = l
			}
		}
		for _, d := range in.Dependencies {
			b.Dependencies = append(b.Dependencies, DependencyInput{ResourceID: d.Application, Critical: d.Critical})
		}
		a, err := h.Continuity.SaveBIA(ctx, id, b)
		return activityJSON(a), err
	})
}

// ResourceJSON is a register entry as the API shows it.
type ResourceJSON struct {
	ID              int64      `json:"id"`
	Org             int64      `json:"org"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	RTOHours        *int       `json:"rto_hours"`
	RPOHours        *int       `json:"rpo_hours"`
	BackupScheme    string     `json:"backup_scheme"`
	OfflineCopy     bool       `json:"offline_copy"`
	ImmutableCopy   bool       `json:"immutable_copy"`
	LastRestoreTest *time.Time `json:"last_restore_test"`
}

// APICreateApplication answers POST /api/v1/applications.
func (h *Handler) APICreateApplication(w http.ResponseWriter, r *http.Request) {
	type resourceIn struct {
		Org             int64  `json:"org"`
		Name            string `json:"name"`
		Kind            string `json:"kind"`
		RTOHours        *int   `json:"rto_hours"`
		RPOHours        *int   `json:"rpo_hours"`
		BackupScheme    string `json:"backup_scheme"`
		OfflineCopy     bool   `json:"offline_copy"`
		ImmutableCopy   bool   `json:"immutable_copy"`
		LastRestoreTest string `json:"last_restore_test"`
	}
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in resourceIn) (ResourceJSON, error) {
		test, err := optDate(in.LastRestoreTest)
		if err != nil {
			return ResourceJSON{}, dateError("last_restore_test")
		}
		res, err := h.Continuity.CreateResource(ctx, ResourceRow{OrgID: in.Org, Name: in.Name, Kind: in.Kind, RTO: in.RTOHours, RPO: in.RPOHours,
			BackupScheme: in.BackupScheme, OfflineCopy: in.OfflineCopy, ImmutableCopy: in.ImmutableCopy, LastRestoreTest: test})
		return ResourceJSON{ID: res.ID, Org: res.OrgID, Name: res.Name, Kind: res.Kind, RTOHours: res.RTO, RPOHours: res.RPO,
			BackupScheme: res.BackupScheme, OfflineCopy: res.OfflineCopy, ImmutableCopy: res.ImmutableCopy, LastRestoreTest: res.LastRestoreTest}, err
	})
}

// MaxImport bounds an uploaded register of resources (the route table applies it).
const MaxImport = 5 << 20

// APIImportApplications answers POST /api/v1/orgs/{org}/applications/import (CSV body).
func (h *Handler) APIImportApplications(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusCreated, func(ctx context.Context, id int64) (any, error) {
		n, err := h.Continuity.ImportResources(ctx, id, r.Body)
		return map[string]int{"created": n}, err
	})
}

// APIGaps answers GET /api/v1/orgs/{org}/continuity/gaps.
func (h *Handler) APIGaps(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, web.As(h.Continuity.GapsFor, gapsJSON))
}

type gapJSON struct {
	Application      int64    `json:"application"`
	Name             string   `json:"name"`
	RequiredRTOHours *int     `json:"required_rto_hours"`
	ActualRTOHours   *int     `json:"actual_rto_hours"`
	RequiredRPOHours *int     `json:"required_rpo_hours"`
	ActualRPOHours   *int     `json:"actual_rpo_hours"`
	Gap              bool     `json:"gap"`
	RTOGap           bool     `json:"rto_gap"`
	RPOGap           bool     `json:"rpo_gap"`
	Order            int      `json:"recovery_order"`
	Activities       []string `json:"activities"`
	// RTOBasis is the reasoning behind the required RTO; null when none is required.
	RTOBasis *basisJSON `json:"required_rto_basis"`
}

type basisJSON struct {
	Activity    string `json:"activity"`
	Source      string `json:"source"` // degraded_mode (its endurance) or dmia
	Hours       int    `json:"hours"`
	MarginHours int    `json:"margin_hours"`
}

func gapsJSON(gaps []Gap) any {
	out := struct {
		Items []gapJSON `json:"items"`
	}{Items: []gapJSON{}}
	for _, g := range gaps {
		acts := g.Activities
		if acts == nil {
			acts = []string{}
		}
		j := gapJSON{Application: g.Resource.ID, Name: g.Resource.Name, RequiredRTOHours: g.RequiredRTO, ActualRTOHours: g.Resource.RTO,
			RequiredRPOHours: g.RequiredRPO, ActualRPOHours: g.Resource.RPO, Gap: g.HasGap(), RTOGap: g.RTOGap, RPOGap: g.RPOGap, Order: g.Order, Activities: acts}
		if b := g.RTOBasis; b != nil {
			j.RTOBasis = &basisJSON{Activity: b.Activity, Source: "dmia", Hours: b.Hours, MarginHours: b.Margin}
			if b.FromSheet {
				j.RTOBasis.Source = "degraded_mode"
			}
		}
		out.Items = append(out.Items, j)
	}
	return out
}

// APICoverage answers GET /api/v1/orgs/{org}/continuity/coverage.
func (h *Handler) APICoverage(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, web.As(h.Continuity.CoverageFor, coverageJSON))
}

type perimeterJSON struct {
	Care     string `json:"care"`
	Admin    string `json:"admin"`
	Platform string `json:"platform"`
	Met      bool   `json:"met"`
}

type entityJSON struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	Weight    float64       `json:"weight"`
	Perimeter perimeterJSON `json:"minimum_perimeter"`
	BIA       bool          `json:"bia"`
	Plan      bool          `json:"plan"`
	Tested    bool          `json:"tested"`
}

func coverageJSON(c Coverage) any {
	type phaseJSON struct {
		From    *string `json:"from"`
		To      *string `json:"to"`
		Default bool    `json:"default"`
	}
	out := struct {
		Scope     string       `json:"scope"`
		Threshold float64      `json:"threshold_percent"`
		BIA       float64      `json:"bia_percent"`
		Plan      float64      `json:"plan_percent"`
		Tested    float64      `json:"tested_percent"`
		Met       bool         `json:"met"`
		Phase     phaseJSON    `json:"operational_phase"`
		O4        bool         `json:"restore_tested"`
		Entities  []entityJSON `json:"entities"`
	}{Scope: c.Scope, Threshold: CoverageThreshold, BIA: c.BIA, Plan: c.Plan, Tested: c.Tested, Met: c.Met(), O4: c.O4, Entities: []entityJSON{},
		Phase: phaseJSON{Default: c.Phase.Default}}
	if c.Phase.Known {
		from, to := c.Phase.From.Format(time.DateOnly), c.Phase.To.Format(time.DateOnly)
		out.Phase.From, out.Phase.To = &from, &to
	}
	for _, e := range c.Entities {
		p := e.Perimeter
		out.Entities = append(out.Entities, entityJSON{ID: e.ID, Name: e.Name, Weight: e.Weight, BIA: e.BIA, Plan: e.Plan, Tested: e.Tested,
			Perimeter: perimeterJSON{Care: p.State(TypeCare), Admin: p.State(TypeAdmin), Platform: p.State(TypePlatform), Met: p.Met()}})
	}
	return out
}

// APIEvaluation answers GET /api/v1/orgs/{org}/continuity/evaluation.
func (h *Handler) APIEvaluation(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, web.As(h.Continuity.EvaluationFor, evaluationJSON))
}

type criterionJSON struct {
	ID     string  `json:"id"`
	Weight int     `json:"weight"`
	Score  float64 `json:"score"`
}

func evaluationJSON(e Evaluation) any {
	out := struct {
		Percent  float64         `json:"percent"`
		Criteria []criterionJSON `json:"criteria"`
	}{Percent: e.Percent}
	for _, c := range e.Criteria {
		out.Criteria = append(out.Criteria, criterionJSON(c))
	}
	return out
}

// APIDocument answers GET /api/v1/orgs/{org}/pcra?format=docx|odt|pdf.
func (h *Handler) APIDocument(w http.ResponseWriter, r *http.Request) {
	if f := r.URL.Query().Get("format"); f != FormatDOCX && f != FormatODT && f != FormatPDF {
		web.Problem(w, r, problem.New(problem.Invalid, "continuity.error.format", strings.TrimSpace(f)))
		return
	}
	h.Document(w, r)
}

// APINewVersion answers POST /api/v1/orgs/{org}/pcra/versions.
func (h *Handler) APINewVersion(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusCreated, func(ctx context.Context, id int64) (any, error) {
		v, err := h.Continuity.NewVersion(ctx, id, i18n.FromRequest(r))
		return struct {
			Version   int       `json:"version"`
			ChangeLog string    `json:"change_log"`
			CreatedAt time.Time `json:"created_at"`
		}{v.Version, v.ChangeLog, v.CreatedAt}, err
	})
}
