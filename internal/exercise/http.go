package exercise

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// NodeChoice is an establishment offered when creating an exercise.
type NodeChoice struct {
	ID    int64
	Label string
}

// Pages serves the exercise pages: the list, the animator console, the player and
// observer views, and the RETEX.
type Pages struct {
	*Handler
	Render *web.Renderer
	View   func(r *http.Request, title string) *web.View
	Nodes  func(ctx context.Context) ([]NodeChoice, error)
}

func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.Render.Fail(w, r, p.View(r, "error.title"), err)
}

type listData struct {
	Exercises   []Exercise
	Kits        []Kit
	Nodes       []NodeChoice
	Org         int64
	Recommended string
}

// List shows the exercises the viewer takes part in or may read, and the form to
// start one from a kit.
func (p *Pages) List(w http.ResponseWriter, r *http.Request) {
	p.list(w, r, http.StatusOK, p.View(r, "exercise.title"))
}

func (p *Pages) list(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	var d listData
	var err error
	d.Exercises, err = p.Exercises.List(ctx)
	if err == nil {
		d.Kits, err = p.Exercises.kits(ctx)
		d.Kits = latest(d.Kits)
	}
	if err == nil {
		d.Nodes, err = p.Nodes(ctx)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d.Org, _ = strconv.ParseInt(r.URL.Query().Get("org"), 10, 64)
	if d.Org == 0 && len(d.Nodes) > 0 {
		d.Org = d.Nodes[0].ID
	}
	if d.Org != 0 {
		d.Recommended, _, _ = p.Exercises.Recommended(ctx, d.Org)
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	p.Render.Render(w, status, "exercise-list", v)
}

// Create starts a draft exercise from the form.
func (p *Pages) Create(w http.ResponseWriter, r *http.Request) {
	org, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	speed, _ := strconv.Atoi(r.PostFormValue("speed"))
	e, err := p.Exercises.Create(r.Context(), org, r.PostFormValue("kit"), speed)
	if err != nil {
		web.LogIfInternal(r, err)
		v := p.View(r, "exercise.title")
		v.SetError(err)
		p.list(w, r, web.Status(err), v)
		return
	}
	web.SetFlash(w, "exercise.created")
	web.Redirect(w, r, fmt.Sprintf("/exercices/%d", e.ID))
}

// Activity is what a participant wrote in the main courante.
type Activity struct {
	Member
	Entries int
	Last    *time.Time
}

type pageData struct {
	Exercise     Exercise
	Seat         Seat
	Stimuli      []Line
	Log          []LogEntry
	Members      []Member
	Criteria     []CriterionResult
	Tasks        []LogEntry // the actions of the viewer's cell (all cells for animators)
	Activity     []Activity // the animator console's view of who writes what
	Elapsed      int
	Channels     string // JSON: channel id → label, for the live script
	Cells        map[string]string
	CanManage    bool
	Running      bool
	RetexVisible bool
}

// Page shows an exercise as the viewer's seat allows: the console to animators,
// the grid to observers, received stimuli and the main courante to players, and
// only the summary to readers of the establishment.
func (p *Pages) Page(w http.ResponseWriter, r *http.Request) {
	p.page(w, r, http.StatusOK, p.View(r, "exercise.title"))
}

func (p *Pages) page(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	var d pageData
	if err == nil {
		d.Exercise, d.Seat, err = p.Exercises.Get(ctx, id)
	}
	if err == nil {
		d.Members, err = p.Exercises.Participants(ctx, id)
	}
	if err == nil && d.Seat.Role != "" {
		d.Stimuli, _, err = p.Exercises.Stimuli(ctx, id)
		if err == nil {
			d.Log, err = p.Exercises.Log(ctx, id)
		}
		if err == nil && d.Seat.Staff() {
			var rx Retex
			if rx, err = p.Exercises.Retex(ctx, id); err == nil {
				d.Criteria = rx.Criteria
			}
		}
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	for _, l := range d.Log {
		if l.Kind == "action" && (d.Seat.Role == RoleAnimator || l.Cell == d.Seat.Cell) {
			d.Tasks = append(d.Tasks, l)
		}
	}
	if d.Seat.Role == RoleAnimator {
		for _, m := range d.Members {
			a := Activity{Member: m}
			for _, l := range d.Log {
				if l.UserID == m.UserID {
					a.Entries++
					at := l.At
					a.Last = &at
				}
			}
			d.Activity = append(d.Activity, a)
		}
	}
	e := d.Exercise
	d.Running = e.Status == StatusRunning
	d.CanManage = d.Seat.Role == RoleAnimator
	d.RetexVisible = d.Seat.Role != "" && (e.Status == StatusFinished || e.Status == StatusClosed)
	end := time.Now()
	if e.FinishedAt != nil {
		end = *e.FinishedAt
	}
	d.Elapsed = int(e.Clock.Elapsed(end) / time.Second)
	labels := map[string]string{}
	for _, c := range Channels {
		labels[c] = v.T("exercise.channel." + c)
	}
	b, _ := json.Marshal(labels)
	d.Channels = string(b)
	d.Cells = map[string]string{"all": v.T("exercise.all_cells")}
	for _, c := range e.Kit.Cells {
		d.Cells[c.ID] = c.Name
	}
	v.Title = "exercise.title"
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	p.Render.Render(w, status, "exercise-page", v)
}

func (p *Pages) again(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	v := p.View(r, "exercise.title")
	v.SetError(err)
	p.page(w, r, web.Status(err), v)
}

func (p *Pages) back(w http.ResponseWriter, r *http.Request, flash, anchor string) {
	id, _ := web.PathID(r, "id")
	if flash != "" {
		web.SetFlash(w, flash)
	}
	web.Redirect(w, r, fmt.Sprintf("/exercices/%d%s", id, anchor))
}

// Step moves the exercise through its lifecycle from the console.
func (p *Pages) Step(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		ctx := r.Context()
		switch r.PostFormValue("step") {
		case "start":
			err = p.Exercises.Start(ctx, id)
		case "pause":
			err = p.Exercises.Pause(ctx, id)
		case "resume":
			err = p.Exercises.Resume(ctx, id)
		case "finish":
			err = p.Exercises.Finish(ctx, id)
		case "close":
			err = p.Exercises.CloseRetex(ctx, id)
		default:
			err = problem.New(problem.Invalid, "error.invalid")
		}
	}
	if err != nil && r.PostFormValue("step") == "close" {
		p.retexAgain(w, r, err)
		return
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "exercise.step."+r.PostFormValue("step"), "")
}

// AddParticipant seats a person, found by e-mail address, from the console.
func (p *Pages) AddParticipant(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		err = p.Exercises.AddParticipantByEmail(r.Context(), id, r.PostFormValue("email"), r.PostFormValue("role"), r.PostFormValue("cell"))
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "exercise.participant_added", "#participants")
}

// StimulusAction sends a stimulus now or skips it, from the console.
func (p *Pages) StimulusAction(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var sid int64
	if err == nil {
		sid, err = web.PathID(r, "sid")
	}
	if err == nil {
		if r.PostFormValue("action") == "skip" {
			err = p.Exercises.Skip(r.Context(), id, sid)
		} else {
			err = p.Exercises.SendNow(r.Context(), id, sid)
		}
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "", "#timeline")
}

// PostLog writes in the main courante.
func (p *Pages) PostLog(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		stimulus, _ := strconv.ParseInt(r.PostFormValue("stimulus"), 10, 64)
		_, err = p.Exercises.PostLog(r.Context(), id, r.PostFormValue("kind"), r.PostFormValue("body"), stimulus)
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "", "#log")
}

