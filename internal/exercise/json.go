package exercise

import "time"

// The API's JSON shapes (snake_case), and how each is made from the service's types.

type kitJSON struct {
	ID       string   `json:"id"`
	Version  int      `json:"version"`
	Title    string   `json:"title"`
	Level    string   `json:"level"`
	Audience []string `json:"audience"`
	Duration int      `json:"duration_minutes"`
	// StartTime and TimeScale: the simulated time of day at T0 and its pace, when
	// the kit gives them.
	StartTime string `json:"start_time,omitempty"`
	TimeScale int    `json:"time_scale,omitempty"`
	Stimuli   int    `json:"stimuli_count"`
	Summary   string `json:"summary"`
	// Recommended marks the kit of the level that the establishment's latest
	// validated maturity assessment recommends (with ?org=ID).
	Recommended bool `json:"recommended,omitempty"`
}

func toKitJSON(k Kit, recommended string) kitJSON {
	return kitJSON{ID: k.ID, Version: k.Version, Title: k.Title, Level: k.Level, Audience: k.Audience,
		Duration: k.Duration, StartTime: k.StartTime, TimeScale: k.TimeScale, Stimuli: len(k.Animator.Stimuli), Summary: k.Summary, Recommended: recommended != "" && k.Level == recommended}
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
	Place      string     `json:"place"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Elapsed    int        `json:"elapsed_seconds"`
	// SimulatedTime is the simulated time of day reached ("09:40"), when the kit
	// gives a start hour.
	SimulatedTime string `json:"simulated_time,omitempty"`
	Role          string `json:"role,omitempty"`
	Cell          string `json:"cell,omitempty"`
	// Cells are the kit's cells, for an API client to seat players (participants).
	Cells []cellJSON `json:"cells,omitempty"`
	// Parts are given to participants: participant and communication parts to all,
	// the animator part (scenario, grid, RETEX template) to the animation team only.
	Participant   *participantJSON   `json:"participant_part,omitempty"`
	Communication *communicationJSON `json:"communication_part,omitempty"`
	Animator      *animatorJSON      `json:"animator_part,omitempty"`
}

// The kit's parts in the API: the kit copy is stored with the Go field names
// (json.Marshal of Kit), so the API has its own snake_case shapes, named as in
// the kit's YAML format.

type cellJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Optional: played by the animation team unless players are seated in it.
	Optional bool     `json:"optional"`
	Roles    []string `json:"roles"`
}

type sheetJSON struct {
	Title string   `json:"title"`
	Items []string `json:"items"`
}

type termJSON struct {
	Term       string `json:"term"`
	Definition string `json:"definition"`
}

type participantJSON struct {
	Rules    []string    `json:"rules"`
	Sheets   []sheetJSON `json:"sheets"`
	Glossary []termJSON  `json:"glossary"`
}

type communicationJSON struct {
	Invitation     string `json:"invitation"`
	Announcement   string `json:"announcement"`
	InternalNotice string `json:"internal_notice"`
}

type criterionDefJSON struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Cell        string `json:"cell"`
}

type retexPartJSON struct {
	Title   string   `json:"title"`
	Prompts []string `json:"prompts"`
}

type animatorJSON struct {
	Scenario string             `json:"scenario"`
	Criteria []criterionDefJSON `json:"criteria"`
	Retex    []retexPartJSON    `json:"retex_template"`
}

func toCellJSON(c Cell) cellJSON {
	return cellJSON{ID: c.ID, Name: c.Name, Optional: c.Optional, Roles: strs(c.Roles)}
}

func toParticipantJSON(p Participant) *participantJSON {
	return &participantJSON{Rules: strs(p.Rules),
		Sheets:   mapJSON(p.Sheets, func(s Sheet) sheetJSON { return sheetJSON{Title: s.Title, Items: strs(s.Items)} }),
		Glossary: mapJSON(p.Glossary, func(g Term) termJSON { return termJSON(g) })}
}

func toAnimatorJSON(a Animator) *animatorJSON {
	return &animatorJSON{Scenario: a.Scenario,
		Criteria: mapJSON(a.Criteria, func(c Criterion) criterionDefJSON { return criterionDefJSON(c) }),
		Retex:    mapJSON(a.Retex, func(r RetexPart) retexPartJSON { return retexPartJSON{Title: r.Title, Prompts: strs(r.Prompts)} })}
}

func toExerciseJSON(e Exercise, seat Seat) exerciseJSON {
	out := exerciseJSON{ID: e.ID, Org: e.OrgID, Kit: e.KitID, KitVersion: e.KitVersion, Title: e.Title, Level: e.Level, Status: e.Status,
		Paused: e.Clock.PausedAt != nil, Speed: max(e.Clock.Speed, 1), PlannedFor: e.PlannedFor, Place: e.Place, FinishedAt: e.FinishedAt, Role: seat.Role, Cell: seat.Cell}
	if !e.Clock.StartedAt.IsZero() {
		t := e.Clock.StartedAt
		out.StartedAt = &t
		out.Elapsed = int(e.Elapsed(time.Now()) / time.Second)
	}
	if at, ok := e.Kit.SimulatedAt(e.Elapsed(time.Now())); ok {
		out.SimulatedTime = HHMM(time.Duration(at%(24*60)) * time.Minute)
	}
	if seat.Role != "" {
		c := e.communication(seat)
		out.Cells = mapJSON(e.Kit.Cells, toCellJSON)
		out.Participant = toParticipantJSON(e.Kit.Participant)
		out.Communication = &communicationJSON{Invitation: c.Invitation, Announcement: c.Announcement, InternalNotice: c.InternalNotice}
	}
	if seat.Staff() {
		out.Animator = toAnimatorJSON(e.Kit.Animator)
	}
	return out
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

// line is the stimulus a client sent.
func (in stimulusJSON) line() Line {
	return Line{ID: in.ID, Ref: in.Ref, Offset: in.Offset, Channel: in.Channel, Sender: in.Sender, Recipients: in.Recipients, Title: in.Title,
		Content: in.Content, Attachments: in.Attachments, Expected: in.Expected, Criteria: in.Criteria}
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

type timelineJSON struct {
	Stimulus stimulusJSON `json:"stimulus"`
	Answer   *logJSON     `json:"answer"`
	Delay    *int         `json:"response_delay_seconds"`
}

type criterionJSON struct {
	ID      string     `json:"id"`
	Label   string     `json:"label"`
	Cell    string     `json:"cell"`
	Average float64    `json:"average"`
	Marks   []markJSON `json:"marks"`
}

type retexJSON struct {
	Exercise     exerciseJSON    `json:"exercise"`
	Timeline     []timelineJSON  `json:"timeline"`
	Criteria     []criterionJSON `json:"criteria,omitempty"`
	Strengths    string          `json:"strengths"`
	Improvements string          `json:"improvements"`
	Closed       bool            `json:"closed"`
	Actions      []actionJSON    `json:"actions"`
}

func toRetexJSON(rx Retex) retexJSON {
	out := retexJSON{Exercise: toExerciseJSON(rx.Exercise, rx.Seat), Strengths: rx.Strengths, Improvements: rx.Improvements, Closed: rx.Closed,
		Actions: mapJSON(rx.Actions, toActionJSON)}
	for _, row := range rx.Timeline {
		item := timelineJSON{Stimulus: toStimulusJSON(row.Stimulus)}
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
		out.Criteria = append(out.Criteria, criterionJSON{ID: c.Criterion.ID, Label: c.Criterion.Label, Cell: c.Criterion.Cell, Average: c.Average,
			Marks: mapJSON(c.Marks, toMarkJSON)})
	}
	return out
}

// mapJSON converts a list for the API: never null, an empty list at worst.
func mapJSON[T, J any](list []T, to func(T) J) []J {
	out := make([]J, 0, len(list))
	for _, v := range list {
		out = append(out, to(v))
	}
	return out
}

// strs is a list of strings for the API: never null.
func strs(list []string) []string { return mapJSON(list, func(v string) string { return v }) }
