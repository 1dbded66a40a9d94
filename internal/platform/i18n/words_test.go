package i18n

import (
	"regexp"
	"strings"
	"testing"
)

// The French catalogue says each thing with one word, the one French readers of
// the programme use (issue 13, point 19):
//   - "courriel" for e-mail, the term the Commission d'enrichissement de la langue
//     française recommends (JO of 20 June 2003), never "e-mail" nor "adresse électronique";
//   - the BIA is "le bilan d'impact sur l'activité": masculine, never "la BIA";
//   - an organisation is a "structure" (rattachée), never a "nœud";
//   - the activity share is a "part d'activité (%)", never a "poids d'activité";
//   - the role is "RSSI de GHT", never "RSSI GHT" nor "RSSI du GHT".
func TestFrenchCatalogueSaysEachThingOneWay(t *testing.T) {
	forbidden := []struct {
		re   *regexp.Regexp
		want string
	}{
		{regexp.MustCompile(`(?i)\be-mails?\b|adresses? électroniques?`), "courriel"},
		{regexp.MustCompile(`(?i)\bemails?\b`), "courriel (the code email only where a message lists the codes a file takes)"},
		{regexp.MustCompile(`(?i)\b(la|une|cette|sa|chaque) BIA\b|\bBIA (faite|remplie|validée)\b|analyses? d'impact`), "le bilan d'impact sur l'activité (BIA), masculine"},
		{regexp.MustCompile(`(?i)n(œ|oe)uds?\b`), "structure, structure rattachée"},
		{regexp.MustCompile(`(?i)poids d'activité`), "part d'activité (%)"},
		{regexp.MustCompile(`(?i)RSSI (du )?GHT`), "RSSI de GHT"},
	}
	codes := map[string]bool{"exercise.error.channel": true} // lists the YAML codes: email, telephone…
	for _, k := range Keys(FR) {
		v := FR.T(k)
		for _, f := range forbidden {
			if m := f.re.FindString(v); m != "" && !(codes[k] && strings.EqualFold(m, "email")) {
				t.Errorf("%s: %q says %q; the catalogue says %s", k, v, m, f.want)
			}
		}
	}
	if got := FR.T("role.rssi_ght"); got != "RSSI de GHT" {
		t.Errorf("role.rssi_ght = %q", got)
	}
}

// A count is written with the noun in the right number: "1 entrée", not "1 entrées".
// Every message that starts with a count followed by a plural noun has a singular
// form (key.one), chosen by Lang.N; messages about limits ("%d caractères au plus")
// count more than one by nature and are listed.
func TestCountsAgreeWithTheirNoun(t *testing.T) {
	countThenPlural := regexp.MustCompile(`(^|[^\w%])%d ([[:alpha:]éèêàç]+s)\b`)
	limits := regexp.MustCompile(`au plus|au moins|dépasse|limite|au-delà|Plus de|Voir la suite|Ligne %d :`)
	for _, k := range Keys(FR) {
		if strings.HasSuffix(k, ".one") {
			continue
		}
		v := FR.T(k)
		if !countThenPlural.MatchString(v) || limits.MatchString(v) {
			continue
		}
		if _, ok := catalogues[FR][k+".one"]; !ok {
			t.Errorf("%s: %q counts without a singular form (%s.one)", k, v, k)
		}
	}
	for _, c := range []struct {
		l    Lang
		n    int
		want string
	}{{FR, 0, "0 entrée"}, {FR, 1, "1 entrée"}, {FR, 2, "2 entrées"}, {EN, 0, "0 entries"}, {EN, 1, "1 entry"}, {EN, 2, "2 entries"}} {
		if got := c.l.N("audit.count", c.n); got != c.want {
			t.Errorf("%s N(audit.count, %d) = %q, want %q", c.l, c.n, got, c.want)
		}
	}
	if got := FR.N("maturity.progress", 1, 12); got != "1 question répondue sur 12" {
		t.Errorf("N with more arguments: %q", got)
	}
	if got := FR.N("no.such.key", 1); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}

// A singular form takes the same arguments as its plural.
func TestSingularFormsTakeTheSameArguments(t *testing.T) {
	for _, l := range Langs {
		for _, k := range Keys(l) {
			if base, ok := strings.CutSuffix(k, ".one"); ok {
				if _, has := catalogues[l][base]; !has {
					t.Errorf("%s: %s without %s", l, k, base)
				} else if strings.Count(l.T(k), "%") != strings.Count(l.T(base), "%") {
					t.Errorf("%s: %s and %s take different arguments", l, k, base)
				}
			}
		}
	}
}

// French writes a decimal comma, English a decimal point; both are read back.
func TestDecimalSeparator(t *testing.T) {
	for _, c := range []struct {
		l      Lang
		f      float64
		digits int
		want   string
	}{{FR, 62.5, 2, "62,5"}, {FR, 0.62 * 100, 2, "62"}, {EN, 62.5, 2, "62.5"}, {FR, 2, 1, "2"}, {FR, 2.25, 1, "2,2"}, {FR, 0, 2, "0"}} {
		if got := c.l.Decimal(c.f, c.digits); got != c.want {
			t.Errorf("%s Decimal(%v, %d) = %q, want %q", c.l, c.f, c.digits, got, c.want)
		}
	}
	for in, want := range map[string]float64{"62,5": 62.5, "62.5": 62.5, " 1 000,5 ": 1000.5, "1\u202f000": 1000} {
		if got, err := ParseDecimal(in); err != nil || got != want {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDecimal("6,2,5"); err == nil {
		t.Error("6,2,5 was read as a number")
	}
}

// The product says it is not a tool of the ANS, in both languages.
func TestNoticeSaysCaReIsNotAnANSTool(t *testing.T) {
	for _, k := range []string{"layout.notice", "docs.notice"} {
		if v := FR.T(k); !strings.Contains(v, "ni édité ni validé par l'Agence du numérique en santé (ANS)") {
			t.Errorf("fr %s = %q", k, v)
		}
		if v := EN.T(k); !strings.Contains(v, "neither published nor endorsed by the Agence du numérique en santé (ANS)") {
			t.Errorf("en %s = %q", k, v)
		}
	}
}

// Role descriptions promise only what the platform does: it has no candidatures
// or funding workflow, no passkeys and no single sign-on yet (the programme page
// /financement/programme does exist; incident declarations do, internal/incident).
func TestRoleDescriptionsPromiseOnlyWhatExists(t *testing.T) {
	absent := regexp.MustCompile(`(?i)candidature|preuve|signe|catalogue|passkey|clé d'accès|OIDC|SSO|evidence|signs`)
	for _, l := range Langs {
		for _, k := range Keys(l) {
			if strings.HasPrefix(k, "role_desc.") {
				if m := absent.FindString(l.T(k)); m != "" {
					t.Errorf("%s %s = %q promises %q, which the platform does not have", l, k, l.T(k), m)
				}
			}
		}
	}
}
