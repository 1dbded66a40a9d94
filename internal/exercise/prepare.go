package exercise

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/platform/problem"
)

// Preparing an exercise: its animators edit its chronogramme before it starts.

// SaveStimulus adds a stimulus to the exercise's chronogramme (ID 0) or changes one,
// before the exercise starts.
func (s *Service) SaveStimulus(ctx context.Context, id int64, st Line) (int64, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, StatusDraft, StatusPlanned)
		if err != nil {
			return err
		}
		if err := checkStimulus(o.Kit, st); err != nil {
			return err
		}
		if st.ID == 0 {
			if st.Ref == "" {
				st.Ref = "local-" + strconv.Itoa(int(time.Now().UnixNano()%1e9))
			}
			st.ID, err = insertStimulus(ctx, tx, id, st)
		} else {
			err = updateStimulus(ctx, tx, id, st)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.stimulus_save", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"stimulus": {After: st.ID}, "offset_seconds": {After: st.Offset}}})
	})
	if err != nil {
		return 0, err
	}
	return st.ID, nil
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

func (k Kit) hasCell(id string) bool {
	return slices.ContainsFunc(k.Cells, func(c Cell) bool { return c.ID == id })
}

// RemoveStimulus takes a stimulus out of an exercise that has not started.
func (s *Service) RemoveStimulus(ctx context.Context, id, stimulus int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, StatusDraft, StatusPlanned)
		if err != nil {
			return err
		}
		if err := deleteStimulus(ctx, tx, id, stimulus); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.stimulus_remove", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"stimulus": {Before: stimulus}}})
	})
}

// ImportChronogramme replaces the chronogramme of an exercise that has not started
// with the rows of a CSV or XLSX file, validated whole: on any fault nothing
// changes and every faulty row is reported.
func (s *Service) ImportChronogramme(ctx context.Context, id int64, data []byte, filename string) (int, error) {
	var n int
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, StatusDraft, StatusPlanned)
		if err != nil {
			return err
		}
		lines, err := ParseChronogramme(data, filename, o.Kit)
		if err != nil {
			return err
		}
		if err := clearStimuli(ctx, tx, id); err != nil {
			return err
		}
		for _, l := range lines {
			if _, err := insertStimulus(ctx, tx, id, l); err != nil {
				return err
			}
		}
		n = len(lines)
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.chronogramme_import", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"stimuli": {After: n}, "file": {After: filename}}})
	})
	return n, err
}

// KitYAML exports the exercise's kit with its chronogramme as it stands, in the
// open kit format (animators only: it holds the animator part).
func (s *Service) KitYAML(ctx context.Context, id int64) ([]byte, error) {
	o, err := open(ctx, s.DB.Read, id, true, animator)
	if err != nil {
		return nil, err
	}
	lines, err := stimuli(ctx, s.DB.Read, o)
	if err != nil {
		return nil, err
	}
	return ExportKit(o.Kit, lines)
}
