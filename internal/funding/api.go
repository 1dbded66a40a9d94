package funding

import (
	"io"
	"net/http"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// DomainJSON is a domain as the API shows it.
type DomainJSON struct {
	ID            string          `json:"id"`
	Code          string          `json:"code"`
	Title         string          `json:"title"`
	TitleEN       string          `json:"title_en"`
	Description   string          `json:"description"`
	Public        bool            `json:"public"`
	Note          string          `json:"note,omitempty"`
	Source        string          `json:"source"`
	Aims          []AimJSON       `json:"aims"`
	Prerequisites []ObjectiveJSON `json:"prerequisites"`
	Objectives    []ObjectiveJSON `json:"objectives"`
	Withheld      []WithheldJSON  `json:"withheld"`
}

// AimJSON is a stated aim of a domain.
type AimJSON struct {
	Title   string  `json:"title"`
	TitleEN string  `json:"title_en"`
	Rule    *string `json:"rule"`
	Source  string  `json:"source"`
}

// ObjectiveJSON is a prerequisite or an objective.
type ObjectiveJSON struct {
	Code        string   `json:"code"`
	Year        *int     `json:"year"`
	Title       string   `json:"title"`
	TitleEN     string   `json:"title_en"`
	Description string   `json:"description"`
	Evidence    []string `json:"evidence"`
	Rule        *string  `json:"rule"`
	Source      string   `json:"source"`
}

// WithheldJSON is a part of a domain that is not public.
type WithheldJSON struct {
	Subject string `json:"subject"`
	Note    string `json:"note"`
	Source  string `json:"source"`
}

// CallJSON is a call as the API shows it.
type CallJSON struct {
	ID               string      `json:"id"`
	Domain           string      `json:"domain"`
	Title            string      `json:"title"`
	TitleEN          string      `json:"title_en"`
	Source           string      `json:"source"`
	Categories       []string    `json:"categories"`
	CategoriesNote   string      `json:"categories_note,omitempty"`
	Envelope         AmountJSON  `json:"envelope"`
	Ceiling          AmountJSON  `json:"ceiling"`
	Phases           []PhaseJSON `json:"phases"`
	OperationalPhase *PeriodJSON `json:"operational_phase"`
	CandidatureOpen  bool        `json:"candidature_open"`
}

// AmountJSON is an amount in euros, null with a note when it is not public.
type AmountJSON struct {
	EUR    *int64 `json:"eur"`
	Public bool   `json:"public"`
	Note   string `json:"note,omitempty"`
	Source string `json:"source"`
}

// PhaseJSON is a phase; a date not published is null.
type PhaseJSON struct {
	Phase  string  `json:"phase"`
	From   *string `json:"from"`
	To     *string `json:"to"`
	Status string  `json:"status"`
	Note   string  `json:"note,omitempty"`
	Source string  `json:"source,omitempty"`
}

// PeriodJSON is a span of days; an end not published is null.
type PeriodJSON struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func objectivesJSON(list []Objective) []ObjectiveJSON {
	out := []ObjectiveJSON{}
	for _, o := range list {
		ev := o.Evidence
		if ev == nil {
			ev = []string{}
		}
		out = append(out, ObjectiveJSON{Code: o.Code, Year: optional(o.Year), Title: o.Title, TitleEN: o.TitleEN, Description: o.Description,
			Evidence: ev, Rule: optional(o.Rule), Source: o.Source})
	}
	return out
}

// ToDomainJSON is the API form of a domain.
func ToDomainJSON(d Domain) DomainJSON {
	j := DomainJSON{ID: d.ID, Code: d.Code, Title: d.Title, TitleEN: d.TitleEN, Description: d.Description, Public: d.IsPublic(), Note: d.Note,
		Source: d.Source, Aims: []AimJSON{}, Prerequisites: objectivesJSON(d.Prerequisites), Objectives: objectivesJSON(d.Objectives), Withheld: []WithheldJSON{}}
	for _, a := range d.Aims {
		j.Aims = append(j.Aims, AimJSON{Title: a.Title, TitleEN: a.TitleEN, Rule: optional(a.Rule), Source: a.Source})
	}
	for _, w := range d.Withheld {
		j.Withheld = append(j.Withheld, WithheldJSON(w))
	}
	return j
}

func amountJSON(a Amount) AmountJSON {
	j := AmountJSON{Public: a.IsPublic(), Note: a.Note, Source: a.Source}
	if j.Public {
		j.EUR = a.EUR
	}
	return j
}

// ToCallJSON is the API form of a call at the given instant.
func ToCallJSON(c Call, now time.Time) CallJSON {
	j := CallJSON{ID: c.ID, Domain: c.Domain, Title: c.Title, TitleEN: c.TitleEN, Source: c.Source, Categories: c.Categories, CategoriesNote: c.CategoriesNote,
		Envelope: amountJSON(c.Amounts.Envelope), Ceiling: amountJSON(c.Amounts.Ceiling), Phases: []PhaseJSON{}, CandidatureOpen: c.CandidatureOpen(now)}
	if j.Categories == nil {
		j.Categories = []string{}
	}
	for _, ph := range c.Phases {
		j.Phases = append(j.Phases, PhaseJSON{Phase: ph.Name, From: optional(ph.From), To: optional(ph.To), Status: ph.StatusAt(now), Note: ph.Note, Source: ph.Source})
	}
	if from, to, ok := c.OperationalPhase(); ok {
		p := &PeriodJSON{From: from.Format(time.DateOnly)}
		if !to.IsZero() {
			p.To = optional(to.Format(time.DateOnly))
		}
		j.OperationalPhase = p
	}
	return j
}

func items[T any](list []T) web.Page[T] {
	if list == nil {
		list = []T{}
	}
	return web.Page[T]{Items: list, Total: len(list), Limit: len(list)}
}

// APIDomains answers GET /api/v1/funding/domains: the domains of the programme
// in force, with their prerequisites and objectives.
func (h *Handler) APIDomains(w http.ResponseWriter, r *http.Request) {
	p, err := h.Funding.Programme(r.Context())
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	var out []DomainJSON
	for _, d := range p.Domains {
		out = append(out, ToDomainJSON(d))
	}
	web.JSON(w, http.StatusOK, items(out))
}

// APICalls answers GET /api/v1/funding/calls: the calls with their phases and
// dates; ?domain= keeps one domain's.
func (h *Handler) APICalls(w http.ResponseWriter, r *http.Request) {
	p, err := h.Funding.Programme(r.Context())
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	domain := r.URL.Query().Get("domain")
	if _, ok := p.Domain(domain); domain != "" && !ok {
		web.Problem(w, r, problem.New(problem.BadRequest, "funding.error.unknown_domain_param", domain))
		return
	}
	now := db.Now()
	var out []CallJSON
	for _, c := range p.Calls {
		if domain == "" || c.Domain == domain {
			out = append(out, ToCallJSON(c, now))
		}
	}
	web.JSON(w, http.StatusOK, items(out))
}

// VersionJSON is a stored programme version.
type VersionJSON struct {
	Version    int       `json:"version"`
	Title      string    `json:"title"`
	Shipped    bool      `json:"shipped"`
	ImportedBy string    `json:"imported_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// APIImport answers POST /api/v1/funding/programme with a programme's YAML text
// (content managers): the new version is then in force.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	v, err := h.Funding.Import(r.Context(), data)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, VersionJSON(v))
}
