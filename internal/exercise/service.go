package exercise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
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
	signals  map[int64]chan struct{}
	watchers map[int64]*watcher
	watching sync.WaitGroup
	stopping chan struct{} // closed when the instance shuts down: live streams end
	stopOnce sync.Once
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
	Clock      Clock
	FinishedAt *time.Time
	CreatedAt  time.Time
	// Kit is the exercise's copy of its kit, stimuli apart (they are rows of their own).
	Kit Kit
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

// Member is a person taking part in an exercise.
type Member struct {
	ID     int64
	UserID int64
	Name   string
	Email  string
	Role   string
	Cell   string
}

// Seat is what the caller is in an exercise: a participant's role and cell, or
// none for a reader of the establishment who only sees that the exercise exists.
type Seat struct {
	Role string
	Cell string
}

// Staff reports whether the seat belongs to the animation team, who may read the
// expected reactions.
func (s Seat) Staff() bool { return s.Role == RoleAnimator || s.Role == RoleObserver }

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

// kits lists the shipped kits and those imported into the database, every version;
// an exercise starts from the newest version of a kit.
func (s *Service) kits(ctx context.Context) ([]Kit, error) {
	var kits []Kit
	var err error
	if s.Kits != nil {
		kits, err = s.Kits()
	} else {
		kits, err = Shipped()
	}
	if err != nil || s.DB == nil {
		return kits, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT source FROM exercise_kits ORDER BY id, version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		if err := rows.Scan(&src); err != nil {
			return nil, err
		}
		k, err := ParseKit([]byte(src))
		if err != nil {
			return nil, err
		}
		kits = append(kits, k)
	}
	return kits, rows.Err()
}

// latest keeps the newest version of each kit.
func latest(kits []Kit) []Kit {
	var out []Kit
	for _, k := range kits {
		i := slices.IndexFunc(out, func(o Kit) bool { return o.ID == k.ID })
		switch {
		case i < 0:
			out = append(out, k)
		case k.Version > out[i].Version:
			out[i] = k
		}
	}
	return out
}

// Kit returns the kit with the given id, newest version.
func (s *Service) Kit(ctx context.Context, id string) (Kit, error) {
	kits, err := s.kits(ctx)
	if err != nil {
		return Kit{}, err
	}
	for _, k := range latest(kits) {
		if k.ID == id {
			return k, nil
		}
	}
	return Kit{}, problem.ErrNotFound
}

// ImportKit stores a new kit, or a new version of one, from its YAML text
// (content managers). The file is checked whole; a version must be newer than
// every stored or shipped one; exercises keep the copy they started from.
func (s *Service) ImportKit(ctx context.Context, source []byte) (Kit, error) {
	if !subject(ctx).CanAnywhere(authz.ContentManage) {
		return Kit{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	k, err := ParseKit(source)
	if err != nil {
		return Kit{}, err
	}
	kits, err := s.kits(ctx)
	if err != nil {
		return Kit{}, err
	}
	for _, o := range kits {
		if o.ID == k.ID && o.Version >= k.Version {
			return Kit{}, problem.New(problem.Conflict, "exercise.error.kit_version", k.ID, o.Version)
		}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_kits (id, version, source, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
			k.ID, k.Version, string(source), nullID(subject(ctx).UserID), db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.kit_import", ObjectType: "exercise_kit", ObjectID: k.ID,
			Changes: map[string]audit.Change{"version": {After: k.Version}, "stimuli": {After: len(k.Animator.Stimuli)}}})
	})
	return k, err
}

// Recommended returns the kit level recommended to an establishment by its latest
// validated maturity assessment, if there is one it may read.
func (s *Service) Recommended(ctx context.Context, org int64) (string, bool, error) {
	if s.KitLevel == nil || org == 0 {
		return "", false, nil
	}
	var path string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1", org).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !subject(ctx).Can(authz.OrgRead, path)) {
		return "", false, problem.ErrNotFound
	}
	if err != nil {
		return "", false, err
	}
	return s.KitLevel(ctx, org)
}

// ---- reading ----

const exerciseColumns = "id, org_id, kit_id, kit_version, kit, title, level, status, planned_for, speed, started_at, paused_at, paused_ms, finished_at, created_at"

func scanExercise(row interface{ Scan(...any) error }) (Exercise, error) {
	var e Exercise
	var kit []byte
	var planned, started, paused, finished sql.NullTime
	var pausedMS int64
	err := row.Scan(&e.ID, &e.OrgID, &e.KitID, &e.KitVersion, &kit, &e.Title, &e.Level, &e.Status, &planned, &e.Clock.Speed, &started, &paused, &pausedMS, &finished, &e.CreatedAt)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(kit, &e.Kit); err != nil {
		return e, err
	}
	e.PlannedFor = timePtr(planned)
	e.Clock.StartedAt = started.Time
	e.Clock.PausedAt = timePtr(paused)
	e.Clock.Paused = time.Duration(pausedMS) * time.Millisecond
	e.FinishedAt = timePtr(finished)
	return e, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// open loads an exercise with the caller's seat. An exercise is visible to its
// participants and to those who may read its establishment; to anyone else it
// does not exist.
func (s *Service) open(ctx context.Context, q db.Querier, id int64) (Exercise, Seat, string, error) {
	seat, path, err := s.access(ctx, q, id)
	if err != nil {
		return Exercise{}, seat, path, err
	}
	e, err := scanExercise(q.QueryRowContext(ctx, "SELECT "+exerciseColumns+" FROM exercises WHERE id = $1", id))
	return e, seat, path, err
}

// access is open without loading the exercise: the caller's seat and the
// establishment's path. Live streams call it at every poll, so it leaves the kit
// copy alone.
func (s *Service) access(ctx context.Context, q db.Querier, id int64) (Seat, string, error) {
	var path string
	err := q.QueryRowContext(ctx, "SELECT o.path FROM exercises e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1", id).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return Seat{}, "", problem.ErrNotFound
	}
	if err != nil {
		return Seat{}, "", err
	}
	sub := subject(ctx)
	var seat Seat
	err = q.QueryRowContext(ctx, "SELECT role, cell FROM exercise_participants WHERE exercise_id = $1 AND user_id = $2", id, sub.UserID).Scan(&seat.Role, &seat.Cell)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return seat, "", err
	}
	if seat.Role == "" && !sub.Can(authz.OrgRead, path) {
		return seat, "", problem.ErrNotFound
	}
	return seat, path, nil
}

