// Package exercise runs crisis exercises from kits. This first part holds the open
// kit format: a versioned YAML file with the participant part (given to players),
// the communication part, and the animator part (scenario, chronogramme,
// observation grid, RETEX template) that players never see.
package exercise

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

//go:embed content/*.yaml
var shipped embed.FS

// Levels of kit.
var Levels = []string{"debutant", "intermediaire", "confirme", "regional"}

// Channels a stimulus arrives by.
var Channels = []string{"email", "telephone", "sms", "media", "visite", "courrier"}

// Kit is one version of an exercise kit.
type Kit struct {
	ID       string   `yaml:"id"`
	Version  int      `yaml:"version"`
	Title    string   `yaml:"title"`
	TitleEN  string   `yaml:"title_en"`
	Level    string   `yaml:"level"`
	Audience []string `yaml:"audience"`
	Duration int      `yaml:"duration_minutes"`
	// StartTime is the simulated time of day at T0 ("08:00") when the kit's time
	// runs at a steady pace, TimeScale simulated minutes per minute of exercise
	// (1 when unset). A kit whose time jumps (phases announced by the animation)
	// gives none: the hour is then in each message.
	StartTime     string        `yaml:"start_time,omitempty"`
	TimeScale     int           `yaml:"time_scale,omitempty"`
	Notice        string        `yaml:"notice"`
	Summary       string        `yaml:"summary"`
	Objectives    []string      `yaml:"objectives"`
	Cells         []Cell        `yaml:"cells"`
	Participant   Participant   `yaml:"participant"`
	Communication Communication `yaml:"communication"`
	Animator      Animator      `yaml:"animator"`
}

// Cell is a group of players. An optional cell is played by the animation team
// unless the animators seat players in it when they prepare the exercise.
type Cell struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Optional bool     `yaml:"optional,omitempty"`
	Roles    []string `yaml:"roles"`
}

// Participant is what players receive before the exercise.
type Participant struct {
	Rules    []string `yaml:"rules"`
	Sheets   []Sheet  `yaml:"sheets"`
	Glossary []Term   `yaml:"glossary"`
}

// Sheet is a good-practice sheet of the participant part.
type Sheet struct {
	Title string   `yaml:"title"`
	Items []string `yaml:"items"`
}

// Term is an entry of the participant part's glossary.
type Term struct {
	Term       string `yaml:"term"`
	Definition string `yaml:"definition"`
}

// Communication holds the messages around the exercise.
type Communication struct {
	Invitation     string `yaml:"invitation"`
	Announcement   string `yaml:"announcement"`
	InternalNotice string `yaml:"internal_notice"`
}

// Animator is the animation team's material.
type Animator struct {
	Scenario string      `yaml:"scenario"`
	Stimuli  []Stimulus  `yaml:"stimuli"`
	Criteria []Criterion `yaml:"criteria"`
	Retex    []RetexPart `yaml:"retex_template"`
}

// RetexPart is a heading of the RETEX template with its questions.
type RetexPart struct {
	Title   string   `yaml:"title"`
	Prompts []string `yaml:"prompts"`
}

// Stimulus is one line of the chronogramme.
type Stimulus struct {
	ID                string   `yaml:"id"`
	Offset            int      `yaml:"offset_minutes"`
	Channel           string   `yaml:"channel"`
	Sender            string   `yaml:"sender"`
	Recipients        []string `yaml:"recipients"`
	Title             string   `yaml:"title"`
	Content           string   `yaml:"content"`
	Attachments       []string `yaml:"attachments"`
	ExpectedReactions []string `yaml:"expected_reactions"`
	Criteria          []string `yaml:"criteria"`
}

