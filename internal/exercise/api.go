package exercise

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// Handler serves the exercise API.
type Handler struct {
	Exercises *Service
	PDF       *docs.PDF
	// Poll is how often a live stream reads its feed without being woken, a safety
	// net (the exercise's watcher wakes streams on other instances' events);
	// 15 s when zero.
	Poll time.Duration
}

type kitJSON struct {
	ID       string   `json:"id"`
	Version  int      `json:"version"`
	Title    string   `json:"title"`
	Level    string   `json:"level"`
	Audience []string `json:"audience"`
	Duration int      `json:"duration_minutes"`
	Stimuli  int      `json:"stimuli_count"`
	Summary  string   `json:"summary"`
	// Recommended marks the kit of the level that the establishment's latest
	// validated maturity assessment recommends (with ?org=ID).
	Recommended bool `json:"recommended,omitempty"`
}

// APIKits answers GET /api/v1/kits: the kits, without their animator part.
func (h *Handler) APIKits(w http.ResponseWriter, r *http.Request) {
	kits, err := h.Exercises.kits(r.Context())
	kits = latest(kits)
	var level string
	if v := r.URL.Query().Get("org"); v != "" && err == nil {
		org, _ := strconv.ParseInt(v, 10, 64)
		level, _, err = h.Exercises.Recommended(r.Context(), org)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[kitJSON]{Items: []kitJSON{}, Total: len(kits), Limit: len(kits)}
	for _, k := range kits {
		out.Items = append(out.Items, kitJSON{ID: k.ID, Version: k.Version, Title: k.Title, Level: k.Level, Audience: k.Audience,
			Duration: k.Duration, Stimuli: len(k.Animator.Stimuli), Summary: k.Summary, Recommended: level != "" && k.Level == level})
	}
	web.JSON(w, http.StatusOK, out)
}

type exerciseJSON struct {
	ID         int64      `json:"id"`
	Org        int64      `json:"org"`
	Kit        string     `json:"kit"`
	KitVersion int        `json:"kit_version"`
	Title      string     `json:"title"`
	Level      string     `json:"level"`
	Status     string     `json:"status"`
	Paused     bool       `json:"paused"`
	Speed      int        `json:"speed"`
	PlannedFor *time.Time `json:"planned_for"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Elapsed    int        `json:"elapsed_seconds"`
	Role       string     `json:"role,omitempty"`
	Cell       string     `json:"cell,omitempty"`
	// Parts are given to participants: participant and communication parts to all,
	// the animator part (scenario, grid, RETEX template) to the animation team only.
	Participant   *Participant   `json:"participant_part,omitempty"`
	Communication *Communication `json:"communication_part,omitempty"`
	Animator      *Animator      `json:"animator_part,omitempty"`
}

func toExerciseJSON(e Exercise, seat Seat) exerciseJSON {
	out := exerciseJSON{ID: e.ID, Org: e.OrgID, Kit: e.KitID, KitVersion: e.KitVersion, Title: e.Title, Level: e.Level, Status: e.Status,
		Paused: e.Clock.PausedAt != nil, Speed: max(e.Clock.Speed, 1), PlannedFor: e.PlannedFor, FinishedAt: e.FinishedAt, Role: seat.Role, Cell: seat.Cell}
	if !e.Clock.StartedAt.IsZero() {
		t := e.Clock.StartedAt
		out.StartedAt = &t
		end := time.Now()
		if e.FinishedAt != nil {
			end = *e.FinishedAt
		}
		out.Elapsed = int(e.Clock.Elapsed(end) / time.Second)
	}
	if seat.Role != "" {
		out.Participant, out.Communication = &e.Kit.Participant, &e.Kit.Communication
	}
	if seat.Staff() {
		out.Animator = &e.Kit.Animator
	}
	return out
}

// APICreate answers POST /api/v1/exercises.
func (h *Handler) APICreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kit   string `json:"kit"`
		Org   int64  `json:"org"`
		Speed int    `json:"speed"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	e, err := h.Exercises.Create(r.Context(), in.Org, in.Kit, in.Speed)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, toExerciseJSON(e, Seat{Role: RoleAnimator}))
}

