// Package maturity runs self-assessments: versioned questionnaires in an open YAML
// format, answers with comments and evidence, weighted scores per theme, a level, the
// six priority measures, trends between two assessments and roll-ups for a GHT, a
// region, the nation.
package maturity

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

// Kinds of questionnaire.
const (
	KindKitLevel = "kit_level" // the grid that chooses the crisis-exercise kit level
	KindMaturity = "maturity"
)

// Level codes, as the API returns them.
const (
	Debutant      = "debutant"
	Intermediaire = "intermediaire"
	Confirme      = "confirme"
)

// Special answers score nothing.
const (
	SpecialNSP = "nsp" // ne sait pas
	SpecialNA  = "na"  // non applicable
)

// Questionnaire is one version of a questionnaire.
type Questionnaire struct {
	ID          string  `yaml:"id"`
	Version     int     `yaml:"version"`
	Kind        string  `yaml:"kind"`
	Title       string  `yaml:"title"`
	TitleEN     string  `yaml:"title_en"`
	Description string  `yaml:"description"`
	Notice      string  `yaml:"notice"`
	Levels      []Level `yaml:"levels"`
	Themes      []Theme `yaml:"themes"`
}

// Level is a band of the overall score, from Min percent.
type Level struct {
	Code        string  `yaml:"code"`
	Label       string  `yaml:"label"`
	Min         float64 `yaml:"min"`
	Description string  `yaml:"description"`
}

// Theme groups questions and gets a score of its own.
type Theme struct {
	ID          string     `yaml:"id"`
	Title       string     `yaml:"title"`
	TitleEN     string     `yaml:"title_en"`
	Description string     `yaml:"description"`
	Questions   []Question `yaml:"questions"`
}

// Question is one question with its answer options.
type Question struct {
	ID       string    `yaml:"id"`
	Text     string    `yaml:"text"`
	Help     string    `yaml:"help"`
	Weight   int       `yaml:"weight"`
	Tags     []string  `yaml:"tags"`
	ShowIf   *ShowIf   `yaml:"show_if"`
	Options  []Option  `yaml:"options"`
	Measures []Measure `yaml:"measures"`
}

// Context reports whether the question only tailors the rest (weight 0).
func (q Question) Context() bool { return q.Weight == 0 }

// Option finds an option by id.
func (q Question) Option(id string) (Option, bool) {
	for _, o := range q.Options {
		if o.ID == id {
			return o, true
		}
	}
	return Option{}, false
}

// ShowIf makes a question conditional on the answer to an earlier one.
type ShowIf struct {
	Question string   `yaml:"question"`
	Options  []string `yaml:"options"`
}

// Option is one possible answer. Graded options carry a value from 0 to 3; special
// ones (nsp, na) and the options of context questions carry none.
type Option struct {
	ID      string `yaml:"id"`
	Label   string `yaml:"label"`
	Value   *int   `yaml:"value"`
	Special string `yaml:"special"`
}

// Measure is an action recommended when the answer falls short.
type Measure struct {
	ID       string `yaml:"id"`
	Title    string `yaml:"title"`
	Level    int    `yaml:"level"`    // 1 essential, 2 more demanding
	Priority int    `yaml:"priority"` // 1 most urgent … 3
	Why      string `yaml:"why"`
	How      string `yaml:"how"`
}

// Below is the answer value under which the measure is recommended: a level-1
// measure fixes answers of 0 or 1, a level-2 one anything short of 3.
func (m Measure) Below() int {
	if m.Level == 2 {
		return 3
	}
	return 2
}

// MaxValue is the top of the answer scale.
const MaxValue = 3

// MaxFileSize bounds a questionnaire file.
const MaxFileSize = 2 << 20

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)

