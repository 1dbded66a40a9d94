// Package catalogue is the catalogue of cyber offers open to health and
// medico-social structures (ANSSI, ANS and CERT Santé, GRADeS, purchasing
// centrals…), the offers recommended to an establishment from its weakest
// maturity themes and open findings, and awareness: the campaign material
// library and the share of staff trained per establishment.
//
// The ANS publishes a "catalogue des offres cyber" for ES and ESMS
// (https://esante.gouv.fr/securite/cybersecurite); its columns and taxonomy
// are not public, so the model follows the reference note's modelling
// proposal: provider, provider type, themes, audience, region, cost model,
// link, contact.
package catalogue

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"care/internal/platform/problem"
)

// Themes are the five themes of the catalogue, in their order: prevent,
// control, detect, respond, rebuild (issue 16; the ANS catalogue's own
// taxonomy is not public).
var Themes = []string{"prevenir", "controler", "detecter", "reagir", "reconstruire"}

// ProviderTypes are who offers: the national agencies, CERT Santé, the
// regional e-health operators (GRADeS), purchasing centrals, others (ARS,
// Cybermalveillance, regional CSIRT, training funds…).
var ProviderTypes = []string{"anssi", "ans", "cert_sante", "grades", "purchasing_central", "other"}

// Audiences are the structures an offer is open to: health establishments
// (ES), social and medico-social ones (ESSMS), hospital groups (GHT).
var Audiences = []string{"es", "essms", "ght"}

// Costs are the cost models of the reference note (A.1): free, provider fees,
// bought through a central's contract, a subsidy to the establishment, a
// membership or contract with a GRADeS; unknown when the source does not say.
var Costs = []string{"free", "paid", "central_contract", "subsidy", "membership", "unknown"}

// Offer is one entry of the catalogue.
type Offer struct {
	ID           int64
	Ref          string // the key of a shipped offer; empty for the others
	Title        string
	Provider     string
	ProviderType string
	Themes       []string
	Audience     []string
	Region       string // a region code of the tree; empty: national
	Cost         string
	URL          string
	Contact      string
	Description  string
	Shipped      bool
}

// Limits of an offer's text fields, in characters.
const (
	maxTitle       = 200
	maxProvider    = 200
	maxURL         = 2000
	maxContact     = 300
	maxDescription = 4000
	maxRegion      = 20
)

// Check validates an offer whole, trimming its text; field names each fault's
// field (a form's field, or an import's row).
func (o *Offer) Check(c *problem.Checks, field func(string) string) {
	o.Title, o.Provider = strings.TrimSpace(o.Title), strings.TrimSpace(o.Provider)
	o.URL, o.Contact = strings.TrimSpace(o.URL), strings.TrimSpace(o.Contact)
	o.Description, o.Region = strings.TrimSpace(o.Description), strings.TrimSpace(o.Region)
	text := func(name, v string, maxLen int, required bool) {
		switch {
		case required && v == "":
			c.Add(field(name), "catalogue.error.required")
		case utf8.RuneCountInString(v) > maxLen:
			c.Add(field(name), "catalogue.error.too_long", maxLen)
		}
	}
	text("title", o.Title, maxTitle, true)
	text("provider", o.Provider, maxProvider, true)
	text("contact", o.Contact, maxContact, false)
	text("description", o.Description, maxDescription, true)
	text("region", o.Region, maxRegion, false)
	if !slices.Contains(ProviderTypes, o.ProviderType) {
		c.Add(field("provider_type"), "catalogue.error.provider_type", o.ProviderType)
	}
	if !slices.Contains(Costs, o.Cost) {
		c.Add(field("cost"), "catalogue.error.cost", o.Cost)
	}
	checkList(c, field("themes"), o.Themes, Themes, "catalogue.error.theme", "catalogue.error.no_theme")
	checkList(c, field("audience"), o.Audience, Audiences, "catalogue.error.audience", "catalogue.error.no_audience")
	o.Themes, o.Audience = ordered(o.Themes, Themes), ordered(o.Audience, Audiences)
	if u, err := url.Parse(o.URL); o.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.Add(field("url"), "catalogue.error.url")
	} else if len(o.URL) > maxURL {
		c.Add(field("url"), "catalogue.error.too_long", maxURL)
	}
}

// checkList refuses an unknown value and an empty list.
func checkList(c *problem.Checks, field string, got, known []string, unknownKey, emptyKey string) {
	if len(got) == 0 {
		c.Add(field, emptyKey)
	}
	for _, v := range got {
		if !slices.Contains(known, v) {
			c.Add(field, unknownKey, v)
		}
	}
}

// ordered is list without duplicates, in the order of known.
func ordered(list, known []string) []string {
	var out []string
	for _, k := range known {
		if slices.Contains(list, k) {
			out = append(out, k)
		}
	}
	return out
}

// Fold makes text comparable for search: lower case, accents removed, every
// run of characters other than letters and digits as one space. Both engines
// search the folded text (PostgreSQL's unaccent extension is not always
// installed, and SQLite has none), so "SAUVEGARDÉ" finds "sauvegarde".
func Fold(s string) string {
	s = norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	space := true
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r): // combining accents
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// searchText is what the full-text search reads of an offer: its title first
// (the list is ordered on it), then its provider and description.
func (o Offer) searchText() string {
	return Fold(strings.Join([]string{o.Title, o.Provider, o.Description, o.Contact}, " "))
}

// Terms are the folded words of a query, at most 10: each must begin a word of
// the offer (a prefix search, so that "sauvegarde" finds "sauvegardes").
func Terms(q string) []string {
	words := strings.Fields(Fold(q))
	if len(words) > 10 {
		words = words[:10]
	}
	return words
}

// list is how a list column stores values: between commas, ",a,b,".
func list(values []string) string { return "," + strings.Join(values, ",") + "," }

// unlist reads a list column.
func unlist(s string) []string {
	var out []string
	for v := range strings.SplitSeq(strings.Trim(s, ","), ",") {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ParseTheme reads a theme from its id or its label, in any case, with or
// without accents: "Réagir", "REAGIR", "reagir".
func ParseTheme(s string) (string, bool) {
	f := Fold(s)
	if slices.Contains(Themes, f) {
		return f, true
	}
	return "", false
}