// Mark records a mark of the grid.
func (p *Pages) Mark(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		score, _ := strconv.Atoi(r.PostFormValue("score"))
		_, err = p.Exercises.AddMark(r.Context(), id, r.PostFormValue("criterion"), score, r.PostFormValue("note"))
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "exercise.marked", "#grid")
}

// RetexPage shows the RETEX.
func (p *Pages) RetexPage(w http.ResponseWriter, r *http.Request) {
	p.retex(w, r, http.StatusOK, p.View(r, "exercise.retex"))
}

func (p *Pages) retex(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	id, err := web.PathID(r, "id")
	var rx Retex
	if err == nil {
		rx, err = p.Exercises.Retex(r.Context(), id)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = rx
	p.Render.Render(w, status, "exercise-retex", v)
}

func (p *Pages) retexAgain(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	v := p.View(r, "exercise.retex")
	v.SetError(err)
	p.retex(w, r, web.Status(err), v)
}

// SaveRetex writes the conclusions.
func (p *Pages) SaveRetex(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		err = p.Exercises.SaveRetex(r.Context(), id, r.PostFormValue("strengths"), r.PostFormValue("improvements"))
	}
	if err != nil {
		p.retexAgain(w, r, err)
		return
	}
	web.SetFlash(w, "exercise.retex_saved")
	web.Redirect(w, r, fmt.Sprintf("/exercices/%d/retex", id))
}

// SaveAction adds an action to the plan or changes its status.
func (p *Pages) SaveAction(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	a := Action{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"), Status: r.PostFormValue("status")}
	if v := r.PostFormValue("action"); v != "" && err == nil {
		a.ID, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := strings.TrimSpace(r.PostFormValue("due")); v != "" && err == nil {
		if a.Due, err = time.Parse(time.DateOnly, v); err != nil {
			var c problem.Checks
			c.Add("due", "exercise.error.due")
			err = c.Err()
		}
	}
	if err == nil {
		a, err = p.Exercises.SaveAction(r.Context(), id, a)
	}
	if err != nil {
		p.retexAgain(w, r, err)
		return
	}
	web.SetFlash(w, "exercise.action_saved")
	web.Redirect(w, r, fmt.Sprintf("/exercices/%d/retex", id))
}

// DoneTask marks an action of the cell done.
func (p *Pages) DoneTask(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var entry int64
	if err == nil {
		entry, err = web.PathID(r, "lid")
	}
	if err == nil {
		err = p.Exercises.DoneTask(r.Context(), id, entry)
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "", "#tasks")
}

// Plan sets the date of the exercise from the console.
func (p *Pages) Plan(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var on time.Time
	if err == nil {
		var perr error
		if on, perr = time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("planned_for"), time.Local); perr != nil {
			var c problem.Checks
			c.Add("planned_for", "exercise.error.date")
			err = c.Err()
		}
	}
	if err == nil {
		err = p.Exercises.Plan(r.Context(), id, on)
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "exercise.planned", "")
}

// Import replaces the chronogramme with an uploaded CSV or XLSX file.
func (p *Pages) Import(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		file, header, ferr := r.FormFile("file")
		if ferr != nil {
			var c problem.Checks
			c.Add("file", "exercise.import.empty")
			err = c.Err()
		} else {
			defer file.Close()
			var data []byte
			if data, err = io.ReadAll(file); err == nil {
				_, err = p.Exercises.ImportChronogramme(r.Context(), id, data, header.Filename)
			}
		}
	}
	if err != nil {
		p.again(w, r, err)
		return
	}
	p.back(w, r, "exercise.imported", "#timeline")
}