// Parse reads and validates a questionnaire file; it reports every fault it finds.
func Parse(data []byte) (Questionnaire, error) {
	var q Questionnaire
	if len(data) > MaxFileSize {
		return q, problem.New(problem.TooLarge, "maturity.error.file_too_large", MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&q); err != nil {
		return q, problem.New(problem.Invalid, "maturity.error.yaml", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return q, q.Validate()
}

// Validate checks the questionnaire's structure and returns every fault at once.
func (q Questionnaire) Validate() error {
	var c problem.Checks
	add := func(where, key string, args ...any) { c.Add(where, key, args...) }
	if !idPattern.MatchString(q.ID) {
		add("id", "maturity.error.id", q.ID)
	}
	if q.Version < 1 {
		add("version", "maturity.error.version")
	}
	if q.Kind != KindKitLevel && q.Kind != KindMaturity {
		add("kind", "maturity.error.kind", q.Kind)
	}
	if strings.TrimSpace(q.Title) == "" {
		add("title", "maturity.error.required", "title")
	}
	q.validateLevels(&c)
	if len(q.Themes) == 0 {
		add("themes", "maturity.error.no_themes")
	}
	themeIDs, questionIDs, measureIDs := map[string]bool{}, map[string]Question{}, map[string]bool{}
	for _, t := range q.Themes {
		where := "theme " + t.ID
		if !idPattern.MatchString(t.ID) || themeIDs[t.ID] {
			add(where, "maturity.error.theme_id", t.ID)
		}
		themeIDs[t.ID] = true
		if strings.TrimSpace(t.Title) == "" {
			add(where, "maturity.error.required", "title")
		}
		if len(t.Questions) == 0 {
			add(where, "maturity.error.no_questions")
		}
		for _, qu := range t.Questions {
			validateQuestion(&c, qu, questionIDs, measureIDs)
			questionIDs[qu.ID] = qu
		}
	}
	return c.Err()
}

func (q Questionnaire) validateLevels(c *problem.Checks) {
	codes := make([]string, len(q.Levels))
	for i, l := range q.Levels {
		codes[i] = l.Code
		if i == 0 && l.Min != 0 {
			c.Add("levels", "maturity.error.level_first")
		}
		if i > 0 && l.Min <= q.Levels[i-1].Min || l.Min < 0 || l.Min > 100 {
			c.Add("levels", "maturity.error.level_order", l.Code)
		}
		if strings.TrimSpace(l.Label) == "" {
			c.Add("levels", "maturity.error.required", "label")
		}
	}
	if q.Kind == KindKitLevel && !slices.Equal(codes, []string{Debutant, Intermediaire, Confirme}) {
		c.Add("levels", "maturity.error.kit_levels")
	}
	if q.Kind == KindMaturity && len(q.Levels) == 0 {
		c.Add("levels", "maturity.error.no_levels")
	}
}

func validateQuestion(c *problem.Checks, qu Question, earlier map[string]Question, measureIDs map[string]bool) {
	where := "question " + qu.ID
	if !idPattern.MatchString(qu.ID) {
		c.Add(where, "maturity.error.question_id", qu.ID)
	} else if _, dup := earlier[qu.ID]; dup {
		c.Add(where, "maturity.error.duplicate", qu.ID)
	}
	if strings.TrimSpace(qu.Text) == "" {
		c.Add(where, "maturity.error.required", "text")
	}
	if qu.Weight < 0 || qu.Weight > 5 {
		c.Add(where, "maturity.error.weight")
	}
	for _, tag := range qu.Tags {
		if tag != "strategique" && tag != "operationnel" && tag != "contexte" {
			c.Add(where, "maturity.error.tag", tag)
		}
	}
	if qu.ShowIf != nil {
		ref, ok := earlier[qu.ShowIf.Question]
		if !ok {
			c.Add(where, "maturity.error.show_if_question", qu.ShowIf.Question)
		} else if len(qu.ShowIf.Options) == 0 {
			c.Add(where, "maturity.error.show_if_options")
		} else {
			for _, o := range qu.ShowIf.Options {
				if _, ok := ref.Option(o); !ok {
					c.Add(where, "maturity.error.show_if_option", o, ref.ID)
				}
			}
		}
	}
	validateOptions(c, where, qu)
	for _, m := range qu.Measures {
		if !idPattern.MatchString(m.ID) || measureIDs[m.ID] {
			c.Add(where, "maturity.error.measure_id", m.ID)
		}
		measureIDs[m.ID] = true
		if m.Level != 1 && m.Level != 2 {
			c.Add(where, "maturity.error.measure_level", m.ID)
		}
		if m.Priority < 1 || m.Priority > 3 {
			c.Add(where, "maturity.error.measure_priority", m.ID)
		}
		if strings.TrimSpace(m.Title) == "" || strings.TrimSpace(m.Why) == "" || strings.TrimSpace(m.How) == "" {
			c.Add(where, "maturity.error.measure_text", m.ID)
		}
	}
	if qu.Context() && len(qu.Measures) > 0 {
		c.Add(where, "maturity.error.context_measures")
	}
}

func validateOptions(c *problem.Checks, where string, qu Question) {
	ids := map[string]bool{}
	graded, hasMin, hasMax := 0, false, false
	for _, o := range qu.Options {
		if !idPattern.MatchString(o.ID) || ids[o.ID] {
			c.Add(where, "maturity.error.option_id", o.ID)
		}
		ids[o.ID] = true
		if strings.TrimSpace(o.Label) == "" {
			c.Add(where, "maturity.error.required", "label")
		}
		switch {
		case o.Special != "" && o.Special != SpecialNSP && o.Special != SpecialNA:
			c.Add(where, "maturity.error.special", o.Special)
		case o.Special != "" && o.Value != nil:
			c.Add(where, "maturity.error.special_value", o.ID)
		case qu.Context() && (o.Value != nil || o.Special != ""):
			c.Add(where, "maturity.error.context_value", o.ID)
		case !qu.Context() && o.Special == "" && o.Value == nil:
			c.Add(where, "maturity.error.no_value", o.ID)
		case o.Value != nil && (*o.Value < 0 || *o.Value > MaxValue):
			c.Add(where, "maturity.error.value_range", o.ID)
		case o.Value != nil:
			graded++
			hasMin = hasMin || *o.Value == 0
			hasMax = hasMax || *o.Value == MaxValue
		}
	}
	if qu.Context() {
		if len(qu.Options) < 2 {
			c.Add(where, "maturity.error.options")
		}
		return
	}
	if graded < 2 || !hasMin || !hasMax {
		c.Add(where, "maturity.error.scale")
	}
}

// Question finds a question by id, with its theme.
func (q Questionnaire) Question(id string) (Question, Theme, bool) {
	for _, t := range q.Themes {
		for _, qu := range t.Questions {
			if qu.ID == id {
				return qu, t, true
			}
		}
	}
	return Question{}, Theme{}, false
}

// Ref names a questionnaire version, e.g. "grille-niveau-kit@1".
func (q Questionnaire) Ref() string { return fmt.Sprintf("%s@%d", q.ID, q.Version) }
