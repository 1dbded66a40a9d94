// Package exercise runs crisis exercises: kits, the chronogramme of an exercise,
// its lifecycle, the live delivery of stimuli to the players' cells, the main
// courante, the observation grid and the RETEX.
//
// Access: an exercise belongs to a node of the tree. Its participants (seated as
// animator, observer or player of a cell, guests from outside the branch
// included) see it through their seat; anyone else sees it when org.Load lets
// them read its node, as a reader who only sees that it exists. See open.
package exercise

import (
	"context"
	"slices"
	"sync"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/live"
	"care/internal/platform/mail"
)

// Exercise roles of a participant.
const (
	RoleAnimator = "animator"
	RoleObserver = "observer"
	RolePlayer   = "player"
)

// Exercise statuses, in order.
const (
	StatusDraft    = "draft"
	StatusPlanned  = "planned"
	StatusRunning  = "running"
	StatusFinished = "finished"
	StatusClosed   = "closed"
)

// Service runs exercises: lifecycle, participants, delivery of the stimuli and the
// stream of events that live clients follow.
type Service struct {
	DB *db.DB
	// Kits lists the kits an exercise may start from; the shipped ones when nil.
	Kits func() ([]Kit, error)
	// Invite finds or creates the account of a guest (no role anywhere) and
	// e-mails a new guest the link to choose a password (from the accounts).
	Invite func(ctx context.Context, email, name, what string, lang i18n.Lang) (int64, bool, error)
	// Mail, when set and configured, also sends each delivered stimulus by e-mail
	// to the players of its cells, marked as an exercise.
	Mail mail.Sender
	// KitLevel is the level an establishment's latest validated maturity grid
	// recommends, if any (from the maturity capability).
	KitLevel func(ctx context.Context, org int64) (string, bool, error)
	// WatchEvery is how often an instance with open streams on an exercise looks for
	// events other instances wrote; 100 ms when zero.
	WatchEvery time.Duration

	mu       sync.Mutex
	rearm    chan struct{} // asks the delivery loop to look again at once
	armed    time.Time     // when the delivery loop next looks for a due stimulus; zero: none left
	name     string        // names this instance in its notifications
	signals  map[int64]chan struct{}
	gens     map[int64]uint64 // wake-ups of each exercise's streams (signal)
	reads    map[int64]*sharedRead
	watchers map[int64]*watcher
	watching sync.WaitGroup
	stop     live.Signal // stopped when the instance shuts down: live streams end
	mailed   sync.WaitGroup
}

// MaxSpeed bounds the speed factor of a rehearsal: at ×3600 an hour of exercise
// passes in a second.
const MaxSpeed = 3600

// Exercise is one exercise as stored.
type Exercise struct {
	ID         int64
	OrgID      int64
	KitID      string
	KitVersion int
	Title      string
	Level      string
	Status     string
	PlannedFor *time.Time
	Place      string // where it takes place, given when it is planned
	Clock      Clock
	FinishedAt *time.Time
	CreatedAt  time.Time
	// Kit is the exercise's copy of its kit, stimuli apart (they are rows of their own).
	Kit Kit
}

// Elapsed is the exercise time played: up to its end once finished.
func (e Exercise) Elapsed(now time.Time) time.Duration {
	if e.FinishedAt != nil {
		now = *e.FinishedAt
	}
	return e.Clock.Elapsed(now)
}

// Line is a line of an exercise's chronogramme: one stimulus, copied from the kit
// or written for this exercise, with its delivery.
type Line struct {
	ID          int64
	Ref         string
	Offset      int // seconds from T0
	Channel     string
	Sender      string
	Recipients  []string
	Title       string
	Content     string
	Attachments []string
	Expected    []string
	Criteria    []string
	DeliveredAt *time.Time
	Skipped     bool
}

// For reports whether a stimulus is addressed to the cell.
func (st Line) For(cell string) bool {
	return slices.Contains(st.Recipients, "all") || slices.Contains(st.Recipients, cell)
}

// Member is a person taking part in an exercise.
type Member struct {
	ID     int64
	UserID int64
	Name   string
	Email  string
	Role   string
	Cell   string
}
