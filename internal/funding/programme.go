// Package funding holds the CaRE programme's funding calls. This first part is the
// programme content: a versioned YAML file (domains, their prerequisites and
// objectives with their codes, expected evidence and the rule the platform can
// check, candidate categories, calls with their phases and dates, amounts), its
// strict parser and the plain functions on its dates. What is not public is
// marked so, never guessed.
package funding

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

//go:embed content/programme.yaml
var shipped embed.FS

// ShippedFile is the programme shipped in the binary.
const ShippedFile = "content/programme.yaml"

// MaxFileSize bounds an imported programme file.
const MaxFileSize = 1 << 20

// Rules are the checks the platform can make on an objective; an objective's rule
// must be one of them. Each names the capability that will provide it.
var Rules = []string{
	"continuity.coverage",       // BIA and PCRA coverage per legal entity (D2 O1.C, the 66 % rule)
	"continuity.pca_field_test", // a PCA tested in a field exercise (D2 O1.D)
	"continuity.restore_test",   // a backup restored to production (D2 O4)
	"directory.convergence",     // the GHT's directory convergence: target, milestones, members' levels (D1)
	"directory.level",           // the latest directory audit level (D1, D2 O3.A)
	"exposure.silene",           // SILENE results recorded by the establishment (D1)
	"exercise.yearly",           // a crisis exercise this year
	"maturity.validated",        // a validated maturity assessment
}

// Phases of a call, in their order. The chain candidature → ARS instruction →
// operational phase → declaration of attainment → ARS verification → national
// control → payment is the one the ANS describes for Domaine 1 (axe-4 page,
// https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4).
const (
	Candidature  = "candidature"
	Instruction  = "instruction"
	Operational  = "operational"
	Declaration  = "declaration"
	Verification = "verification"
	Control      = "control"
	Payment      = "payment"
)

// PhaseNames lists the phases in order.
var PhaseNames = []string{Candidature, Instruction, Operational, Declaration, Verification, Control, Payment}

// Withheld subjects: what a domain may mark as not public.
var withheldSubjects = []string{"objectives", "prerequisites", "evidence", "amounts", "ceilings", "calendar"}

// Programme is one version of the programme content.
type Programme struct {
	Version     int        `yaml:"version"`
	Title       string     `yaml:"title"`
	TitleEN     string     `yaml:"title_en"`
	Description string     `yaml:"description"`
	Source      string     `yaml:"source"`
	Categories  []Category `yaml:"categories"`
	Domains     []Domain   `yaml:"domains"`
	Calls       []Call     `yaml:"calls"`
}

// Category is a kind of candidate (GHT, public outside a GHT…).
type Category struct {
	ID      string `yaml:"id"`
	Label   string `yaml:"label"`
	LabelEN string `yaml:"label_en"`
	Note    string `yaml:"note"`
	Source  string `yaml:"source"`
}

// Domain is a funding domain of axis 4.
type Domain struct {
	ID            string      `yaml:"id"`
	Code          string      `yaml:"code"` // as the programme names it; none for a domain not public yet
	Title         string      `yaml:"title"`
	TitleEN       string      `yaml:"title_en"`
	Description   string      `yaml:"description"`
	Public        *bool       `yaml:"public"` // true when absent
	Note          string      `yaml:"note"`   // why it is not public
	Source        string      `yaml:"source"`
	Aims          []Aim       `yaml:"aims"`
	Prerequisites []Objective `yaml:"prerequisites"`
	Objectives    []Objective `yaml:"objectives"`
	Withheld      []Withheld  `yaml:"withheld"`
}

// IsPublic reports whether the domain's content is public.
func (d Domain) IsPublic() bool { return d.Public == nil || *d.Public }

// Aim is a stated purpose of a domain whose numbered objectives are not public.
type Aim struct {
	Title   string `yaml:"title"`
	TitleEN string `yaml:"title_en"`
	Rule    string `yaml:"rule"`
	Source  string `yaml:"source"`
}