// APIList answers GET /api/v1/exercises.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	list, err := h.Exercises.List(r.Context())
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[exerciseJSON]{Items: []exerciseJSON{}, Total: len(list), Limit: len(list)}
	for _, e := range list {
		out.Items = append(out.Items, toExerciseJSON(e, Seat{}))
	}
	web.JSON(w, http.StatusOK, out)
}

// APIGet answers GET /api/v1/exercises/{id}.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var e Exercise
	var seat Seat
	if err == nil {
		e, seat, err = h.Exercises.Get(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, toExerciseJSON(e, seat))
}

// APIAddParticipant answers POST /api/v1/exercises/{id}/participants.
func (h *Handler) APIAddParticipant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User int64  `json:"user"`
		Role string `json:"role"`
		Cell string `json:"cell"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	if err == nil {
		err = h.Exercises.AddParticipant(r.Context(), id, in.User, in.Role, in.Cell)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APIPlan answers POST /api/v1/exercises/{id}/plan.
func (h *Handler) APIPlan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Date string `json:"date"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	var on time.Time
	if err == nil {
		var perr error
		if on, perr = time.Parse(time.RFC3339, in.Date); perr != nil {
			var c problem.Checks
			c.Add("date", "exercise.error.date")
			err = c.Err()
		}
	}
	if err == nil {
		err = h.Exercises.Plan(r.Context(), id, on)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APIStep answers the lifecycle steps POST /api/v1/exercises/{id}/start, pause,
// resume and finish.
func (h *Handler) APIStep(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err == nil {
			switch step {
			case "start":
				err = h.Exercises.Start(r.Context(), id)
			case "pause":
				err = h.Exercises.Pause(r.Context(), id)
			case "resume":
				err = h.Exercises.Resume(r.Context(), id)
			case "finish":
				err = h.Exercises.Finish(r.Context(), id)
			}
		}
		var e Exercise
		var seat Seat
		if err == nil {
			e, seat, err = h.Exercises.Get(r.Context(), id)
		}
		if err != nil {
			web.Problem(w, r, err)
			return
		}
		web.JSON(w, http.StatusOK, toExerciseJSON(e, seat))
	}
}

type stimulusJSON struct {
	ID          int64      `json:"id"`
	Ref         string     `json:"ref"`
	Offset      int        `json:"offset_seconds"`
	Channel     string     `json:"channel"`
	Sender      string     `json:"sender"`
	Recipients  []string   `json:"recipients"`
	Title       string     `json:"title"`
	Content     string     `json:"content"`
	Attachments []string   `json:"attachments,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at"`
	Skipped     bool       `json:"skipped,omitempty"`
	// Expected and Criteria are left out, not emptied, for players.
	Expected []string `json:"expected_reactions,omitempty"`
	Criteria []string `json:"criteria,omitempty"`
}

func toStimulusJSON(st Line) stimulusJSON {
	return stimulusJSON{ID: st.ID, Ref: st.Ref, Offset: st.Offset, Channel: st.Channel, Sender: st.Sender, Recipients: st.Recipients, Title: st.Title,
		Content: st.Content, Attachments: st.Attachments, DeliveredAt: st.DeliveredAt, Skipped: st.Skipped, Expected: st.Expected, Criteria: st.Criteria}
}

