package exercise

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the exercise pages (the list, the animator console, the player
// and observer views, the RETEX) and the exercise API.
type Handler struct {
	web.Pages
	Exercises *Service
	Orgs      *org.Service
	PDF       *docs.PDF
	// Poll is how often a live stream reads its feed without being woken, a safety
	// net (the exercise's watcher wakes streams on other instances' events);
	// 15 s when zero.
	Poll time.Duration
}

// show renders page name with the data load puts in the view; refused, when set,
// is a form's refusal shown on the page beside its field (Again).
func (h *Handler) show(w http.ResponseWriter, r *http.Request, title, name string, refused error, load func(v *web.View) error) {
	v := h.View(r, title)
	if err := load(v); err != nil {
		h.Fail(w, r, err)
		return
	}
	v.Flash = web.TakeFlash(w, r)
	if refused != nil {
		h.Again(w, r, name, v, refused)
		return
	}
	h.Render.Render(w, http.StatusOK, name, v)
}

// ---- the list ----

// levels are the nodes an exercise may be organised for: a region (the regional
// kit), a GHT, an establishment or a site.
var levels = []org.Level{org.Region, org.GHT, org.LegalEntity, org.Site}

// pageSize is how many exercises a page of the list shows: a region or the
// nation holds thousands.
const pageSize = 50

type listData struct {
	Lobby
	Chooser  web.Chooser
	Regional org.Regional // the view of a GHT, a region or the nation
	Yearly   int64        // the node of the yearly view, 0 when the viewer reads no node at the level of a GHT or above
}

// List shows the exercises the viewer takes part in or may read, and the form to
// start one from a kit for the node chosen (?org=ID; the first node offered when
// there are few).
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	orgID, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.list(w, r, orgID, nil)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, orgID int64, refused error) {
	h.show(w, r, "exercise.title", "exercise-list", refused, func(v *web.View) error {
		ctx := r.Context()
		regional, err := h.Orgs.Regional(ctx, "/exercices", orgID, h.Exercises.StatusSource())
		if err != nil {
			return err
		}
		chooser, err := h.Orgs.Chooser(ctx, "/exercices", org.Org{}, levels...)
		if err != nil {
			return err
		}
		if orgID == 0 && len(chooser.Few) > 0 {
			orgID = chooser.Few[0].ID
		}
		limit, offset, err := web.Pagination(r, pageSize, pageSize)
		if err != nil {
			return err
		}
		lobby, err := h.Exercises.Lobby(ctx, orgID, limit, offset)
		if err != nil {
			return err
		}
		if orgID != 0 {
			chooser.Current = lobby.Node.Choice()
		}
		v.Data = listData{Lobby: lobby, Chooser: chooser, Regional: regional, Yearly: YearlyNode(ctx)}
		return nil
	})
}

// Create starts a draft exercise from the form.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	orgID, err := formOrg(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	speed, _ := strconv.Atoi(r.PostFormValue("speed"))
	e, err := h.Exercises.Create(r.Context(), orgID, r.PostFormValue("kit"), speed)
	if err != nil {
		h.list(w, r, orgID, err)
		return
	}
	web.Done(w, r, "exercise.created", fmt.Sprintf("/exercices/%d", e.ID))
}

// formOrg is the node a form names in its org field, read by web.OrgParam's
// rule: 0 when it names none, a bad request when it is not an id.
func formOrg(r *http.Request) (int64, error) {
	q := url.Values{"org": {r.PostFormValue("org")}}
	return web.OrgParam(&http.Request{URL: &url.URL{RawQuery: q.Encode()}})
}

// ---- an exercise's page ----

// Activity is what a participant wrote in the main courante.
type Activity struct {
	Member
	Entries int
	Last    *time.Time
}

type pageData struct {
	Room
	Tasks        []LogEntry // the actions of the viewer's cell (all cells for animators)
	Activity     []Activity // the animator console's view of who writes what
	Elapsed      int        // exercise time, in seconds
	Clock        string     // exercise time as hh:mm
	SimTime      string     // the simulated time of day, in the page's language, when the kit gives a start hour
	SimStart     int        // the kit's start hour in minutes after midnight, -1 when none (for the live clock)
	SimScale     int
	Ticking      bool             // the clock runs: the exercise runs, not paused
	At           map[int64]string // each stimulus's exercise time (hh:mm) and simulated time of day
	Channels     string           // JSON: channel id → label, for the live script
	Kinds        string           // JSON: log entry kind → label, for the live script
	CellNames    string           // JSON: cell id → name, for the live script
	Cells        map[string]string
	Announcement string          // the kit's announcement, filled once the exercise is planned with its place
	Simulated    map[string]bool // the cells the animation team plays (Kit.Simulated)
	SimulatedBy  string          // their names, for the line that says so
	CanManage    bool
	Running      bool
	RetexVisible bool
}