// Objective is a prerequisite or an objective of a domain, with its code as the
// programme gives it (D2: P1, O1.A…; HospiConnect: per year).
type Objective struct {
	Code        string   `yaml:"code"`
	Year        int      `yaml:"year"` // for objectives set per year (HospiConnect); 0 otherwise
	Title       string   `yaml:"title"`
	TitleEN     string   `yaml:"title_en"`
	Description string   `yaml:"description"`
	Evidence    []string `yaml:"evidence"`
	Rule        string   `yaml:"rule"` // one of Rules, or empty when the platform cannot check it
	Source      string   `yaml:"source"`
}

// Key tells objectives apart within a domain: the code, and the year if any.
func (o Objective) Key() string {
	if o.Year != 0 {
		return strconv.Itoa(o.Year) + " " + o.Code
	}
	return o.Code
}

// Withheld is a part of a domain that is not public, with why.
type Withheld struct {
	Subject string `yaml:"subject"`
	Note    string `yaml:"note"`
	Source  string `yaml:"source"`
}

// Call is one funding call of a domain.
type Call struct {
	ID             string   `yaml:"id"`
	Domain         string   `yaml:"domain"`
	Title          string   `yaml:"title"`
	TitleEN        string   `yaml:"title_en"`
	Source         string   `yaml:"source"`
	Categories     []string `yaml:"categories"`
	CategoriesNote string   `yaml:"categories_note"` // why no category is listed
	Amounts        Amounts  `yaml:"amounts"`
	Phases         []Phase  `yaml:"phases"`
}

// Amounts are a call's money, as configuration.
type Amounts struct {
	Envelope Amount `yaml:"envelope"`
	Ceiling  Amount `yaml:"ceiling"` // per establishment
}

// Amount is a sum in euros, or the note that it is not public.
type Amount struct {
	EUR    *int64 `yaml:"eur"`
	Public *bool  `yaml:"public"` // true when absent
	Note   string `yaml:"note"`
	Source string `yaml:"source"`
}

// IsPublic reports whether the amount is public.
func (a Amount) IsPublic() bool { return a.Public == nil || *a.Public }

// Phase is one phase of a call; a date the programme has not published is
// empty, and the note says so.
type Phase struct {
	Name   string `yaml:"phase"`
	From   string `yaml:"from"` // YYYY-MM-DD, first day
	To     string `yaml:"to"`   // YYYY-MM-DD, last day
	Note   string `yaml:"note"`
	Source string `yaml:"source"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.'’ -]{0,39}$`)
	unknownLine = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
)

