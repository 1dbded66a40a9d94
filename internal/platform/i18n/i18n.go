// Package i18n holds the message catalogues, French first and English second, one
// JSON file per language with the same keys (a test checks it).
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Lang is a supported language code.
type Lang string

const (
	FR Lang = "fr"
	EN Lang = "en"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{FR, EN}

var catalogues = map[Lang]map[string]string{}

func init() {
	for _, l := range Langs {
		b, err := files.ReadFile("locales/" + string(l) + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n: locales/%s.json: %v", l, err))
		}
		catalogues[l] = m
	}
}

// Keys returns the message keys of language l.
func Keys(l Lang) []string {
	keys := make([]string, 0, len(catalogues[l]))
	for k := range catalogues[l] {
		keys = append(keys, k)
	}
	return keys
}

// Parse returns the supported language named s, and false when it is none.
func Parse(s string) (Lang, bool) {
	for _, l := range Langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	return FR, false
}

// T translates key in language l; args fill the message's verbs (fmt style).
// An unknown key shows itself, so that a missing message is visible and not silent.
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalogues[l][key]
	if !ok {
		msg, ok = catalogues[FR][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// N translates key for a count n, in the plural form that n takes in language l:
// key+".one" for the singular when the catalogue has it, key otherwise. French puts 0
// and 1 in the singular ("0 entrée", "1 entrée"), English only 1 (CLDR plural rules,
// https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
// n is the message's first argument; args follow it.
func (l Lang) N(key string, n int, args ...any) string {
	all := append([]any{n}, args...)
	if singular(l, n) {
		if _, ok := catalogues[l][key+".one"]; ok {
			return l.T(key+".one", all...)
		}
	}
	return l.T(key, all...)
}

func singular(l Lang, n int) bool {
	if l == EN {
		return n == 1
	}
	return n == 0 || n == 1
}

// Decimal writes f with at most digits decimals (trailing zeros dropped; -1: as many
// as needed), with the decimal separator of language l: a comma in French ("62,5"),
// a point in English (Imprimerie nationale, Lexique des règles typographiques).
func (l Lang) Decimal(f float64, digits int) string {
	s := strconv.FormatFloat(f, 'f', digits, 64)
	if digits > 0 && strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if l != EN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// ParseDecimal reads a number typed with a decimal comma or a decimal point, spaces
// (thousands separators) ignored.
func ParseDecimal(s string) (float64, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	return strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
}

var matcher = language.NewMatcher([]language.Tag{language.French, language.English})

// FromRequest picks the language: the "lang" cookie if set, then Accept-Language, then French.
func FromRequest(r *http.Request) Lang {
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return FR
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return FR
	}
	return Langs[idx]
}
