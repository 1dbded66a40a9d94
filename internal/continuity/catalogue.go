package continuity

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed content/*.yaml
var content embed.FS

// CatalogueActivity is a typical activity offered when building the BIA.
type CatalogueActivity struct {
	ID           string   `yaml:"id"`
	Name         string   `yaml:"name"`
	Type         string   `yaml:"type"`
	Audience     []string `yaml:"audience"`
	Description  string   `yaml:"description"`
	Dependencies []string `yaml:"dependencies"`
	PDMAHours    int      `yaml:"pdma_hours"`
	MinimumStaff string   `yaml:"minimum_staff"`
}

// CatalogueResource is a typical application, infrastructure, supplier or service.
type CatalogueResource struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"`
	Description string `yaml:"description"`
}

// Criterion is an impact criterion with its four-level scale.
type Criterion struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	NameEN string `yaml:"name_en"`
	Levels []struct {
		Level       int    `yaml:"level"`
		Label       string `yaml:"label"`
		Description string `yaml:"description"`
	} `yaml:"levels"`
}

// SheetTemplate is a degraded-mode sheet to start from.
type SheetTemplate struct {
	Activity       string   `yaml:"activity"`
	Trigger        string   `yaml:"trigger"`
	FirstActions   []string `yaml:"first_actions"`
	PaperForms     []string `yaml:"paper_forms"`
	Roles          []Role   `yaml:"roles"`
	Communication  string   `yaml:"communication"`
	ReturnToNormal string   `yaml:"return_to_normal"`
	Rekeying       string   `yaml:"rekeying"`
}

// Role is who does what in degraded mode.
type Role struct {
	Who  string `yaml:"who"`
	Does string `yaml:"does"`
}

// Catalogue is the shipped reference content: typical activities and resources, the
// impact scale, degraded-mode templates. Written by us; see each file's notice.
type Catalogue struct {
	Activities []CatalogueActivity
	Resources  []CatalogueResource
	Horizons   []Horizon
	Criteria   []Criterion
	Sheets     []SheetTemplate
	Notice     string
}

var (
	catalogueOnce sync.Once
	catalogue     Catalogue
	catalogueErr  error
)

// LoadCatalogue parses the shipped content once.
func LoadCatalogue() (Catalogue, error) {
	catalogueOnce.Do(func() { catalogue, catalogueErr = parseCatalogue() })
	return catalogue, catalogueErr
}

func decode(name string, v any) error {
	data, err := content.ReadFile("content/" + name)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("continuity: %s: %w", name, err)
	}
	return nil
}

func parseCatalogue() (Catalogue, error) {
	var c Catalogue
	var acts struct {
		Notice       string              `yaml:"notice"`
		Applications []CatalogueResource `yaml:"applications"`
		Activities   []CatalogueActivity `yaml:"activities"`
	}
	var scale struct {
		Notice   string      `yaml:"notice"`
		Horizons []Horizon   `yaml:"horizons"`
		Criteria []Criterion `yaml:"criteria"`
	}
	var sheets struct {
		Notice string          `yaml:"notice"`
		Sheets []SheetTemplate `yaml:"sheets"`
	}
	for name, v := range map[string]any{"activities.yaml": &acts, "impact-scale.yaml": &scale, "degraded-modes.yaml": &sheets} {
		if err := decode(name, v); err != nil {
			return c, err
		}
	}
	c = Catalogue{Activities: acts.Activities, Resources: acts.Applications, Horizons: scale.Horizons, Criteria: scale.Criteria, Sheets: sheets.Sheets, Notice: acts.Notice}
	return c, c.check()
}

// check verifies the content against the rules the code relies on.
func (c Catalogue) check() error {
	var list []string
	for _, h := range c.Horizons {
		list = append(list, string(h))
	}
	if _, err := ParseHorizons(strings.Join(list, ",")); err != nil {
		return fmt.Errorf("continuity: impact-scale.yaml: %w", err)
	}
	var ids []string
	for _, cr := range c.Criteria {
		ids = append(ids, cr.ID)
		if len(cr.Levels) != Unacceptable {
			return fmt.Errorf("continuity: criterion %s: %d levels, want %d", cr.ID, len(cr.Levels), Unacceptable)
		}
	}
	if !slices.Equal(ids, Criteria) {
		return fmt.Errorf("continuity: criteria %v, want %v", ids, Criteria)
	}
	resources := map[string]bool{}
	for _, r := range c.Resources {
		if !slices.Contains(ResourceKinds, r.Kind) {
			return fmt.Errorf("continuity: resource %s: kind %q", r.ID, r.Kind)
		}
		resources[r.ID] = true
	}
	activities := map[string]bool{}
	for _, a := range c.Activities {
		if a.Type != TypeCare && a.Type != TypeAdmin && a.Type != TypePlatform {
			return fmt.Errorf("continuity: activity %s: type %q", a.ID, a.Type)
		}
		for _, d := range a.Dependencies {
			if !resources[d] {
				return fmt.Errorf("continuity: activity %s: unknown dependency %q", a.ID, d)
			}
		}
		activities[a.ID] = true
	}
	for _, s := range c.Sheets {
		if s.Activity != "default" && !activities[s.Activity] {
			return fmt.Errorf("continuity: sheet for unknown activity %q", s.Activity)
		}
	}
	return nil
}

// Activity finds a catalogue activity.
func (c Catalogue) Activity(id string) (CatalogueActivity, bool) {
	for _, a := range c.Activities {
		if a.ID == id {
			return a, true
		}
	}
	return CatalogueActivity{}, false
}

// Resource finds a catalogue resource.
func (c Catalogue) Resource(id string) (CatalogueResource, bool) {
	for _, r := range c.Resources {
		if r.ID == id {
			return r, true
		}
	}
	return CatalogueResource{}, false
}

// Sheet returns the template for a catalogue activity, or the default one.
func (c Catalogue) Sheet(activity string) SheetTemplate {
	var def SheetTemplate
	for _, s := range c.Sheets {
		if s.Activity == activity {
			return s
		}
		if s.Activity == "default" {
			def = s
		}
	}
	return def
}

// ResourceKinds are what an activity may depend on.
var ResourceKinds = []string{"application", "infrastructure", "supplier", "service", "staff", "premises"}
