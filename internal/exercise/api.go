package exercise

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/live"
	"care/internal/platform/web"
)

// The exercise API: JSON in and out, errors as problem documents.

// onExercise answers an API request on the exercise {id} of its path: in, when
// set, receives the JSON body; do answers, or returns the error to send as a
// problem document.
func onExercise(w http.ResponseWriter, r *http.Request, in any, do func(id int64) error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	if in != nil {
		if err := web.DecodeJSON(w, r, in); err != nil {
			web.Problem(w, r, err)
			return
		}
	}
	if err := do(id); err != nil {
		web.Problem(w, r, err)
	}
}

// noContent answers a change that returns nothing, once done (err nil).
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reply answers with v in JSON, once done (err nil).
func reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	web.JSON(w, status, v)
	return nil
}

// page is a list answered whole.
func page[J any](items []J) web.Page[J] {
	return web.Page[J]{Items: items, Total: len(items), Limit: len(items)}
}

// APIKits answers GET /api/v1/kits: the kits, without their animator part; with
// ?org=ID, the one the node's latest validated maturity grid recommends is marked.
func (h *Handler) APIKits(w http.ResponseWriter, r *http.Request) {
	orgID, err := web.OrgParam(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	c, err := h.Exercises.Catalogue(r.Context(), orgID)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, page(mapJSON(c.Kits, func(k Kit) kitJSON { return toKitJSON(k, c.Recommended) })))
}

// APIImportKit answers POST /api/v1/kits with a kit's YAML text (content managers).
func (h *Handler) APIImportKit(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	k, err := h.Exercises.ImportKit(r.Context(), data)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, toKitJSON(k, ""))
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

// APIList answers GET /api/v1/exercises[?org=ID][&limit=&offset=]: a page of the
// exercises the caller sees, under a node when one is given.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	node, err := web.OrgParam(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	limit, offset, err := web.Pagination(r, 100, 1000)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	list, total, err := h.Exercises.List(r.Context(), node, limit, offset)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, web.Page[exerciseJSON]{Items: mapJSON(list, func(e Exercise) exerciseJSON { return toExerciseJSON(e, Seat{}) }), Total: total, Limit: limit, Offset: offset})
}

// APIGet answers GET /api/v1/exercises/{id}.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error { return h.exercise(w, r, id) })
}

// exercise answers with exercise id as the caller sees it.
func (h *Handler) exercise(w http.ResponseWriter, r *http.Request, id int64) error {
	e, seat, err := h.Exercises.Get(r.Context(), id)
	return reply(w, http.StatusOK, toExerciseJSON(e, seat), err)
}

// APIStep answers the lifecycle steps POST /api/v1/exercises/{id}/start, pause,
// resume and finish, and …/close: the exercise as it then stands.
func (h *Handler) APIStep(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		onExercise(w, r, nil, func(id int64) error {
			if err := h.Exercises.Step(r.Context(), id, step); err != nil {
				return err
			}
			return h.exercise(w, r, id)
		})
	}
}

// APICloseRetex answers POST /api/v1/exercises/{id}/close.
func (h *Handler) APICloseRetex(w http.ResponseWriter, r *http.Request) { h.APIStep("close")(w, r) }

// APIPlan answers POST /api/v1/exercises/{id}/plan.
func (h *Handler) APIPlan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Date  string `json:"date"`
		Place string `json:"place"`
	}
	onExercise(w, r, &in, func(id int64) error {
		on, err := time.Parse(time.RFC3339, in.Date)
		if err != nil {
			return fieldError("date", "exercise.error.date")
		}
		return noContent(w, h.Exercises.Plan(r.Context(), id, on, in.Place))
	})
}

// APIInvitations answers POST /api/v1/exercises/{id}/invitations: the kit's
// invitation e-mailed to the players, and how many were sent.
func (h *Handler) APIInvitations(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		n, err := h.Exercises.SendInvitations(r.Context(), id)
		return reply(w, http.StatusOK, map[string]int{"sent": n}, err)
	})
}