// Get returns an exercise and the caller's seat in it.
func (s *Service) Get(ctx context.Context, id int64) (Exercise, Seat, error) {
	e, seat, _, err := s.open(ctx, s.DB.Read, id)
	return e, seat, err
}

// List returns the exercises the caller takes part in or whose establishment they
// may read, newest first.
func (s *Service) List(ctx context.Context) ([]Exercise, error) {
	sub := subject(ctx)
	where := []string{"e.id IN (SELECT exercise_id FROM exercise_participants WHERE user_id = $1)"}
	args := []any{sub.UserID}
	for _, root := range sub.Scope(authz.OrgRead) {
		args = append(args, root+"%")
		where = append(where, "o.path LIKE $"+strconv.Itoa(len(args)))
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT e."+strings.ReplaceAll(exerciseColumns, ", ", ", e.")+
		" FROM exercises e JOIN orgs o ON o.id = e.org_id WHERE "+strings.Join(where, " OR ")+" ORDER BY e.id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Exercise
	for rows.Next() {
		e, err := scanExercise(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const stimulusColumns = "id, ref, offset_seconds, channel, sender, recipients, title, content, attachments, expected, criteria, delivered_at, skipped"

func scanStimulus(row interface{ Scan(...any) error }) (Line, error) {
	var st Line
	var recipients, attachments, expected, criteria string
	var delivered sql.NullTime
	err := row.Scan(&st.ID, &st.Ref, &st.Offset, &st.Channel, &st.Sender, &recipients, &st.Title, &st.Content, &attachments, &expected, &criteria, &delivered, &st.Skipped)
	st.Recipients = strings.Fields(recipients)
	st.Attachments = lines(attachments)
	st.Expected = lines(expected)
	st.Criteria = strings.Fields(criteria)
	st.DeliveredAt = timePtr(delivered)
	return st, err
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// For reports whether a stimulus is addressed to the cell.
func (st Line) For(cell string) bool {
	return slices.Contains(st.Recipients, "all") || slices.Contains(st.Recipients, cell)
}

// Stimuli returns the stimuli the caller may see: every one, future ones included,
// for an animator; the delivered ones for an observer; the delivered ones addressed
// to their cell for a player. Only animators and observers get the expected
// reactions and criteria.
func (s *Service) Stimuli(ctx context.Context, id int64) ([]Line, Seat, error) {
	seat, _, err := s.access(ctx, s.DB.Read, id)
	if err != nil {
		return nil, seat, err
	}
	if seat.Role == "" {
		return nil, seat, problem.New(problem.Forbidden, "exercise.error.not_participant")
	}
	q := "SELECT " + stimulusColumns + " FROM exercise_stimuli WHERE exercise_id = $1"
	if seat.Role != RoleAnimator {
		q += " AND delivered_at IS NOT NULL"
	}
	rows, err := s.DB.Read.QueryContext(ctx, q+" ORDER BY offset_seconds, id", id)
	if err != nil {
		return nil, seat, err
	}
	defer rows.Close()
	out := []Line{}
	for rows.Next() {
		st, err := scanStimulus(rows)
		if err != nil {
			return nil, seat, err
		}
		if seat.Role == RolePlayer && !st.For(seat.Cell) {
			continue
		}
		if !seat.Staff() {
			st.Expected, st.Criteria = nil, nil
		}
		out = append(out, st)
	}
	return out, seat, rows.Err()
}

// Participants lists an exercise's participants (for its participants and readers).
func (s *Service) Participants(ctx context.Context, id int64) ([]Member, error) {
	if _, _, err := s.access(ctx, s.DB.Read, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.id, p.user_id, u.name, u.email, p.role, p.cell FROM exercise_participants p JOIN users u ON u.id = p.user_id
		WHERE p.exercise_id = $1 ORDER BY p.role, p.cell, u.name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var p Member
		if err := rows.Scan(&p.ID, &p.UserID, &p.Name, &p.Email, &p.Role, &p.Cell); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ---- lifecycle ----

// Create starts a draft exercise for an establishment from a kit: the kit is
// copied into the exercise, which may then be edited without touching the kit.
// The creator joins as animator.
func (s *Service) Create(ctx context.Context, org int64, kitID string, speed int) (Exercise, error) {
	var c problem.Checks
	kit, err := s.Kit(ctx, kitID)
	if err != nil {
		c.Add("kit", "exercise.error.unknown_kit", kitID)
	}
	if speed == 0 {
		speed = 1
	}
	if speed < 1 || speed > MaxSpeed {
		c.Add("speed", "exercise.error.speed", MaxSpeed)
	}
	if err := c.Err(); err != nil {
		return Exercise{}, err
	}
	sub := subject(ctx)
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var path string
		err := tx.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1 AND archived_at IS NULL", org).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !sub.Can(authz.OrgRead, path)) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !sub.Can(authz.ProgrammeWrite, path) {
			return problem.New(problem.Forbidden, "error.forbidden")
		}
		copied := kit
		copied.Animator.Stimuli = nil
		blob, err := json.Marshal(copied)
		if err != nil {
			return err
		}
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO exercises (org_id, kit_id, kit_version, kit, title, level, status, speed, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9) RETURNING id`,
			org, kit.ID, kit.Version, blob, kit.Title, kit.Level, speed, sub.UserID, now).Scan(&id); err != nil {
			return err
		}
		for _, st := range kit.Animator.Stimuli {
			if err := insertStimulus(ctx, tx, id, fromKit(st)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_participants (exercise_id, user_id, role, cell, created_at) VALUES ($1, $2, 'animator', '', $3)", id, sub.UserID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.create", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"kit": {After: kit.ID}, "version": {After: kit.Version}, "speed": {After: speed}}})
	})
	if err != nil {
		return Exercise{}, err
	}
	e, _, err := s.Get(ctx, id)
	return e, err
}

func fromKit(st Stimulus) Line {
	return Line{Ref: st.ID, Offset: st.Offset * 60, Channel: st.Channel, Sender: st.Sender, Recipients: st.Recipients, Title: st.Title,
		Content: st.Content, Attachments: st.Attachments, Expected: st.ExpectedReactions, Criteria: st.Criteria}
}

func insertStimulus(ctx context.Context, tx *sql.Tx, exercise int64, st Line) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO exercise_stimuli (exercise_id, ref, offset_seconds, channel, sender, recipients, title, content, attachments, expected, criteria)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		exercise, st.Ref, st.Offset, st.Channel, st.Sender, strings.Join(st.Recipients, " "), st.Title, st.Content,
		strings.Join(st.Attachments, "\n"), strings.Join(st.Expected, "\n"), strings.Join(st.Criteria, " "))
	return err
}

// drive opens an exercise for a change only its animators may make, inside tx.
func (s *Service) drive(ctx context.Context, tx *sql.Tx, id int64) (Exercise, string, error) {
	e, seat, path, err := s.open(ctx, tx, id)
	if err != nil {
		return e, path, err
	}
	if seat.Role != RoleAnimator {
		return e, path, problem.New(problem.Forbidden, "exercise.error.animators_only")
	}
	return e, path, nil
}

// Plan sets the date of a draft or planned exercise.
func (s *Service) Plan(ctx context.Context, id int64, on time.Time) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPlanned {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		on = on.UTC().Truncate(time.Second)
		if _, err := tx.ExecContext(ctx, "UPDATE exercises SET status = 'planned', planned_for = $1 WHERE id = $2", on, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.plan", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"planned_for": {After: on}}})
	})
}

// SaveStimulus adds a stimulus to the exercise's chronogramme (ID 0) or changes one,
// before the exercise starts.
func (s *Service) SaveStimulus(ctx context.Context, id int64, st Line) (int64, error) {
	var out int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPlanned {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		if err := checkStimulus(e.Kit, st); err != nil {
			return err
		}
		if st.ID == 0 {
			if st.Ref == "" {
				st.Ref = "local-" + strconv.Itoa(int(time.Now().UnixNano()%1e9))
			}
			if err := insertStimulus(ctx, tx, id, st); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT id FROM exercise_stimuli WHERE exercise_id = $1 AND ref = $2", id, st.Ref).Scan(&out); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE exercise_stimuli SET offset_seconds = $1, channel = $2, sender = $3, recipients = $4, title = $5, content = $6,
				attachments = $7, expected = $8, criteria = $9 WHERE id = $10 AND exercise_id = $11`,
				st.Offset, st.Channel, st.Sender, strings.Join(st.Recipients, " "), st.Title, st.Content,
				strings.Join(st.Attachments, "\n"), strings.Join(st.Expected, "\n"), strings.Join(st.Criteria, " "), st.ID, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return problem.ErrNotFound
			}
			out = st.ID
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.stimulus_save", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"stimulus": {After: out}, "offset_seconds": {After: st.Offset}}})
	})
	return out, err
}

// checkStimulus validates a local stimulus against the exercise's kit.
func checkStimulus(k Kit, st Line) error {
	var c problem.Checks
	if st.Offset < 0 || st.Offset >= k.Duration*60 {
		c.Add("offset_seconds", "exercise.error.offset", st.Ref, st.Offset/60, k.Duration)
	}
	if !slices.Contains(Channels, st.Channel) {
		c.Add("channel", "exercise.error.channel", st.Channel)
	}
	if len(st.Recipients) == 0 {
		c.Add("recipients", "exercise.error.no_recipient", st.Ref)
	}
	for _, r := range st.Recipients {
		if r != "all" && !k.hasCell(r) {
			c.Add("recipients", "exercise.error.unknown_cell", r, st.Ref)
		}
	}
	if strings.TrimSpace(st.Content) == "" || strings.TrimSpace(st.Sender) == "" {
		c.Add("content", "exercise.error.stimulus_fields", st.Ref)
	}
	return c.Err()
}

// checkSeat checks a role and a cell against the exercise's kit.
func checkSeat(c *problem.Checks, e Exercise, role, cell string) {
	if role != RoleAnimator && role != RoleObserver && role != RolePlayer {
		c.Add("role", "exercise.error.role", role)
	}
	if cell != "" && !e.Kit.hasCell(cell) {
		c.Add("cell", "exercise.error.unknown_cell", cell, e.Title)
	}
	if role == RolePlayer && cell == "" {
		c.Add("cell", "exercise.error.cell_required")
	}
}

func (k Kit) hasCell(id string) bool {
	return slices.ContainsFunc(k.Cells, func(c Cell) bool { return c.ID == id })
}

// RemoveStimulus takes a stimulus out of an exercise that has not started.
func (s *Service) RemoveStimulus(ctx context.Context, id, stimulus int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPlanned {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2", stimulus, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.stimulus_remove", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"stimulus": {Before: stimulus}}})
	})
}