// ParseProgramme reads and validates a programme file, reporting every fault:
// unknown fields and every rule of Validate.
func ParseProgramme(data []byte) (Programme, error) {
	var p Programme
	var c problem.Checks
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&p)
	if typeErr, ok := errors.AsType[*yaml.TypeError](err); ok {
		// The decoder went on past these faults: report each, then check the rest.
		for _, msg := range typeErr.Errors {
			if m := unknownLine.FindStringSubmatch(msg); m != nil {
				c.Add("line "+m[1], "funding.error.unknown_field", m[2], m[1])
			} else {
				c.Add("yaml", "funding.error.yaml", msg)
			}
		}
	} else if err != nil {
		return p, problem.New(problem.Invalid, "funding.error.yaml", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	p.check(&c)
	return p, c.Err()
}

// Validate checks the programme's structure.
func (p Programme) Validate() error {
	var c problem.Checks
	p.check(&c)
	return c.Err()
}

func (p Programme) check(c *problem.Checks) {
	if p.Version < 1 {
		c.Add("version", "funding.error.version")
	}
	if blank(p.Title) {
		c.Add("title", "funding.error.required", "title")
	}
	checkSource(c, "programme", p.Source)

	categories := map[string]bool{}
	for _, cat := range p.Categories {
		where := "category " + cat.ID
		if !idPattern.MatchString(cat.ID) || categories[cat.ID] {
			c.Add(where, "funding.error.duplicate_id", cat.ID)
		}
		categories[cat.ID] = true
		if blank(cat.Label) {
			c.Add(where, "funding.error.required", "label")
		}
		checkSource(c, where, cat.Source)
	}

	domains, codes := map[string]bool{}, map[string]bool{}
	for _, d := range p.Domains {
		where := "domain " + d.ID
		if !idPattern.MatchString(d.ID) || domains[d.ID] {
			c.Add(where, "funding.error.duplicate_id", d.ID)
		}
		domains[d.ID] = true
		switch {
		case d.Code == "" && d.IsPublic():
			c.Add(where, "funding.error.required", "code")
		case d.Code != "" && (!codePattern.MatchString(d.Code) || codes[d.Code]):
			c.Add(where, "funding.error.duplicate_code", d.Code)
		}
		codes[d.Code] = true
		if blank(d.Title) {
			c.Add(where, "funding.error.required", "title")
		}
		if !d.IsPublic() && blank(d.Note) {
			c.Add(where, "funding.error.note", d.ID)
		}
		checkSource(c, where, d.Source)
		d.check(c, where)
	}

	calls := map[string]bool{}
	for _, call := range p.Calls {
		where := "call " + call.ID
		if !idPattern.MatchString(call.ID) || calls[call.ID] {
			c.Add(where, "funding.error.duplicate_id", call.ID)
		}
		calls[call.ID] = true
		if !domains[call.Domain] {
			c.Add(where, "funding.error.unknown_domain", call.Domain, call.ID)
		}
		if blank(call.Title) {
			c.Add(where, "funding.error.required", "title")
		}
		checkSource(c, where, call.Source)
		for _, cat := range call.Categories {
			if !categories[cat] {
				c.Add(where, "funding.error.unknown_category", cat, call.ID)
			}
		}
		if len(call.Categories) == 0 && blank(call.CategoriesNote) {
			c.Add(where, "funding.error.no_category", call.ID)
		}
		checkAmount(c, where+" envelope", call.Amounts.Envelope)
		checkAmount(c, where+" ceiling", call.Amounts.Ceiling)
		call.checkPhases(c, where)
	}
}

// check validates a domain's aims, prerequisites, objectives and withheld parts.
func (d Domain) check(c *problem.Checks, where string) {
	for i, a := range d.Aims {
		at := fmt.Sprintf("%s aim %d", where, i+1)
		if blank(a.Title) {
			c.Add(at, "funding.error.required", "title")
		}
		checkRule(c, at, a.Rule, a.Title)
		checkSource(c, at, a.Source)
	}
	seen := map[string]bool{}
	all := append(slices.Clip(d.Prerequisites), d.Objectives...)
	for _, o := range all {
		at := where + " " + o.Key()
		if !codePattern.MatchString(o.Code) || seen[o.Key()] {
			c.Add(at, "funding.error.duplicate_code", o.Code)
		}
		// A sub-objective (O1.A) comes after its objective (O1) in the same year.
		if parent, _, ok := strings.Cut(o.Code, "."); ok && !isNumber(parent) {
			if p := (Objective{Code: parent, Year: o.Year}); !seen[p.Key()] {
				c.Add(at, "funding.error.parent", o.Code, parent)
			}
		}
		seen[o.Key()] = true
		if o.Year != 0 && (o.Year < 2023 || o.Year > 2100) {
			c.Add(at, "funding.error.year", o.Year)
		}
		if blank(o.Title) {
			c.Add(at, "funding.error.required", "title")
		}
		checkRule(c, at, o.Rule, o.Code)
		checkSource(c, at, o.Source)
	}
	for _, w := range d.Withheld {
		at := where + " withheld " + w.Subject
		if !slices.Contains(withheldSubjects, w.Subject) {
			c.Add(at, "funding.error.withheld_subject", w.Subject, strings.Join(withheldSubjects, ", "))
		}
		if blank(w.Note) {
			c.Add(at, "funding.error.note", w.Subject)
		}
		checkSource(c, at, w.Source)
	}
}

// checkPhases validates a call's phases: known names, in the programme's order,
// each at most once; well-formed dates; a phase that starts after it ends, or an
// earlier phase that ends or starts after a later one ends, is out of order (a
// later phase may start before an earlier one ends: the ARS instruct while the
// candidature is open, and the operational phase of Domaine 2 opens with the
// arrêté, before the candidature). A date left empty needs a note saying why.
func (call Call) checkPhases(c *problem.Checks, where string) {
	last := -1
	type span struct {
		name     string
		from, to string
	}
	var known []span
	for _, ph := range call.Phases {
		at := where + " " + ph.Name
		i := slices.Index(PhaseNames, ph.Name)
		switch {
		case i < 0:
			c.Add(at, "funding.error.phase", ph.Name, strings.Join(PhaseNames, ", "))
			continue
		case i <= last:
			c.Add(at, "funding.error.phase_order", ph.Name, call.ID)
		}
		last = max(last, i)
		from, fromOK := parseDay(ph.From)
		to, toOK := parseDay(ph.To)
		if ph.From != "" && !fromOK {
			c.Add(at, "funding.error.date", ph.From)
		}
		if ph.To != "" && !toOK {
			c.Add(at, "funding.error.date", ph.To)
		}
		if fromOK && toOK && to.Before(from) {
			c.Add(at, "funding.error.phase_dates", ph.Name, ph.From, ph.To)
		}
		if (ph.From == "" || ph.To == "") && blank(ph.Note) {
			c.Add(at, "funding.error.unknown_date", ph.Name)
		}
		if ph.From != "" || ph.To != "" {
			checkSource(c, at, ph.Source)
		}
		s := span{name: ph.Name}
		if fromOK {
			s.from = ph.From
		}
		if toOK {
			s.to = ph.To
		}
		// Dates in YYYY-MM-DD compare as strings.
		for _, earlier := range known {
			if s.to != "" && (earlier.to > s.to || earlier.from > s.to) {
				c.Add(at, "funding.error.phase_order", ph.Name, call.ID)
				break
			}
		}
		known = append(known, s)
	}
}

func checkRule(c *problem.Checks, where, rule, what string) {
	if rule != "" && !slices.Contains(Rules, rule) {
		c.Add(where, "funding.error.rule", rule, what, strings.Join(Rules, ", "))
	}
}

func checkAmount(c *problem.Checks, where string, a Amount) {
	switch {
	case a.IsPublic() && a.EUR == nil:
		c.Add(where, "funding.error.amount_missing")
	case a.IsPublic() && *a.EUR < 0:
		c.Add(where, "funding.error.amount_negative", *a.EUR)
	case !a.IsPublic() && a.EUR != nil:
		c.Add(where, "funding.error.amount_withheld")
	case !a.IsPublic() && blank(a.Note):
		c.Add(where, "funding.error.note", where)
	}
	checkSource(c, where, a.Source)
}

// checkSource requires the source address every fact carries.
func checkSource(c *problem.Checks, where, source string) {
	if !strings.HasPrefix(source, "https://") || strings.ContainsAny(source, " \t\n") {
		c.Add(where+" source", "funding.error.source", where)
	}
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// Shipped returns the programme shipped in the binary and its text.
func Shipped() (Programme, []byte, error) {
	data, err := shipped.ReadFile(ShippedFile)
	if err != nil {
		return Programme{}, nil, err
	}
	p, err := ParseProgramme(data)
	if err != nil {
		return p, data, fmt.Errorf("funding: %s: %w", ShippedFile, err)
	}
	return p, data, nil
}