// APIAddParticipant answers POST /api/v1/exercises/{id}/participants.
func (h *Handler) APIAddParticipant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User int64  `json:"user"`
		Role string `json:"role"`
		Cell string `json:"cell"`
	}
	onExercise(w, r, &in, func(id int64) error {
		return noContent(w, h.Exercises.AddParticipant(r.Context(), id, in.User, in.Role, in.Cell))
	})
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
	onExercise(w, r, &in, func(id int64) error {
		return noContent(w, h.Exercises.InviteGuest(r.Context(), id, in.Email, in.Name, in.Role, in.Cell, i18n.FromRequest(r)))
	})
}

// APIStimuli answers GET /api/v1/exercises/{id}/stimuli.
func (h *Handler) APIStimuli(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		list, _, err := h.Exercises.Stimuli(r.Context(), id)
		return reply(w, http.StatusOK, page(mapJSON(list, toStimulusJSON)), err)
	})
}

// APISaveStimulus answers POST /api/v1/exercises/{id}/stimuli (a local stimulus)
// and PUT /api/v1/exercises/{id}/stimuli/{sid} (a change).
func (h *Handler) APISaveStimulus(w http.ResponseWriter, r *http.Request) {
	var in stimulusJSON
	onExercise(w, r, &in, func(id int64) error {
		if r.PathValue("sid") != "" {
			sid, err := web.PathID(r, "sid")
			if err != nil {
				return err
			}
			in.ID = sid
		}
		saved, err := h.Exercises.SaveStimulus(r.Context(), id, in.line())
		return reply(w, http.StatusOK, map[string]int64{"id": saved}, err)
	})
}

// APIStimulusAction answers DELETE /api/v1/exercises/{id}/stimuli/{sid} and POST
// …/stimuli/{sid}/send and …/skip.
func (h *Handler) APIStimulusAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		onExercise(w, r, nil, func(id int64) error {
			sid, err := web.PathID(r, "sid")
			if err != nil {
				return err
			}
			ctx := r.Context()
			switch action {
			case "remove":
				err = h.Exercises.RemoveStimulus(ctx, id, sid)
			case "send":
				err = h.Exercises.SendNow(ctx, id, sid)
			case "skip":
				err = h.Exercises.Skip(ctx, id, sid)
			}
			return noContent(w, err)
		})
	}
}

// APIImportChronogramme answers POST /api/v1/exercises/{id}/chronogramme with a CSV
// or XLSX body (?format=csv|xlsx, csv by default).
func (h *Handler) APIImportChronogramme(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "csv"
		}
		n, err := h.Exercises.ImportChronogramme(r.Context(), id, data, "chronogramme."+format)
		return reply(w, http.StatusOK, map[string]int{"stimuli": n}, err)
	})
}

// APIKitYAML answers GET /api/v1/exercises/{id}/kit.yaml.
func (h *Handler) APIKitYAML(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		data, err := h.Exercises.KitYAML(r.Context(), id)
		if err != nil {
			return err
		}
		return download(w, "application/yaml; charset=utf-8", fmt.Sprintf("exercice-%d.yaml", id), data)
	})
}

// download answers with a file to save.
func download(w http.ResponseWriter, mime, name string, data []byte) error {
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	_, _ = w.Write(data)
	return nil
}

// APIPostLog answers POST /api/v1/exercises/{id}/log.
func (h *Handler) APIPostLog(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind     string `json:"kind"`
		Body     string `json:"body"`
		Stimulus int64  `json:"stimulus"`
	}
	onExercise(w, r, &in, func(id int64) error {
		if in.Kind == "" {
			in.Kind = "information"
		}
		entry, err := h.Exercises.PostLog(r.Context(), id, in.Kind, in.Body, in.Stimulus)
		return reply(w, http.StatusCreated, toLogJSON(entry), err)
	})
}