// AddParticipant seats a person in an exercise. The person must belong to the
// exercise's establishment, a node under it, or one above it (an ARS for a
// regional exercise); a player needs a cell of the kit.
func (s *Service) AddParticipant(ctx context.Context, id, user int64, role, cell string) error {
	return s.seat(ctx, id, user, role, cell, false)
}

// seat places user in the exercise. Chosen from a list, the person must be in
// scope; invited by e-mail (invited), whoever owns the address is seated, so that
// an invitation answers the same for any address.
func (s *Service) seat(ctx context.Context, id, user int64, role, cell string, invited bool) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		var c problem.Checks
		checkSeat(&c, e, role, cell)
		// In scope: a member of the branch, or a guest (an account with no role,
		// invited for exercises: a préfecture's staff in a regional exercise).
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL AND (
			EXISTS (SELECT 1 FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = u.id AND (o.path LIKE $2 OR $3 LIKE o.path || '%'))
			OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id))`, user, path+"%", path).Scan(&n); err != nil {
			return err
		}
		if n == 0 && !invited {
			c.Add("user", "exercise.error.participant_scope")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if e.Status == StatusFinished || e.Status == StatusClosed {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_participants WHERE exercise_id = $1 AND user_id = $2", id, user); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_participants (exercise_id, user_id, role, cell, created_at) VALUES ($1, $2, $3, $4, $5)", id, user, role, cell, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.participant", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"user": {After: user}, "role": {After: role}, "cell": {After: cell}}})
	})
}

// transition moves an exercise from one of the allowed states, applying set, and
// records a state event for live clients.
func (s *Service) transition(ctx context.Context, id int64, action string, from []string, set func(tx *sql.Tx, e Exercise, now time.Time) error) error {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, e.Status) {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		if err := set(tx, e, db.Now()); err != nil {
			return err
		}
		if err := emit(ctx, tx, id, "state", 0, "all"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise." + action, ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path})
	})
	if err == nil {
		s.wake(id)
	}
	return err
}

// Start sets T0 now.
func (s *Service) Start(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "start", []string{StatusDraft, StatusPlanned}, func(tx *sql.Tx, _ Exercise, now time.Time) error {
		_, err := tx.ExecContext(ctx, "UPDATE exercises SET status = 'running', started_at = $1, ticked_at = $1 WHERE id = $2", now, id)
		return err
	})
}

// Pause stops the exercise clock; no stimulus is delivered while paused.
func (s *Service) Pause(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "pause", []string{StatusRunning}, func(tx *sql.Tx, e Exercise, now time.Time) error {
		if e.Clock.PausedAt != nil {
			return problem.New(problem.Conflict, "exercise.error.paused")
		}
		_, err := tx.ExecContext(ctx, "UPDATE exercises SET paused_at = $1 WHERE id = $2", now, id)
		return err
	})
}

// Resume restarts the clock; the pause does not count.
func (s *Service) Resume(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "resume", []string{StatusRunning}, func(tx *sql.Tx, e Exercise, now time.Time) error {
		if e.Clock.PausedAt == nil {
			return problem.New(problem.Conflict, "exercise.error.not_paused")
		}
		c := e.Clock.Resume(now)
		_, err := tx.ExecContext(ctx, "UPDATE exercises SET paused_at = NULL, paused_ms = $1, ticked_at = $2 WHERE id = $3", c.Paused.Milliseconds(), now, id)
		return err
	})
}

// Finish ends the play; undelivered stimuli stay undelivered.
func (s *Service) Finish(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "finish", []string{StatusRunning}, func(tx *sql.Tx, e Exercise, now time.Time) error {
		_, err := tx.ExecContext(ctx, "UPDATE exercises SET status = 'finished', paused_at = NULL, finished_at = $1 WHERE id = $2", now, id)
		return err
	})
}

// ---- events ----

// Event is one entry of an exercise's stream.
type Event struct {
	Seq      int64
	Kind     string // stimulus, log, state
	RefID    int64
	Audience string
	At       time.Time
}

// emit appends an event to the exercise's stream. Taking the next number locks
// the exercise row until the transaction ends, so events commit in number order
// and a reader that saw number n never misses a smaller one.
func emit(ctx context.Context, tx *sql.Tx, exercise int64, kind string, ref int64, audience string) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, "UPDATE exercises SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq", exercise).Scan(&seq); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO exercise_events (exercise_id, seq, kind, ref_id, audience, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		exercise, seq, kind, ref, audience, db.Now())
	return err
}

// Sees reports whether a seat receives an event.
func (s Seat) Sees(ev Event) bool {
	switch {
	case s.Role == "":
		return false
	case ev.Audience == "all", s.Role == RoleAnimator:
		return true
	case ev.Audience == "staff":
		return s.Staff()
	case s.Role == RoleObserver:
		return true
	default:
		return slices.Contains(strings.Fields(ev.Audience), s.Cell)
	}
}

// Events returns the events after seq that the caller may see.
func (s *Service) Events(ctx context.Context, id, after int64) ([]Event, Seat, error) {
	seat, _, err := s.access(ctx, s.DB.Read, id)
	if err != nil {
		return nil, seat, err
	}
	if seat.Role == "" {
		return nil, seat, problem.New(problem.Forbidden, "exercise.error.not_participant")
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT seq, kind, ref_id, audience, created_at FROM exercise_events WHERE exercise_id = $1 AND seq > $2 ORDER BY seq", id, after)
	if err != nil {
		return nil, seat, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var ev Event
		if err := rows.Scan(&ev.Seq, &ev.Kind, &ev.RefID, &ev.Audience, &ev.At); err != nil {
			return nil, seat, err
		}
		if seat.Sees(ev) {
			out = append(out, ev)
		}
	}
	return out, seat, rows.Err()
}

// Stopping is closed when the instance shuts down, so that live streams end and
// let the HTTP server stop.
func (s *Service) Stopping() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	return s.stopping
}

// Stop ends the live streams of this instance and waits for the e-mail copies
// under way.
func (s *Service) Stop() {
	s.Stopping()
	s.stopOnce.Do(func() { close(s.stopping) })
	s.mailed.Wait()
	s.watching.Wait()
}

// Wait returns a channel closed at the next local event of the exercise; clients
// also poll, for events written by other instances. All waiters of an exercise
// share one channel, replaced at each event.
func (s *Service) Wait(id int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signals == nil {
		s.signals = map[int64]chan struct{}{}
	}
	ch, ok := s.signals[id]
	if !ok {
		ch = make(chan struct{})
		s.signals[id] = ch
	}
	return ch
}

// watcher looks for an exercise's new events on behalf of every open stream of this
// instance: one indexed query per period, whatever the number of players.
type watcher struct {
	streams int
	cancel  context.CancelFunc
}

// Watch keeps a watcher on the exercise while the stream that calls it is open; the
// watcher wakes the local streams (Wait) when another instance writes an event.
// Call the returned function when the stream ends.
func (s *Service) Watch(id int64) (stop func()) {
	stopping := s.Stopping()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers == nil {
		s.watchers = map[int64]*watcher{}
	}
	w := s.watchers[id]
	if w == nil {
		ctx, cancel := context.WithCancel(context.Background())
		w = &watcher{cancel: cancel}
		s.watchers[id] = w
		every := s.WatchEvery
		if every <= 0 {
			every = 100 * time.Millisecond
		}
		s.watching.Go(func() { s.watch(ctx, stopping, id, every) })
	}
	w.streams++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if w.streams--; w.streams == 0 {
				w.cancel()
				delete(s.watchers, id)
			}
		})
	}
}

func (s *Service) watch(ctx context.Context, stopping <-chan struct{}, id int64, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := int64(-1)
	for {
		var seq int64
		if err := s.DB.Read.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM exercise_events WHERE exercise_id = $1", id).Scan(&seq); err == nil {
			// The first look wakes too: a stream that opened just before may have
			// read the feed before an event this look sees.
			if seq != last {
				s.wake(id)
			}
			last = seq
		}
		select {
		case <-ctx.Done():
			return
		case <-stopping:
			return
		case <-t.C:
		}
	}
}

func (s *Service) wake(id int64) {
	s.mu.Lock()
	ch, ok := s.signals[id]
	delete(s.signals, id)
	s.mu.Unlock()
	if ok {
		close(ch)
	}
}

// ---- delivery ----

// DeliverDue delivers every stimulus whose time has come in the running, unpaused
// exercises, and returns how many it delivered. Each stimulus is claimed by one
// conditional update, so that several instances running this loop deliver it once.
func (s *Service) DeliverDue(ctx context.Context, now time.Time) (int, error) {
	running, err := s.running(ctx, "status = 'running' AND paused_at IS NULL")
	if err != nil {
		return 0, err
	}
	total := 0
	for _, e := range running {
		if e, err = s.bridge(ctx, e, now); err != nil {
			return total, err
		}
		elapsed := int(e.Clock.Elapsed(now) / time.Second)
		n, err := s.deliver(ctx, e.ID, elapsed, 0)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// Outages: a running exercise is ticked by every instance's delivery loop; the
// last tick is recorded every few seconds. When no instance ticked it for
// outageAfter, the platform was down: that time does not count as exercise time,
// as if the exercise had been paused, so the stimuli due meanwhile do not all go
// out at once when it comes back.
const (
	tickRecord  = 5 * time.Second
	outageAfter = 30 * time.Second
)

// tickedExercise is what the delivery loop needs of a running exercise, read
// several times a second: its clock and last tick, not its kit.
type tickedExercise struct {
	ID     int64
	OrgID  int64
	Clock  Clock
	Ticked *time.Time
}

func (s *Service) running(ctx context.Context, where string, args ...any) ([]tickedExercise, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT id, org_id, speed, started_at, paused_ms, ticked_at FROM exercises WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tickedExercise
	for rows.Next() {
		var e tickedExercise
		var started sql.NullTime
		var pausedMS int64
		if err := rows.Scan(&e.ID, &e.OrgID, &e.Clock.Speed, &started, &pausedMS, &e.Ticked); err != nil {
			return nil, err
		}
		e.Clock.StartedAt = started.Time
		e.Clock.Paused = time.Duration(pausedMS) * time.Millisecond
		out = append(out, e)
	}
	return out, rows.Err()
}

// bridge records this tick of exercise e and, after an outage, adds the silence to
// the time spent paused (one instance does it: the update is conditional on the
// tick it read).
func (s *Service) bridge(ctx context.Context, e tickedExercise, now time.Time) (tickedExercise, error) {
	now = now.UTC().Truncate(time.Microsecond)
	ticked := e.Ticked
	if ticked != nil && now.Sub(*ticked) < tickRecord {
		return e, nil
	}
	if ticked == nil || now.Sub(*ticked) <= outageAfter {
		_, err := s.DB.Write.ExecContext(ctx, "UPDATE exercises SET ticked_at = $1 WHERE id = $2 AND (ticked_at IS NULL OR ticked_at < $1)", now, e.ID)
		return e, err
	}
	gap := now.Sub(*ticked)
	bridged := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE exercises SET paused_ms = paused_ms + $1, ticked_at = $2
			WHERE id = $3 AND ticked_at = $4 AND status = 'running' AND paused_at IS NULL`, gap.Milliseconds(), now, e.ID, *ticked)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another instance bridged it
		}
		bridged = true
		var path string
		if err := tx.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1", e.OrgID).Scan(&path); err != nil {
			return err
		}
		if err := emit(ctx, tx, e.ID, "state", 0, "all"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.outage", ObjectType: "exercise", ObjectID: audit.ID(e.ID), OrgPath: path,
			Changes: map[string]audit.Change{"not_counted_seconds": {After: int(gap.Seconds())}}})
	})
	if err != nil {
		return e, err
	}
	if bridged {
		s.wake(e.ID)
		slog.Warn("exercise: platform outage not counted as exercise time", "exercise", e.ID, "seconds", int(gap.Seconds()))
	}
	// Whoever bridged it, the clock to deliver by is the stored one.
	fresh, err := s.running(ctx, "id = $1", e.ID)
	if err != nil || len(fresh) == 0 {
		return e, err
	}
	return fresh[0], nil
}