// APIStimuli answers GET /api/v1/exercises/{id}/stimuli.
func (h *Handler) APIStimuli(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var list []Line
	if err == nil {
		list, _, err = h.Exercises.Stimuli(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[stimulusJSON]{Items: []stimulusJSON{}, Total: len(list), Limit: len(list)}
	for _, st := range list {
		out.Items = append(out.Items, toStimulusJSON(st))
	}
	web.JSON(w, http.StatusOK, out)
}

// APISaveStimulus answers POST /api/v1/exercises/{id}/stimuli (a local stimulus)
// and PUT /api/v1/exercises/{id}/stimuli/{sid} (a change).
func (h *Handler) APISaveStimulus(w http.ResponseWriter, r *http.Request) {
	var in stimulusJSON
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	if err == nil && r.PathValue("sid") != "" {
		in.ID, err = web.PathID(r, "sid")
	}
	var saved int64
	if err == nil {
		saved, err = h.Exercises.SaveStimulus(r.Context(), id, Line{ID: in.ID, Ref: in.Ref, Offset: in.Offset, Channel: in.Channel, Sender: in.Sender,
			Recipients: in.Recipients, Title: in.Title, Content: in.Content, Attachments: in.Attachments, Expected: in.Expected, Criteria: in.Criteria})
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]int64{"id": saved})
}

// APIStimulusAction answers DELETE /api/v1/exercises/{id}/stimuli/{sid} and POST
// …/stimuli/{sid}/send and …/skip.
func (h *Handler) APIStimulusAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		var sid int64
		if err == nil {
			sid, err = web.PathID(r, "sid")
		}
		if err == nil {
			switch action {
			case "remove":
				err = h.Exercises.RemoveStimulus(r.Context(), id, sid)
			case "send":
				err = h.Exercises.SendNow(r.Context(), id, sid)
			case "skip":
				err = h.Exercises.Skip(r.Context(), id, sid)
			}
		}
		if err != nil {
			web.Problem(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type logJSON struct {
	ID       int64      `json:"id"`
	Author   string     `json:"author"`
	UserID   int64      `json:"user"`
	Cell     string     `json:"cell"`
	Kind     string     `json:"kind"`
	Body     string     `json:"body"`
	Stimulus *int64     `json:"stimulus"`
	At       time.Time  `json:"at"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
}

func toLogJSON(l LogEntry) logJSON {
	return logJSON{ID: l.ID, Author: l.Author, UserID: l.UserID, Cell: l.Cell, Kind: l.Kind, Body: l.Body, Stimulus: l.Stimulus, At: l.At, DoneAt: l.DoneAt}
}

// APIPostLog answers POST /api/v1/exercises/{id}/log.
func (h *Handler) APIPostLog(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind     string `json:"kind"`
		Body     string `json:"body"`
		Stimulus int64  `json:"stimulus"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	var entry LogEntry
	if err == nil {
		if in.Kind == "" {
			in.Kind = "information"
		}
		entry, err = h.Exercises.PostLog(r.Context(), id, in.Kind, in.Body, in.Stimulus)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, toLogJSON(entry))
}

// APILog answers GET /api/v1/exercises/{id}/log.
func (h *Handler) APILog(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var list []LogEntry
	if err == nil {
		list, err = h.Exercises.Log(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := web.Page[logJSON]{Items: []logJSON{}, Total: len(list), Limit: len(list)}
	for _, l := range list {
		out.Items = append(out.Items, toLogJSON(l))
	}
	web.JSON(w, http.StatusOK, out)
}

// APIEvents answers GET /api/v1/exercises/{id}/events: a server-sent event stream
// of what the caller may see, resumable with Last-Event-ID. It wakes on events of
// this instance and polls for those written by others.
func (h *Handler) APIEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" && err == nil {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	var first []FeedItem
	// Ask to be woken before each read, so that an event committed during the read
	// is not left waiting for the next poll.
	wake := h.Exercises.Wait(id)
	if err == nil {
		first, err = h.Exercises.Feed(ctx, id, after)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	poll := h.Poll
	if poll <= 0 {
		poll = 15 * time.Second
	}
	defer h.Exercises.Watch(id)()
	items := first
	keepalive := time.Now()
	stopping := h.Exercises.Stopping()
	for {
		for _, it := range items {
			if err := writeItem(w, it); err != nil {
				return
			}
			after = it.Seq
		}
		if len(items) > 0 || time.Since(keepalive) > 15*time.Second {
			if len(items) == 0 {
				fmt.Fprint(w, ": keepalive\n\n")
			}
			keepalive = time.Now()
			if err := rc.Flush(); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-stopping:
			return
		case <-wake:
		case <-time.After(poll):
		}
		// The session or token that opened the stream may have ended since (logout,
		// disabled account, new roles): then the stream ends too.
		if web.Recheck(ctx) != nil {
			return
		}
		wake = h.Exercises.Wait(id)
		if items, err = h.Exercises.Feed(ctx, id, after); err != nil {
			return
		}
	}
}

func writeItem(w http.ResponseWriter, it FeedItem) error {
	var data any
	switch {
	case it.Stimulus != nil:
		data = toStimulusJSON(*it.Stimulus)
	case it.Log != nil:
		data = toLogJSON(*it.Log)
	case it.Mark != nil:
		data = toMarkJSON(*it.Mark)
	default:
		data = map[string]any{"status": it.Status, "paused": it.Paused}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", it.Seq, it.Kind, b)
	return err
}

type markJSON struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Criterion string    `json:"criterion"`
	Score     int       `json:"score"`
	Note      string    `json:"note,omitempty"`
	Elapsed   int       `json:"elapsed_seconds"`
	At        time.Time `json:"at"`
}

func toMarkJSON(m Mark) markJSON {
	return markJSON{ID: m.ID, Author: m.Author, Criterion: m.Criterion, Score: m.Score, Note: m.Note, Elapsed: m.Elapsed, At: m.At}
}

// APIAddMark answers POST /api/v1/exercises/{id}/marks (observers and animators).
func (h *Handler) APIAddMark(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Criterion string `json:"criterion"`
		Score     int    `json:"score"`
		Note      string `json:"note"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	var m Mark
	if err == nil {
		m, err = h.Exercises.AddMark(r.Context(), id, in.Criterion, in.Score, in.Note)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, toMarkJSON(m))
}

type actionJSON struct {
	ID       int64     `json:"id"`
	Exercise int64     `json:"exercise"`
	Title    string    `json:"title"`
	Owner    string    `json:"owner"`
	Due      string    `json:"due"`
	Status   string    `json:"status"`
	Activity *int64    `json:"activity"`
	Updated  time.Time `json:"updated_at"`
}

func toActionJSON(a Action) actionJSON {
	return actionJSON{ID: a.ID, Exercise: a.ExerciseID, Title: a.Title, Owner: a.Owner, Due: a.Due.Format(time.DateOnly), Status: a.Status, Activity: a.ActivityID, Updated: a.UpdatedAt}
}

type retexJSON struct {
	Exercise exerciseJSON `json:"exercise"`
	Timeline []struct {
		Stimulus stimulusJSON `json:"stimulus"`
		Answer   *logJSON     `json:"answer"`
		Delay    *int         `json:"response_delay_seconds"`
	} `json:"timeline"`
	Criteria []struct {
		ID      string     `json:"id"`
		Label   string     `json:"label"`
		Cell    string     `json:"cell"`
		Average float64    `json:"average"`
		Marks   []markJSON `json:"marks"`
	} `json:"criteria,omitempty"`
	Strengths    string       `json:"strengths"`
	Improvements string       `json:"improvements"`
	Closed       bool         `json:"closed"`
	Actions      []actionJSON `json:"actions"`
}

// APIRetex answers GET /api/v1/exercises/{id}/retex.
func (h *Handler) APIRetex(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var rx Retex
	if err == nil {
		rx, err = h.Exercises.Retex(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := retexJSON{Exercise: toExerciseJSON(rx.Exercise, rx.Seat), Strengths: rx.Strengths, Improvements: rx.Improvements, Closed: rx.Closed, Actions: []actionJSON{}}
	for _, row := range rx.Timeline {
		var item struct {
			Stimulus stimulusJSON `json:"stimulus"`
			Answer   *logJSON     `json:"answer"`
			Delay    *int         `json:"response_delay_seconds"`
		}
		item.Stimulus = toStimulusJSON(row.Stimulus)
		if row.Answer != nil {
			l := toLogJSON(*row.Answer)
			item.Answer = &l
		}
		if row.Delay != nil {
			d := int(*row.Delay / time.Second)
			item.Delay = &d
		}
		out.Timeline = append(out.Timeline, item)
	}
	for _, c := range rx.Criteria {
		item := struct {
			ID      string     `json:"id"`
			Label   string     `json:"label"`
			Cell    string     `json:"cell"`
			Average float64    `json:"average"`
			Marks   []markJSON `json:"marks"`
		}{ID: c.Criterion.ID, Label: c.Criterion.Label, Cell: c.Criterion.Cell, Average: c.Average, Marks: []markJSON{}}
		for _, m := range c.Marks {
			item.Marks = append(item.Marks, toMarkJSON(m))
		}
		out.Criteria = append(out.Criteria, item)
	}
	for _, a := range rx.Actions {
		out.Actions = append(out.Actions, toActionJSON(a))
	}
	web.JSON(w, http.StatusOK, out)
}

// APISaveRetex answers PUT /api/v1/exercises/{id}/retex.
func (h *Handler) APISaveRetex(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Strengths    string `json:"strengths"`
		Improvements string `json:"improvements"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	if err == nil {
		err = h.Exercises.SaveRetex(r.Context(), id, in.Strengths, in.Improvements)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APICloseRetex answers POST /api/v1/exercises/{id}/close.
func (h *Handler) APICloseRetex(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		err = h.Exercises.CloseRetex(r.Context(), id)
	}
	var e Exercise
	var seat Seat
	if err == nil {
		e, seat, err = h.Exercises.Get(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, toExerciseJSON(e, seat))
}

// APISaveAction answers POST /api/v1/exercises/{id}/actions and PUT
// /api/v1/exercises/{id}/actions/{aid}.
func (h *Handler) APISaveAction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title    string `json:"title"`
		Owner    string `json:"owner"`
		Due      string `json:"due"`
		Status   string `json:"status"`
		Activity *int64 `json:"activity"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	a := Action{Title: in.Title, Owner: in.Owner, Status: in.Status, ActivityID: in.Activity}
	if err == nil && r.PathValue("aid") != "" {
		a.ID, err = web.PathID(r, "aid")
	}
	if err == nil && in.Due != "" {
		if a.Due, err = time.Parse(time.DateOnly, in.Due); err != nil {
			var c problem.Checks
			c.Add("due", "exercise.error.due")
			err = c.Err()
		}
	}
	if err == nil {
		a, err = h.Exercises.SaveAction(r.Context(), id, a)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	status := http.StatusOK
	if r.PathValue("aid") == "" {
		status = http.StatusCreated
	}
	web.JSON(w, status, toActionJSON(a))
}

// APIImportChronogramme answers POST /api/v1/exercises/{id}/chronogramme with a CSV
// or XLSX body (?format=csv|xlsx, csv by default).
func (h *Handler) APIImportChronogramme(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var data []byte
	if err == nil {
		data, err = io.ReadAll(r.Body)
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	var n int
	if err == nil {
		n, err = h.Exercises.ImportChronogramme(r.Context(), id, data, "chronogramme."+format)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, map[string]int{"stimuli": n})
}

// APIKitYAML answers GET /api/v1/exercises/{id}/kit.yaml.
func (h *Handler) APIKitYAML(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var data []byte
	if err == nil {
		data, err = h.Exercises.KitYAML(r.Context(), id)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exercice-%d.yaml"`, id))
	_, _ = w.Write(data)
}

// APIRetexReport answers GET /api/v1/exercises/{id}/retex/report?format=pdf|docx|odt:
// the RETEX as the caller may read it, in the request's language.
func (h *Handler) APIRetexReport(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	lang := i18n.FromRequest(r)
	var data []byte
	var mime string
	if err == nil {
		data, mime, err = h.Exercises.Report(r.Context(), id, r.URL.Query().Get("format"), string(lang), lang.T, h.PDF)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="retex-%d.%s"`, id, r.URL.Query().Get("format")))
	_, _ = w.Write(data)
}

// APIInviteGuest answers POST /api/v1/exercises/{id}/guests: a person from outside
// the establishment's branch, invited by e-mail.
func (h *Handler) APIInviteGuest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
		Cell  string `json:"cell"`
	}
	id, err := web.PathID(r, "id")
	if err == nil {
		err = web.DecodeJSON(w, r, &in)
	}
	if err == nil {
		err = h.Exercises.InviteGuest(r.Context(), id, in.Email, in.Name, in.Role, in.Cell, i18n.FromRequest(r))
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APIDoneTask answers POST /api/v1/exercises/{id}/log/{lid}/done: an action of the
// main courante marked done by its cell.
func (h *Handler) APIDoneTask(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var entry int64
	if err == nil {
		entry, err = web.PathID(r, "lid")
	}
	if err == nil {
		err = h.Exercises.DoneTask(r.Context(), id, entry)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// APIImportKit answers POST /api/v1/kits with a kit's YAML text (content managers).
func (h *Handler) APIImportKit(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	var k Kit
	if err == nil {
		k, err = h.Exercises.ImportKit(r.Context(), data)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, kitJSON{ID: k.ID, Version: k.Version, Title: k.Title, Level: k.Level, Audience: k.Audience,
		Duration: k.Duration, Stimuli: len(k.Animator.Stimuli), Summary: k.Summary})
}