// APILog answers GET /api/v1/exercises/{id}/log.
func (h *Handler) APILog(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		list, err := h.Exercises.Log(r.Context(), id)
		return reply(w, http.StatusOK, page(mapJSON(list, toLogJSON)), err)
	})
}

// APIDoneTask answers POST /api/v1/exercises/{id}/log/{lid}/done: an action of the
// main courante marked done by its cell.
func (h *Handler) APIDoneTask(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		entry, err := web.PathID(r, "lid")
		if err != nil {
			return err
		}
		return noContent(w, h.Exercises.DoneTask(r.Context(), id, entry))
	})
}

// APIAddMark answers POST /api/v1/exercises/{id}/marks (observers and animators).
func (h *Handler) APIAddMark(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Criterion string `json:"criterion"`
		Score     int    `json:"score"`
		Note      string `json:"note"`
	}
	onExercise(w, r, &in, func(id int64) error {
		m, err := h.Exercises.AddMark(r.Context(), id, in.Criterion, in.Score, in.Note)
		return reply(w, http.StatusCreated, toMarkJSON(m), err)
	})
}

// APIRetex answers GET /api/v1/exercises/{id}/retex.
func (h *Handler) APIRetex(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		rx, err := h.Exercises.Retex(r.Context(), id)
		return reply(w, http.StatusOK, toRetexJSON(rx), err)
	})
}

// APISaveRetex answers PUT /api/v1/exercises/{id}/retex.
func (h *Handler) APISaveRetex(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Strengths    string `json:"strengths"`
		Improvements string `json:"improvements"`
	}
	onExercise(w, r, &in, func(id int64) error {
		return noContent(w, h.Exercises.SaveRetex(r.Context(), id, in.Strengths, in.Improvements))
	})
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
	onExercise(w, r, &in, func(id int64) error {
		a := Action{Title: in.Title, Owner: in.Owner, Status: in.Status, ActivityID: in.Activity}
		status := http.StatusCreated
		if r.PathValue("aid") != "" {
			aid, err := web.PathID(r, "aid")
			if err != nil {
				return err
			}
			a.ID, status = aid, http.StatusOK
		}
		due, err := parseDue(in.Due)
		if err != nil {
			return err
		}
		a.Due = due
		a, err = h.Exercises.SaveAction(r.Context(), id, a)
		return reply(w, status, toActionJSON(a), err)
	})
}

// APIRetexReport answers GET /api/v1/exercises/{id}/retex/report?format=pdf|docx|odt:
// the RETEX as the caller may read it, in the request's language.
func (h *Handler) APIRetexReport(w http.ResponseWriter, r *http.Request) {
	onExercise(w, r, nil, func(id int64) error {
		lang := i18n.FromRequest(r)
		format := r.URL.Query().Get("format")
		data, mime, err := h.Exercises.Report(r.Context(), id, format, string(lang), lang.T, h.PDF)
		if err != nil {
			return err
		}
		return download(w, mime, fmt.Sprintf("retex-%d.%s", id, format), data)
	})
}

// APIEvents answers GET /api/v1/exercises/{id}/events: a server-sent event stream
// of what the caller may see, resumable with Last-Event-ID. It wakes on events of
// this instance and polls for those written by others.
func (h *Handler) APIEvents(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	defer h.Exercises.Watch(id)()
	follower := h.Exercises.Follow(id)
	live.Serve(w, r, live.Stream{
		Wait: func() <-chan struct{} { return h.Exercises.Wait(id) },
		Next: func(ctx context.Context) ([]live.Event, error) {
			items, err := follower.Feed(ctx, after)
			if err != nil {
				return nil, err
			}
			events := make([]live.Event, len(items))
			for i, it := range items {
				events[i] = eventOf(it)
				after = it.Seq
			}
			return events, nil
		},
		Stopping: h.Exercises.Stopping(),
		Poll:     h.Poll,
	})
}

// eventOf is a feed item as a stream event.
func eventOf(it FeedItem) live.Event {
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
	return live.Event{ID: it.Seq, Name: it.Kind, Data: data}
}
