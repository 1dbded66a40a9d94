package directory

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"care/internal/platform/web"
)

// The GHT directory convergence: its page (from the directory page of a GHT), its
// form and its API.

type milestoneJSON struct {
	Title string `json:"title"`
	DueOn string `json:"due_on"`
	Owner string `json:"owner"`
	Done  bool   `json:"done"`
}

type memberDirectoryJSON struct {
	Domain      string    `json:"domain"`
	Level       int       `json:"level"`
	CollectedAt time.Time `json:"collected_at"`
	Audit       int64     `json:"audit"`
}

type levelPointJSON struct {
	At    time.Time `json:"at"`
	Level int       `json:"level"`
}

type memberJSON struct {
	Org         int64                 `json:"org"`
	Name        string                `json:"name"`
	GHT         bool                  `json:"ght"`
	Level       *int                  `json:"level"` // lowest latest level, null when not audited
	Directories []memberDirectoryJSON `json:"directories"`
	Trajectory  []levelPointJSON      `json:"trajectory"`
}

type convergenceJSON struct {
	Org        int64           `json:"org"`
	Name       string          `json:"name"`
	Target     *string         `json:"target"` // null before a target is recorded
	Note       string          `json:"note"`
	UpdatedAt  *time.Time      `json:"updated_at"`
	Milestones []milestoneJSON `json:"milestones"`
	Members    []memberJSON    `json:"members"`
	CanWrite   bool            `json:"can_write"`
}

// planJSON is the body of a PUT: the target and every milestone, replaced whole.
type planJSON struct {
	Target     string          `json:"target"`
	Note       string          `json:"note"`
	Milestones []milestoneJSON `json:"milestones"`
}

func toConvergenceJSON(c ConvergenceView) convergenceJSON {
	out := convergenceJSON{Org: c.GHT.ID, Name: c.GHT.Name, Note: c.Plan.Note, UpdatedAt: c.UpdatedAt, CanWrite: c.CanWrite,
		Milestones: []milestoneJSON{}, Members: []memberJSON{}}
	if c.Set {
		out.Target = &c.Plan.Target
	}
	for _, m := range c.Plan.Milestones {
		out.Milestones = append(out.Milestones, milestoneJSON(m))
	}
	for _, m := range c.Members {
		j := memberJSON{Org: m.OrgID, Name: m.Name, GHT: m.GHT, Directories: []memberDirectoryJSON{}, Trajectory: []levelPointJSON{}}
		if l := m.Latest(); l > 0 {
			j.Level = &l
		}
		for _, d := range m.Directories {
			j.Directories = append(j.Directories, memberDirectoryJSON{Domain: d.Domain, Level: d.Level, CollectedAt: d.CollectedAt, Audit: d.AuditID})
		}
		for _, p := range m.Trajectory {
			j.Trajectory = append(j.Trajectory, levelPointJSON(p))
		}
		out.Members = append(out.Members, j)
	}
	return out
}

// APIConvergence answers GET /api/v1/orgs/{org}/directory/convergence for a GHT.
func (h *Handler) APIConvergence(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (convergenceJSON, error) {
		c, err := h.Directory.ConvergenceView(ctx, org)
		return toConvergenceJSON(c), err
	})
}

// APISaveConvergence answers PUT /api/v1/orgs/{org}/directory/convergence: the
// target and milestones, checked whole; a refusal stores nothing.
func (h *Handler) APISaveConvergence(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (convergenceJSON, error) {
		in, err := web.Decoded[planJSON](w, r)
		if err != nil {
			return convergenceJSON{}, err
		}
		p := Plan{Target: in.Target, Note: in.Note, Milestones: []Milestone{}}
		for _, m := range in.Milestones {
			p.Milestones = append(p.Milestones, Milestone(m))
		}
		if err := h.Directory.SaveConvergence(ctx, org, p); err != nil {
			return convergenceJSON{}, err
		}
		c, err := h.Directory.ConvergenceView(ctx, org)
		return toConvergenceJSON(c), err
	})
}

// blankMilestones is how many empty rows the form offers for new milestones.
const blankMilestones = 3

type convergenceData struct {
	ConvergenceView
	Targets []string
	Rows    []Milestone // the milestones and blank rows of the form
}

// ConvergencePage shows the convergence of a GHT, with its form for who may edit it.
func (h *Handler) ConvergencePage(w http.ResponseWriter, r *http.Request) {
	org, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.showConvergence(w, r, org, nil, nil)
}

// showConvergence renders the page of GHT org; a refused form (refused) shows
// again with what was typed (typed) and each error beside its field.
func (h *Handler) showConvergence(w http.ResponseWriter, r *http.Request, org int64, typed *Plan, refused error) {
	c, err := h.Directory.ConvergenceView(r.Context(), org)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := convergenceData{ConvergenceView: c, Targets: Targets, Rows: slices.Clone(c.Plan.Milestones)}
	v := h.View(r, "directory.convergence.title")
	if typed != nil {
		d.Rows = typed.Milestones
		v.Form = map[string]string{"target": typed.Target, "note": typed.Note}
	}
	for range blankMilestones {
		d.Rows = append(d.Rows, Milestone{})
	}
	h.Show(w, r, "directory-convergence", v, d, refused)
}

// formPlan reads the plan of the form: one row per milestone, rows left blank
// skipped; a row's "done" box carries the row's number.
func formPlan(r *http.Request) Plan {
	_ = r.ParseForm()
	p := Plan{Target: r.PostFormValue("target"), Note: r.PostFormValue("note"), Milestones: []Milestone{}}
	titles, dates, owners := r.PostForm["title"], r.PostForm["due_on"], r.PostForm["owner"]
	done := r.PostForm["done"]
	at := func(list []string, i int) string {
		if i < len(list) {
			return list[i]
		}
		return ""
	}
	for i := range titles {
		m := Milestone{Title: at(titles, i), DueOn: at(dates, i), Owner: at(owners, i), Done: slices.Contains(done, strconv.Itoa(i))}
		if m.Title == "" && m.DueOn == "" && m.Owner == "" && !m.Done {
			continue
		}
		p.Milestones = append(p.Milestones, m)
	}
	return p
}

// SaveConvergenceForm records the plan posted from the page.
func (h *Handler) SaveConvergenceForm(w http.ResponseWriter, r *http.Request) {
	org, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p := formPlan(r)
	if err := h.Directory.SaveConvergence(r.Context(), org, p); err != nil {
		h.showConvergence(w, r, org, &p, err)
		return
	}
	web.Done(w, r, "directory.convergence.saved", convergencePage(org))
}

func convergencePage(org int64) string { return fmt.Sprintf("/annuaire/noeud/%d/convergence", org) }
