// Package org holds the organisation tree: national → region (ARS) → GHT → legal
// entity (FINESS EJ) → site (FINESS EG). Every other capability hangs its data on a
// node of this tree, and every permission is held at one.
//
// It is also where access to a node is decided, once per request: a capability's
// public service method calls Load(ctx, q, id, need), which reads the node and
// applies authz.Subject.Check (absent, archived or invisible → 404; visible but
// not allowed → 403), and hands the checked node to unexported helpers that do
// not check again. Service.Chooser builds the node selector of a page: a short
// list, or a search by name or FINESS when the caller's scope is large.
package org

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/authz"
	"care/internal/platform/problem"
)

// Level is a node's depth in the tree.
type Level string

const (
	National    Level = authz.LevelNational
	Region      Level = authz.LevelRegion
	GHT         Level = authz.LevelGHT
	LegalEntity Level = authz.LevelLegalEntity
	Site        Level = authz.LevelSite
)

// Levels lists the levels from the root down.
var Levels = []Level{National, Region, GHT, LegalEntity, Site}

// Kind tells a health establishment (ES) from a medico-social one (ESSMS).
type Kind string

const (
	ES    Kind = "ES"
	ESSMS Kind = "ESSMS"
)

// Category is the legal status of an establishment.
type Category string

const (
	Public           Category = "public"
	PriveNonLucratif Category = "prive_non_lucratif"
	PriveLucratif    Category = "prive_lucratif"
)

// Categories lists the categories in display order.
var Categories = []Category{Public, PriveNonLucratif, PriveLucratif}

// Org is one node of the tree.
type Org struct {
	ID             int64
	ParentID       int64 // 0 for the national root
	Path           string
	Level          Level
	Name           string
	Code           string // region code (INSEE) or GHT identifier; empty below
	FINESS         string // for legal entities and sites
	Kind           Kind
	Category       Category
	ActivityWeight float64 // share of activity, for the 66 % coverage rule
	ArchivedAt     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ActivityPercent is the activity share as a percentage, as pages show it.
func (o Org) ActivityPercent() float64 { return o.ActivityWeight * 100 }

// IsEstablishment reports whether the node is a legal entity or a site.
func (o Org) IsEstablishment() bool { return o.Level == LegalEntity || o.Level == Site }

// Archived reports whether the node was archived.
func (o Org) Archived() bool { return o.ArchivedAt != nil }

// Depth is the number of ancestors of the node.
func (o Org) Depth() int { return strings.Count(o.Path, "/") - 2 }

// allowedParents says under which levels each level may hang. An establishment not
// in a GHT hangs directly under its region.
var allowedParents = map[Level][]Level{
	Region:      {National},
	GHT:         {Region},
	LegalEntity: {GHT, Region},
	Site:        {LegalEntity},
}

// CanHangUnder reports whether a node of level child may have a parent of level parent.
func CanHangUnder(child, parent Level) bool { return slices.Contains(allowedParents[child], parent) }

// childLevels lists the levels that may hang under a node of level l.
func childLevels(l Level) []Level {
	var out []Level
	for _, c := range Levels {
		if CanHangUnder(c, l) {
			out = append(out, c)
		}
	}
	return out
}

// Validate checks a node's own fields (not its place in the tree) and returns every
// fault at once.
func (o Org) Validate() error {
	var c problem.Checks
	name := strings.TrimSpace(o.Name)
	switch {
	case name == "":
		c.Add("name", "org.error.name_required")
	case utf8.RuneCountInString(name) > 200:
		c.Add("name", "org.error.name_too_long", 200)
	}
	if !slices.Contains(Levels, o.Level) {
		c.Add("level", "org.error.level_unknown")
	}
	if o.IsEstablishment() {
		if err := CheckFINESS(o.FINESS); err != "" {
			c.Add("finess", err)
		}
		if o.Kind != ES && o.Kind != ESSMS {
			c.Add("kind", "org.error.kind_unknown")
		}
		if !slices.Contains(Categories, o.Category) {
			c.Add("category", "org.error.category_unknown")
		}
	} else if o.FINESS != "" {
		c.Add("finess", "org.error.finess_not_here")
	}
	if o.ActivityWeight < 0 || o.ActivityWeight > 1e9 {
		c.Add("activity_weight", "org.error.weight_range")
	}
	if len(o.Code) > 20 {
		c.Add("code", "org.error.code_too_long", 20)
	}
	return c.Err()
}

// CheckFINESS returns "" when s is a well-formed FINESS number, else the message key
// of the fault. A FINESS number has 9 characters: the département (two digits, or 2A
// / 2B for Corsica), six digits, and a Luhn check digit over the first eight, where
// Corsica's letters count as 0.
func CheckFINESS(s string) string {
	if len(s) != 9 {
		return "org.error.finess_length"
	}
	digits := []byte(s)
	if s[0] == '2' && (s[1] == 'A' || s[1] == 'B') {
		digits[1] = '0'
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return "org.error.finess_chars"
		}
	}
	if luhnKey(string(digits[:8])) != digits[8] {
		return "org.error.finess_key"
	}
	return ""
}

// luhnKey computes the Luhn check digit of a string of digits.
func luhnKey(payload string) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// CompleteFINESS appends the check digit to an eight-character FINESS prefix; it is
// how demo and generated data get numbers that pass validation.
func CompleteFINESS(prefix string) string {
	digits := []byte(prefix)
	if len(digits) > 1 && digits[0] == '2' && (digits[1] == 'A' || digits[1] == 'B') {
		digits[1] = '0'
	}
	return prefix + string(luhnKey(string(digits)))
}

// childPath is the path of node id under parentPath.
func childPath(parentPath string, id int64) string {
	return parentPath + strconv.FormatInt(id, 10) + "/"
}

// PathIDs returns the ids along a path, root first.
func PathIDs(path string) []int64 {
	var ids []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