// Page shows an exercise as the viewer's seat allows: the console to animators,
// the grid to observers, received stimuli and the main courante to players, and
// only the summary to readers of the establishment.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) { h.exercisePage(w, r, false, nil) }

// RetexPage shows the RETEX.
func (h *Handler) RetexPage(w http.ResponseWriter, r *http.Request) { h.exercisePage(w, r, true, nil) }

// exercisePage shows the page of the exercise {id}, or its RETEX when retex is
// set.
func (h *Handler) exercisePage(w http.ResponseWriter, r *http.Request, retex bool, refused error) {
	title, name := "exercise.title", "exercise-page"
	if retex {
		title, name = "exercise.retex", "exercise-retex"
	}
	h.show(w, r, title, name, refused, func(v *web.View) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		if retex {
			v.Data, err = h.Exercises.Retex(r.Context(), id)
			return err
		}
		room, err := h.Exercises.Room(r.Context(), id)
		v.Data = pageFor(room, v)
		return err
	})
}

// pageFor lays out the page of an exercise for the viewer's seat.
func pageFor(room Room, v *web.View) pageData {
	d := pageData{Room: room}
	e, seat := room.Exercise, room.Seat
	for _, l := range room.Log {
		if l.Kind == "action" && (seat.Role == RoleAnimator || l.Cell == seat.Cell) {
			d.Tasks = append(d.Tasks, l)
		}
	}
	if seat.Role == RoleAnimator {
		for _, m := range room.Members {
			a := Activity{Member: m}
			for _, l := range room.Log {
				if l.UserID == m.UserID {
					a.Entries++
					at := l.At
					a.Last = &at
				}
			}
			d.Activity = append(d.Activity, a)
		}
	}
	d.Running = e.Status == StatusRunning
	d.CanManage = seat.Role == RoleAnimator
	d.RetexVisible = seat.Role != "" && (e.Status == StatusFinished || e.Status == StatusClosed)
	elapsed := e.Elapsed(time.Now())
	d.Elapsed, d.Clock, d.SimStart, d.SimScale = int(elapsed/time.Second), HHMM(elapsed), -1, max(e.Kit.TimeScale, 1)
	d.Ticking = d.Running && e.Clock.PausedAt == nil
	if at, ok := e.Kit.SimulatedAt(elapsed); ok {
		d.SimTime = v.Lang.TimeOfDay(at)
		d.SimStart, _ = e.Kit.Start()
	}
	d.At = map[int64]string{}
	for _, st := range room.Stimuli {
		offset := time.Duration(st.Offset) * time.Second
		d.At[st.ID] = HHMM(offset)
		if at, ok := e.Kit.SimulatedAt(offset); ok {
			d.At[st.ID] += " · " + v.Lang.TimeOfDay(at)
		}
	}
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
	kinds := map[string]string{}
	for _, k := range LogKinds {
		kinds[k] = v.T("exercise.kind." + k)
	}
	b, _ = json.Marshal(kinds)
	d.Kinds = string(b)
	b, _ = json.Marshal(d.Cells)
	d.CellNames = string(b)
	if _, err := e.details(); err == nil {
		d.Announcement = e.communication(seat).Announcement
	}
	d.Simulated = map[string]bool{}
	var names []string
	for _, id := range e.Kit.Simulated(room.Members) {
		d.Simulated[id] = true
		names = append(names, d.Cells[id])
	}
	d.SimulatedBy = strings.Join(names, ", ")
	return d
}

// ---- the forms ----

// submit handles a form posted to an exercise's page or, onRetex, to its RETEX:
// do makes the change; refused, the page shows again with the error; done, the
// browser goes to the exercise's page, at to, with the flash.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request, onRetex bool, flash, to string, do func(ctx context.Context, id int64) error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := do(r.Context(), id); err != nil {
		h.exercisePage(w, r, onRetex, err)
		return
	}
	web.Done(w, r, flash, fmt.Sprintf("/exercices/%d%s", id, to))
}

// Step moves the exercise through its lifecycle from the console; closing is done
// from the RETEX.
func (h *Handler) Step(w http.ResponseWriter, r *http.Request) {
	step := r.PostFormValue("step")
	h.submit(w, r, step == "close", "exercise.step."+step, "", func(ctx context.Context, id int64) error {
		return h.Exercises.Step(ctx, id, step)
	})
}

// Plan sets the date of the exercise from the console.
func (h *Handler) Plan(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "exercise.planned", "", func(ctx context.Context, id int64) error {
		on, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("planned_for"), time.Local)
		if err != nil {
			return fieldError("planned_for", "exercise.error.date")
		}
		return h.Exercises.Plan(ctx, id, on, r.PostFormValue("place"))
	})
}