// Criterion is a line of the observation grid.
type Criterion struct {
	ID          string `yaml:"id"`
	Label       string `yaml:"label"`
	Description string `yaml:"description"`
	Cell        string `yaml:"cell"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)

// ParseKit reads and validates a kit file, reporting every fault.
func ParseKit(data []byte) (Kit, error) {
	var k Kit
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&k); err != nil {
		return k, problem.New(problem.Invalid, "exercise.error.yaml", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return k, k.Validate()
}

// Validate checks the kit's structure.
func (k Kit) Validate() error {
	var c problem.Checks
	if !idPattern.MatchString(k.ID) || k.Version < 1 {
		c.Add("id", "exercise.error.id")
	}
	if !slices.Contains(Levels, k.Level) {
		c.Add("level", "exercise.error.level", k.Level)
	}
	for _, a := range k.Audience {
		if a != "ES" && a != "ESSMS" && a != "ARS" {
			c.Add("audience", "exercise.error.audience", a)
		}
	}
	if k.Duration <= 0 || k.Duration > 24*60 {
		c.Add("duration_minutes", "exercise.error.duration")
	}
	if strings.TrimSpace(k.Title) == "" || strings.TrimSpace(k.Notice) == "" || strings.TrimSpace(k.Animator.Scenario) == "" {
		c.Add("title", "exercise.error.required")
	}
	k.checkFields(&c)
	if _, ok := k.Start(); !ok && k.StartTime != "" {
		c.Add("start_time", "exercise.error.start_time", k.StartTime)
	}
	if k.TimeScale < 0 || k.TimeScale > 60 || (k.TimeScale > 0 && k.StartTime == "") {
		c.Add("time_scale", "exercise.error.time_scale")
	}
	cells := map[string]bool{"all": true}
	for _, cell := range k.Cells {
		if !idPattern.MatchString(cell.ID) || cells[cell.ID] {
			c.Add("cells", "exercise.error.cell_id", cell.ID)
		}
		cells[cell.ID] = true
	}
	criteria, used := map[string]bool{}, map[string]bool{}
	for _, cr := range k.Animator.Criteria {
		if !idPattern.MatchString(cr.ID) || criteria[cr.ID] {
			c.Add("criteria", "exercise.error.criterion_id", cr.ID)
		}
		criteria[cr.ID] = true
		if !cells[cr.Cell] {
			c.Add("criteria", "exercise.error.unknown_cell", cr.Cell, cr.ID)
		}
	}
	ids, prev := map[string]bool{}, 0
	for _, s := range k.Animator.Stimuli {
		where := "stimulus " + s.ID
		if !idPattern.MatchString(s.ID) || ids[s.ID] {
			c.Add(where, "exercise.error.stimulus_id", s.ID)
		}
		ids[s.ID] = true
		switch {
		case s.Offset < 0 || s.Offset >= k.Duration:
			c.Add(where, "exercise.error.offset", s.ID, s.Offset, k.Duration)
		case s.Offset < prev:
			c.Add(where, "exercise.error.order", s.ID)
		}
		prev = s.Offset
		if !slices.Contains(Channels, s.Channel) {
			c.Add(where, "exercise.error.channel", s.Channel)
		}
		if len(s.Recipients) == 0 {
			c.Add(where, "exercise.error.no_recipient", s.ID)
		}
		for _, r := range s.Recipients {
			if !cells[r] {
				c.Add(where, "exercise.error.unknown_cell", r, s.ID)
			}
		}
		for _, cr := range s.Criteria {
			if !criteria[cr] {
				c.Add(where, "exercise.error.unknown_criterion", cr, s.ID)
			}
			used[cr] = true
		}
		if strings.TrimSpace(s.Content) == "" || len(s.ExpectedReactions) == 0 {
			c.Add(where, "exercise.error.stimulus_text", s.ID)
		}
	}
	for id := range criteria {
		if !used[id] {
			c.Add("criteria", "exercise.error.criterion_unused", id)
		}
	}
	return c.Err()
}

// Shipped returns the kits shipped in the binary.
func Shipped() ([]Kit, error) {
	names, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []Kit
	for _, n := range names {
		data, err := shipped.ReadFile(n)
		if err != nil {
			return nil, err
		}
		k, err := ParseKit(data)
		if err != nil {
			return nil, fmt.Errorf("exercise: %s: %w", n, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Simulated lists the cells the animation team plays in an exercise of the kit
// whose participants are members: the optional cells in which no player is
// seated. Their stimuli are then for the animators, who answer in the cell's
// role (the animation team reads every stimulus: Seat.Shown). The regional kit
// follows the CaRE programme's text: "fait jouer l'ARS et la Préfecture (le
// reste de l'écosystème est simulé)", so its GHT and SAMU cells are optional.
func (k Kit) Simulated(members []Member) []string {
	var out []string
	for _, c := range k.Cells {
		if c.Optional && !slices.ContainsFunc(members, func(m Member) bool { return m.Role == RolePlayer && m.Cell == c.ID }) {
			out = append(out, c.ID)
		}
	}
	return out
}

// ForPlayers is the kit as a player may see it: everything but the animator part.
func (k Kit) ForPlayers() Kit {
	k.Animator = Animator{}
	return k
}