// deliver claims the due stimuli of one exercise (or the one stimulus when only is
// set) and appends their events, in one transaction.
func (s *Service) deliver(ctx context.Context, exercise int64, elapsed int, only int64) (int, error) {
	n := 0
	var claimed []int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Lock the exercise first (as emit does), then re-check that it still runs.
		var status string
		var paused sql.NullTime
		if err := tx.QueryRowContext(ctx, "UPDATE exercises SET event_seq = event_seq WHERE id = $1 RETURNING status, paused_at", exercise).Scan(&status, &paused); err != nil {
			return err
		}
		if status != StatusRunning || (paused.Valid && only == 0) {
			return nil
		}
		q := "SELECT id, recipients FROM exercise_stimuli WHERE exercise_id = $1 AND delivered_at IS NULL AND skipped = FALSE AND offset_seconds <= $2 ORDER BY offset_seconds, id"
		args := []any{exercise, elapsed}
		if only != 0 {
			q = "SELECT id, recipients FROM exercise_stimuli WHERE exercise_id = $1 AND delivered_at IS NULL AND skipped = FALSE AND id = $2"
			args = []any{exercise, only}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		type due struct {
			id         int64
			recipients string
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.recipients); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		now := db.Now()
		for _, d := range list {
			res, err := tx.ExecContext(ctx, "UPDATE exercise_stimuli SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL", now, d.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			if err := emit(ctx, tx, exercise, "stimulus", d.id, d.recipients); err != nil {
				return err
			}
			claimed = append(claimed, d.id)
			n++
		}
		return nil
	})
	if err == nil && n > 0 {
		s.wake(exercise)
		if s.Mail != nil {
			s.mailed.Go(func() { s.mailCopies(context.WithoutCancel(ctx), exercise, claimed) })
		}
	}
	return n, err
}

