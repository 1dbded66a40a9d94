package insight

import (
	"context"
	"embed"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the programme's view, its exports and its API.
type Handler struct {
	web.Pages
	Insight *Service
	Orgs    *org.Service
	Now     func() time.Time
}

// Maturity levels and directory/exposure levels in the order the view shows them.
var (
	maturityLevels = []string{"debutant", "intermediaire", "confirme"}
	anssiLevels    = []string{"1", "2", "3", "4", "5"}
)

// Line is a row of the view as the page, the exports and the API read it.
type Line struct {
	ID                 int64                                  `json:"id"`
	Name               string                                 `json:"name"`
	Level              string                                 `json:"level"`
	Code               string                                 `json:"code,omitempty"`
	Structures         int64                                  `json:"structures"`
	Health             int64                                  `json:"health_establishments"`
	MedicoSocial       int64                                  `json:"medico_social"`
	ExerciseWith       *int64                                 `json:"exercise_this_year"`
	ExerciseShare      int                                    `json:"exercise_share"`
	Maturity           map[string]int64                       `json:"maturity"`
	Directory          map[string]int64                       `json:"directory"`
	Exposure           map[string]int64                       `json:"exposure"`
	Candidatures       map[string]int64                       `json:"candidatures"`
	CandidaturesByCall map[string]map[string]int64            `json:"candidatures_by_call"`
	ObjectivesByCall   map[string]map[string]map[string]int64 `json:"objectives_by_call"`
	Requested          *int64                                 `json:"amount_requested"`
	Granted            *int64                                 `json:"amount_granted"`
	Paid               *int64                                 `json:"amount_paid"`
	Link               string                                 `json:"-"`
}

// line reads a tally as a Line; figures without a source stay nil.
func line(v View, id int64, name, level, code string, t Tally) Line {
	l := Line{ID: id, Name: name, Level: level, Code: code,
		Structures: t.Get(Structures, "all"), Health: t.Get(Structures, "es"), MedicoSocial: t.Get(Structures, "essms"),
		Maturity: pick(t, Maturity, maturityLevels), Directory: pick(t, Directory, anssiLevels), Exposure: pick(t, Exposure, anssiLevels),
		Candidatures: map[string]int64{}, CandidaturesByCall: map[string]map[string]int64{}, ObjectivesByCall: map[string]map[string]map[string]int64{}}
	if v.Available(Exercise) {
		with := t.Get(Exercise, "with")
		l.ExerciseWith, l.ExerciseShare = &with, t.Share(Exercise, "with", "es")
	}
	for _, k := range t.Keys(Candidatures) {
		call, status, _ := strings.Cut(k, "/")
		l.Candidatures[status] += t.Get(Candidatures, k)
		if l.CandidaturesByCall[call] == nil {
			l.CandidaturesByCall[call] = map[string]int64{}
		}
		l.CandidaturesByCall[call][status] += t.Get(Candidatures, k)
	}
	for _, k := range t.Keys(Objectives) {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) != 3 {
			continue
		}
		call, objective, state := parts[0], parts[1], parts[2]
		if l.ObjectivesByCall[call] == nil {
			l.ObjectivesByCall[call] = map[string]map[string]int64{}
		}
		if l.ObjectivesByCall[call][objective] == nil {
			l.ObjectivesByCall[call][objective] = map[string]int64{}
		}
		l.ObjectivesByCall[call][objective][state] += t.Get(Objectives, k)
	}
	if v.Available(Amounts) {
		req, gr, paid := t.Get(Amounts, "requested"), t.Get(Amounts, "granted"), t.Get(Amounts, "paid")
		l.Requested, l.Granted, l.Paid = &req, &gr, &paid
	}
	if id > 0 && level != string(org.LegalEntity) {
		l.Link = fmt.Sprintf("/programme?org=%d&annee=%d", id, v.Year)
	} else if id > 0 {
		l.Link = fmt.Sprintf("/organisations/%d", id)
	}
	return l
}

// Count is a level and how many hold it.
type Count struct {
	Level string
	N     int64
}

func ordered(m map[string]int64) []Count {
	out := make([]Count, 0, len(anssiLevels))
	for _, k := range anssiLevels {
		out = append(out, Count{k, m[k]})
	}
	return out
}

// Known reports whether a figure has its source; the page reads the values
// through it, as a missing figure is null in the API.
func (l Line) Known(n *int64) bool { return n != nil }