// Invite e-mails the kit's invitation to the players, from the console.
func (h *Handler) Invite(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "exercise.invitations_sent", "#participants", func(ctx context.Context, id int64) error {
		_, err := h.Exercises.SendInvitations(ctx, id)
		return err
	})
}

// noticeData is the notice page: the date and hour in the page's language.
type noticeData struct {
	Notice
	Date, Time string
}

// NoticePage shows the kit's announcement and internal notice filled with the
// exercise's date and place, to print or forward.
func (h *Handler) NoticePage(w http.ResponseWriter, r *http.Request) {
	h.show(w, r, "exercise.notice", "exercise-notice", nil, func(v *web.View) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		n, err := h.Exercises.Notice(r.Context(), id)
		if err != nil {
			return err
		}
		d := noticeData{Notice: n}
		if at := n.Exercise.PlannedFor; at != nil {
			d.Date, d.Time = v.Lang.LongDate(at.Local()), v.Lang.Clock(at.Local())
		}
		v.Data = d
		return nil
	})
}

// Import replaces the chronogramme with an uploaded CSV or XLSX file.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "exercise.imported", "#timeline", func(ctx context.Context, id int64) error {
		file, header, err := r.FormFile("file")
		if err != nil {
			return fieldError("file", "exercise.import.empty")
		}
		defer file.Close()
		data, err := io.ReadAll(file)
		if err != nil {
			return err
		}
		_, err = h.Exercises.ImportChronogramme(ctx, id, data, header.Filename)
		return err
	})
}

// AddParticipant seats a person, found by e-mail address, from the console.
func (h *Handler) AddParticipant(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "exercise.participant_added", "#participants", func(ctx context.Context, id int64) error {
		return h.Exercises.AddParticipantByEmail(ctx, id, r.PostFormValue("email"), r.PostFormValue("role"), r.PostFormValue("cell"))
	})
}

// StimulusAction sends a stimulus now or skips it, from the console.
func (h *Handler) StimulusAction(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "", "#timeline", func(ctx context.Context, id int64) error {
		sid, err := web.PathID(r, "sid")
		if err != nil {
			return err
		}
		if r.PostFormValue("action") == "skip" {
			return h.Exercises.Skip(ctx, id, sid)
		}
		return h.Exercises.SendNow(ctx, id, sid)
	})
}

// PostLog writes in the main courante.
func (h *Handler) PostLog(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "", "#log", func(ctx context.Context, id int64) error {
		stimulus, _ := strconv.ParseInt(r.PostFormValue("stimulus"), 10, 64)
		_, err := h.Exercises.PostLog(ctx, id, r.PostFormValue("kind"), r.PostFormValue("body"), stimulus)
		return err
	})
}

// DoneTask marks an action of the cell done.
func (h *Handler) DoneTask(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "", "#tasks", func(ctx context.Context, id int64) error {
		entry, err := web.PathID(r, "lid")
		if err != nil {
			return err
		}
		return h.Exercises.DoneTask(ctx, id, entry)
	})
}

// Mark records a mark of the grid.
func (h *Handler) Mark(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, false, "exercise.marked", "#grid", func(ctx context.Context, id int64) error {
		score, _ := strconv.Atoi(r.PostFormValue("score"))
		_, err := h.Exercises.AddMark(ctx, id, r.PostFormValue("criterion"), score, r.PostFormValue("note"))
		return err
	})
}

// SaveRetex writes the conclusions.
func (h *Handler) SaveRetex(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, true, "exercise.retex_saved", "/retex", func(ctx context.Context, id int64) error {
		return h.Exercises.SaveRetex(ctx, id, r.PostFormValue("strengths"), r.PostFormValue("improvements"))
	})
}

// SaveAction adds an action to the plan or changes its status.
func (h *Handler) SaveAction(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, true, "exercise.action_saved", "/retex", func(ctx context.Context, id int64) error {
		a := Action{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"), Status: r.PostFormValue("status")}
		a.ID, _ = strconv.ParseInt(r.PostFormValue("action"), 10, 64)
		due, err := parseDue(strings.TrimSpace(r.PostFormValue("due")))
		if err != nil {
			return err
		}
		a.Due = due
		_, err = h.Exercises.SaveAction(ctx, id, a)
		return err
	})
}

// parseDue reads the due date of an action, the zero time when there is none.
func parseDue(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	due, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return due, fieldError("due", "exercise.error.due")
	}
	return due, nil
}

// fieldError is the refusal of one field of a form.
func fieldError(field, key string, args ...any) error {
	var c problem.Checks
	c.Add(field, key, args...)
	return c.Err()
}