// mailCopies sends the stimuli just delivered to the players of their cells. The
// stream stays the reference: a copy that fails is logged, not retried.
func (s *Service) mailCopies(ctx context.Context, exercise int64, ids []int64) {
	// A shutdown does not wait for a slow mail server.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopping := s.Stopping()
	go func() {
		select {
		case <-stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT u.email, p.cell, u.locale FROM exercise_participants p JOIN users u ON u.id = p.user_id
		WHERE p.exercise_id = $1 AND p.role = 'player' AND u.disabled_at IS NULL`, exercise)
	if err != nil {
		slog.Error("exercise mail", "exercise", exercise, "err", err)
		return
	}
	type player struct{ email, cell, locale string }
	var players []player
	for rows.Next() {
		var p player
		if err := rows.Scan(&p.email, &p.cell, &p.locale); err == nil {
			players = append(players, p)
		}
	}
	rows.Close()
	for _, id := range ids {
		st, err := scanStimulus(s.DB.Read.QueryRowContext(ctx, "SELECT "+stimulusColumns+" FROM exercise_stimuli WHERE id = $1", id))
		if err != nil {
			slog.Error("exercise mail", "exercise", exercise, "err", err)
			continue
		}
		for _, p := range players {
			if !st.For(p.cell) {
				continue
			}
			lang, _ := i18n.Parse(p.locale)
			m := mail.Message{To: p.email, Subject: lang.T("exercise.mail.subject", st.Title),
				Body: lang.T("exercise.mail.body", lang.T("exercise.channel."+st.Channel), st.Sender, st.Content)}
			if err := s.Mail.Send(ctx, m); err != nil {
				if errors.Is(err, mail.ErrNotConfigured) || ctx.Err() != nil {
					return
				}
				slog.Warn("exercise mail", "exercise", exercise, "stimulus", id, "err", err)
			}
		}
	}
}

// SendNow delivers a stimulus at once, ahead of its time (animators).
func (s *Service) SendNow(ctx context.Context, id, stimulus int64) error {
	if err := s.animatorOf(ctx, id, StatusRunning); err != nil {
		return err
	}
	n, err := s.deliver(ctx, id, 0, stimulus)
	if err == nil && n == 0 {
		return problem.New(problem.Conflict, "exercise.error.already_delivered")
	}
	return err
}

// Skip marks a coming stimulus as not to be delivered (animators).
func (s *Service) Skip(ctx context.Context, id, stimulus int64) error {
	if err := s.animatorOf(ctx, id, StatusRunning, StatusDraft, StatusPlanned); err != nil {
		return err
	}
	res, err := s.DB.Write.ExecContext(ctx, "UPDATE exercise_stimuli SET skipped = TRUE WHERE id = $1 AND exercise_id = $2 AND delivered_at IS NULL", stimulus, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return problem.New(problem.Conflict, "exercise.error.already_delivered")
	}
	return nil
}

func (s *Service) animatorOf(ctx context.Context, id int64, states ...string) error {
	e, seat, _, err := s.open(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	if seat.Role != RoleAnimator {
		return problem.New(problem.Forbidden, "exercise.error.animators_only")
	}
	if !slices.Contains(states, e.Status) {
		return problem.New(problem.Conflict, "exercise.error.state", e.Status)
	}
	return nil
}

// Run delivers due stimuli every tick until ctx ends. Every instance runs it.
func (s *Service) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.DeliverDue(ctx, time.Now()); err != nil && ctx.Err() == nil {
				slog.Error("exercise delivery", "err", err)
			}
		}
	}
}

// ---- main courante ----

// LogEntry is an entry of the shared crisis log.
type LogEntry struct {
	ID       int64
	UserID   int64
	Author   string
	Cell     string
	Kind     string
	Body     string
	Stimulus *int64
	At       time.Time
	DoneAt   *time.Time // for an action: when its cell marked it done
}

const logColumns = "l.id, l.user_id, u.name, l.cell, l.kind, l.body, l.stimulus_id, l.created_at, l.done_at"

func scanLog(row interface{ Scan(...any) error }) (LogEntry, error) {
	var l LogEntry
	var stimulus sql.NullInt64
	var done sql.NullTime
	err := row.Scan(&l.ID, &l.UserID, &l.Author, &l.Cell, &l.Kind, &l.Body, &stimulus, &l.At, &done)
	if stimulus.Valid {
		v := stimulus.Int64
		l.Stimulus = &v
	}
	l.DoneAt = timePtr(done)
	return l, err
}

// LogKinds are the kinds of log entry. An action is a task of its cell; a note
// is the animation team's and players never see it.
var LogKinds = []string{"information", "decision", "action", "note"}

// PostLog writes an entry in the main courante of a running exercise the caller
// takes part in.
func (s *Service) PostLog(ctx context.Context, id int64, kind, body string, stimulus int64) (LogEntry, error) {
	var entry LogEntry
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, seat, _, err := s.open(ctx, tx, id)
		if err != nil {
			return err
		}
		if seat.Role == "" {
			return problem.New(problem.Forbidden, "exercise.error.not_participant")
		}
		var c problem.Checks
		if !slices.Contains(LogKinds, kind) || (kind == "note" && !seat.Staff()) {
			c.Add("kind", "exercise.error.log_kind", kind)
		}
		body = strings.TrimSpace(body)
		if body == "" || len(body) > 4000 {
			c.Add("body", "exercise.error.log_body", 4000)
		}
		var ref any
		if stimulus != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2 AND delivered_at IS NOT NULL", stimulus, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				c.Add("stimulus", "exercise.error.log_stimulus")
			}
			ref = stimulus
		}
		if err := c.Err(); err != nil {
			return err
		}
		if e.Status != StatusRunning {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		sub := subject(ctx)
		entry = LogEntry{UserID: sub.UserID, Author: sub.Name, Cell: seat.Cell, Kind: kind, Body: body, At: db.Now()}
		if stimulus != 0 {
			entry.Stimulus = &stimulus
		}
		if err := tx.QueryRowContext(ctx, "INSERT INTO exercise_log (exercise_id, user_id, cell, kind, body, stimulus_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
			id, sub.UserID, seat.Cell, kind, body, ref, entry.At).Scan(&entry.ID); err != nil {
			return err
		}
		audience := "all"
		if kind == "note" {
			audience = "staff"
		}
		return emit(ctx, tx, id, "log", entry.ID, audience)
	})
	if err == nil {
		s.wake(id)
	}
	return entry, err
}

// Log returns the main courante, oldest first, to the exercise's participants.
func (s *Service) Log(ctx context.Context, id int64) ([]LogEntry, error) {
	seat, _, err := s.access(ctx, s.DB.Read, id)
	if err != nil {
		return nil, err
	}
	if seat.Role == "" {
		return nil, problem.New(problem.Forbidden, "exercise.error.not_participant")
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+logColumns+" FROM exercise_log l JOIN users u ON u.id = l.user_id WHERE l.exercise_id = $1 ORDER BY l.id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		l, err := scanLog(rows)
		if err != nil {
			return nil, err
		}
		if l.Kind == "note" && !seat.Staff() {
			continue
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// FeedItem is an event with what it carries, as the caller may see it.
type FeedItem struct {
	Seq      int64
	Kind     string
	Stimulus *Line
	Log      *LogEntry
	Mark     *Mark
	Status   string
	Paused   bool
}

// Feed returns what happened in the exercise after seq, for the caller's seat.
func (s *Service) Feed(ctx context.Context, id, after int64) ([]FeedItem, error) {
	events, seat, err := s.Events(ctx, id, after)
	if err != nil || len(events) == 0 {
		return []FeedItem{}, err
	}
	out := make([]FeedItem, 0, len(events))
	for _, ev := range events {
		it := FeedItem{Seq: ev.Seq, Kind: ev.Kind}
		switch ev.Kind {
		case "stimulus":
			st, err := scanStimulus(s.DB.Read.QueryRowContext(ctx, "SELECT "+stimulusColumns+" FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2", ev.RefID, id))
			if err != nil {
				return nil, err
			}
			if !seat.Staff() {
				st.Expected, st.Criteria = nil, nil
			}
			it.Stimulus = &st
		case "log":
			l, err := scanLog(s.DB.Read.QueryRowContext(ctx, "SELECT "+logColumns+" FROM exercise_log l JOIN users u ON u.id = l.user_id WHERE l.id = $1 AND l.exercise_id = $2", ev.RefID, id))
			if err != nil {
				return nil, err
			}
			it.Log = &l
		case "mark":
			m, err := scanMark(s.DB.Read.QueryRowContext(ctx, "SELECT "+markColumns+" FROM exercise_marks m JOIN users u ON u.id = m.user_id WHERE m.id = $1 AND m.exercise_id = $2", ev.RefID, id))
			if err != nil {
				return nil, err
			}
			it.Mark = &m
		case "state":
			e, _, err := s.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			it.Status, it.Paused = e.Status, e.Clock.PausedAt != nil
		}
		out = append(out, it)
	}
	return out, nil
}

// AddParticipantByEmail seats the person with that e-mail address; an unknown
// address gets the same answer as a person outside the exercise's scope.
func (s *Service) AddParticipantByEmail(ctx context.Context, id int64, email, role, cell string) error {
	var user int64
	err := s.DB.Read.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", strings.ToLower(strings.TrimSpace(email))).Scan(&user)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.AddParticipant(ctx, id, user, role, cell)
}

// ImportChronogramme replaces the chronogramme of an exercise that has not started
// with the rows of a CSV or XLSX file, validated whole: on any fault nothing
// changes and every faulty row is reported.
func (s *Service) ImportChronogramme(ctx context.Context, id int64, data []byte, filename string) (int, error) {
	var n int
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPlanned {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		lines, err := ParseChronogramme(data, filename, e.Kit)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_stimuli WHERE exercise_id = $1", id); err != nil {
			return err
		}
		for _, l := range lines {
			if err := insertStimulus(ctx, tx, id, l); err != nil {
				return err
			}
		}
		n = len(lines)
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.chronogramme_import", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"stimuli": {After: n}, "file": {After: filename}}})
	})
	return n, err
}

// KitYAML exports the exercise's kit with its chronogramme as it stands, in the
// open kit format (animators only: it holds the animator part).
func (s *Service) KitYAML(ctx context.Context, id int64) ([]byte, error) {
	e, seat, _, err := s.open(ctx, s.DB.Read, id)
	if err != nil {
		return nil, err
	}
	if seat.Role != RoleAnimator {
		return nil, problem.New(problem.Forbidden, "exercise.error.animators_only")
	}
	lines, _, err := s.Stimuli(ctx, id)
	if err != nil {
		return nil, err
	}
	return ExportKit(e.Kit, lines)
}

// InviteGuest seats a person from outside the establishment's branch (a
// préfecture's staff, an expert): an account without any role is created for an
// unknown address and receives an invitation; it sees only the exercises it is
// seated in.
func (s *Service) InviteGuest(ctx context.Context, id int64, email, name, role, cell string, lang i18n.Lang) error {
	e, seat, _, err := s.open(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	if seat.Role != RoleAnimator {
		return problem.New(problem.Forbidden, "exercise.error.animators_only")
	}
	if s.Invite == nil {
		return problem.New(problem.Conflict, "exercise.error.no_invitations")
	}
	// Check the seat before creating an account for it.
	var c problem.Checks
	checkSeat(&c, e, role, cell)
	if err := c.Err(); err != nil {
		return err
	}
	user, _, err := s.Invite(ctx, email, name, e.Title, lang)
	if err != nil {
		return err
	}
	return s.seat(ctx, id, user, role, cell, true)
}

// DoneTask marks an action of the main courante done: by a participant of its
// cell or an animator, while the exercise runs.
func (s *Service) DoneTask(ctx context.Context, id, entry int64) error {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, seat, _, err := s.open(ctx, tx, id)
		if err != nil {
			return err
		}
		if seat.Role == "" {
			return problem.New(problem.Forbidden, "exercise.error.not_participant")
		}
		if e.Status != StatusRunning {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		var cell string
		err = tx.QueryRowContext(ctx, "SELECT cell FROM exercise_log WHERE id = $1 AND exercise_id = $2 AND kind = 'action' AND done_at IS NULL", entry, id).Scan(&cell)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		if seat.Role != RoleAnimator && seat.Cell != cell {
			return problem.New(problem.Forbidden, "exercise.error.other_cell")
		}
		_, err = tx.ExecContext(ctx, "UPDATE exercise_log SET done_at = $1 WHERE id = $2", db.Now(), entry)
		return err
	})
	if err == nil {
		s.wake(id)
	}
	return err
}