// Of is a known figure's value (0 when it is not known).
func (l Line) Of(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

// CallRow is a call's candidatures by state and its declared objectives by
// verification state, for the page.
type CallRow struct {
	Call       string
	States     map[string]int64
	Objectives []ObjectiveRow
}

// ObjectiveRow is a declared objective of a call and its verification states.
type ObjectiveRow struct {
	Code   string
	States map[string]int64
}

// Calls are the line's calls in order, with their objectives in order.
func (l Line) Calls() []CallRow {
	var out []CallRow
	for _, call := range slices.Sorted(maps.Keys(l.CandidaturesByCall)) {
		c := CallRow{Call: call, States: l.CandidaturesByCall[call]}
		for _, code := range slices.Sorted(maps.Keys(l.ObjectivesByCall[call])) {
			c.Objectives = append(c.Objectives, ObjectiveRow{Code: code, States: l.ObjectivesByCall[call][code]})
		}
		out = append(out, c)
	}
	return out
}

// DirectoryLevels and ExposureLevels are the levels 1 to 5 in order.
func (l Line) DirectoryLevels() []Count { return ordered(l.Directory) }
func (l Line) ExposureLevels() []Count  { return ordered(l.Exposure) }

func pick(t Tally, figure string, keys []string) map[string]int64 {
	m := make(map[string]int64, len(keys))
	for _, k := range keys {
		m[k] = t.Get(figure, k)
	}
	return m
}

// Lines are the view's total and rows as Lines.
func Lines(v View, l i18n.Lang) (total Line, rows []Line) {
	total = line(v, v.Node.ID, v.Node.Name, string(v.Node.Level), v.Node.Code, v.Total)
	for _, r := range v.Rows {
		name := r.Name
		if r.ID == outside {
			name = l.T("insight.outside_ght")
		}
		rows = append(rows, line(v, r.ID, name, r.Level, r.Code, r.Tally))
	}
	return total, rows
}

// asked reads the node (0 when none, 400 when not an id) and the year (annee)
// a page asks for.
func (h *Handler) asked(r *http.Request) (int64, int, error) {
	id, err := web.OrgParam(r)
	if err != nil {
		return 0, 0, err
	}
	year, err := h.year(r, "annee")
	return id, year, err
}

// year reads the year asked (annee on pages, year in the API), this year when absent.
func (h *Handler) year(r *http.Request, param string) (int, error) {
	now := h.Now().Year()
	raw := r.URL.Query().Get(param)
	if raw == "" {
		return now, nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || y < 2020 || y > now+1 {
		return 0, problem.New(problem.Invalid, "error.param", param)
	}
	return y, nil
}

type pageData struct {
	View    View
	Total   Line
	Rows    []Line
	Chooser web.Chooser
	Years   []int
	Map     []Tile
	Outre   []Tile
}

// Page shows the programme under the chosen national, regional or GHT node.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := h.View(r, "insight.title")
	var d pageData
	id, year, err := h.asked(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Chooser, err = h.Orgs.Chooser(ctx, "/programme", org.Org{}, org.National, org.Region, org.GHT); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id == 0 { // the caller's widest node: the nation, its region or its GHT
		tops, err := h.Orgs.Tops(ctx)
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		for _, t := range tops {
			if t.Level == org.National || t.Level == org.Region || t.Level == org.GHT {
				id = t.ID
				break
			}
		}
	}
	if id != 0 {
		if d.View, err = h.Insight.View(ctx, id, year); err != nil {
			h.Fail(w, r, err)
			return
		}
		d.Chooser.Current = d.View.Node.Choice()
		d.Total, d.Rows = Lines(d.View, v.Lang)
		if d.View.Node.Level == org.National {
			d.Map, d.Outre = regionMap(d.Rows)
		}
	}
	for y := h.Now().Year(); y >= h.Now().Year()-4; y-- {
		d.Years = append(d.Years, y)
	}
	v.Data = d
	h.Render.Render(w, http.StatusOK, "insight", v)
}

// Export sends the view as CSV or XLSX, as the path's extension says.
func (h *Handler) Export(w http.ResponseWriter, r *http.Request) {
	id, year, err := h.asked(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	view, err := h.Insight.View(r.Context(), id, year)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	fr := i18n.FR // the file's headers are French, so are its labels
	total, rows := Lines(view, fr)
	t := docs.Download{Name: fmt.Sprintf("programme-%d-%d", id, year), Header: []string{"Structure", "Structures", "Établissements de santé", "Médico-social",
		fmt.Sprintf("Exercice de crise %d", year), "Part avec exercice (%)", "Maturité débutant", "Maturité intermédiaire", "Maturité confirmé",
		"Annuaire niveau 1", "Annuaire niveau 2", "Annuaire niveau 3", "Annuaire niveau 4", "Annuaire niveau 5",
		"Exposition niveau 1", "Exposition niveau 2", "Exposition niveau 3", "Exposition niveau 4", "Exposition niveau 5",
		"Candidatures déposées", "Candidatures acceptées", "Candidatures refusées", "Montant demandé (€)", "Montant accordé (€)", "Montant versé (€)"}}
	unavailable := fr.T("insight.not_available")
	opt := func(n *int64) any {
		if n == nil {
			return unavailable
		}
		return *n
	}
	for _, l := range append(rows, total) {
		row := []any{l.Name, l.Structures, l.Health, l.MedicoSocial, opt(l.ExerciseWith), l.ExerciseShare}
		for _, k := range maturityLevels {
			row = append(row, l.Maturity[k])
		}
		for _, k := range anssiLevels {
			row = append(row, l.Directory[k])
		}
		for _, k := range anssiLevels {
			row = append(row, l.Exposure[k])
		}
		row = append(row, l.Candidatures["submitted"], l.Candidatures["accepted"], l.Candidatures["rejected"], opt(l.Requested), opt(l.Granted), opt(l.Paid))
		t.Rows = append(t.Rows, row)
	}
	if err := t.Send(w, strings.TrimPrefix(path.Ext(r.URL.Path), ".")); err != nil {
		h.Fail(w, r, err)
	}
}

// API answers GET /api/v1/insight/{org}?year=: the figures of the programme's
// view, the node's total and one item per child.
func (h *Handler) API(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "org", http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		year, err := h.year(r, "year")
		if err != nil {
			return nil, err
		}
		v, err := h.Insight.View(ctx, id, year)
		if err != nil {
			return nil, err
		}
		total, rows := Lines(v, i18n.FR)
		if rows == nil {
			rows = []Line{}
		}
		unavailable := v.Unavailable
		if unavailable == nil {
			unavailable = []string{}
		}
		return struct {
			Org         int64    `json:"org"`
			Name        string   `json:"name"`
			Level       string   `json:"level"`
			Year        int      `json:"year"`
			Total       Line     `json:"total"`
			Children    []Line   `json:"children"`
			Unavailable []string `json:"unavailable"`
		}{v.Node.ID, v.Node.Name, string(v.Node.Level), v.Year, total, rows, unavailable}, nil
	})
}
