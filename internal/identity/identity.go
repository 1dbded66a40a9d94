// Package identity is who an OpenID Provider says a person is: the providers
// configured for the instance (--oidc-config), the authorisation-code flow with
// PKCE, state and nonce against them, the verification of what comes back (ID
// token, signed or plain userinfo), and the reading of its claims — the
// Pro Santé Connect profile's national identifier and profession, and the eIDAS
// level of the authentication.
//
// It knows nothing of accounts or sessions: internal/account links the Identity
// it returns to an account and opens the session. Kept apart because it is the
// protocol side (and its dependency, zitadel/oidc), which the account package's
// rules (linking, policy, audit) should not have to read.
package identity

import (
	"fmt"
	"slices"
	"strings"
)

// Level is an eIDAS assurance level.
type Level string

// Levels, lowest first. Regulation (EU) 2015/1502, annex, 2.2.1: low, substantial
// (at least two authentication factors from different categories), high.
const (
	Low         Level = "low"
	Substantial Level = "substantial"
	High        Level = "high"
)

func (l Level) rank() int {
	switch l {
	case Substantial:
		return 2
	case High:
		return 3
	case Low:
		return 1
	}
	return 0
}

// AtLeast reports whether l reaches min.
func (l Level) AtLeast(min Level) bool { return l.rank() >= min.rank() }

// Identity is a person as a provider vouched for them, after every check.
type Identity struct {
	Provider      string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// ProfessionalID is the national identifier of a health professional (RPPS,
	// formerly ADELI) for the psc profile.
	ProfessionalID string
	Profession     string
	ACR            string
	AMR            []string
	Level          Level
}

// LevelOf is the eIDAS level a provider asserts: the higher of what its acr
// claim names and what its amr methods amount to (both are the provider's word;
// a provider that sends neither gets low).
func LevelOf(acr string, amr []string) Level {
	a, m := levelFromACR(acr), levelFromAMR(amr)
	if m.rank() > a.rank() {
		a = m
	}
	if a == "" {
		return Low
	}
	return a
}

// levelFromACR reads the two public spellings of eIDAS levels: FranceConnect's
// acr values eidas1/eidas2/eidas3 (low, substantial, high), which Pro Santé
// Connect's acr_values=eidas1 follows, and the eIDAS SAML profile's
// http://eidas.europa.eu/LoA/low|substantial|high URIs.
func levelFromACR(acr string) Level {
	switch strings.TrimSpace(acr) {
	case "eidas1", "http://eidas.europa.eu/LoA/low":
		return Low
	case "eidas2", "http://eidas.europa.eu/LoA/substantial":
		return Substantial
	case "eidas3", "http://eidas.europa.eu/LoA/high":
		return High
	}
	return ""
}

// Factor categories of the amr values of RFC 8176 §2.
var (
	knowledge  = []string{"pwd", "pin", "kba"}
	possession = []string{"otp", "sms", "tel", "swk", "hwk", "sc"}
	inherence  = []string{"fpt", "face", "iris", "retina", "vbm"}
)

// levelFromAMR: a smart card with its PIN is eIDAS high (ANSSI's example for
// the high level; the CPS card); two factors from different categories, or a
// provider's own "mfa", are substantial (Regulation (EU) 2015/1502, annex 2.2.1;
// RFC 8176 "mfa"); one factor is low. Pro Santé Connect's delegation example
// (Okta) maps [swk, mfa, pwd] to substantial and [sc, pin, mfa, hwk] to high.
func levelFromAMR(amr []string) Level {
	if len(amr) == 0 {
		return ""
	}
	has := func(v string) bool { return slices.Contains(amr, v) }
	if has("sc") && has("pin") {
		return High
	}
	categories := 0
	for _, c := range [][]string{knowledge, possession, inherence} {
		if slices.ContainsFunc(c, has) {
			categories++
		}
	}
	if has("mfa") || categories >= 2 {
		return Substantial
	}
	return Low
}

// fromClaims reads an Identity out of the merged claims of the ID token and the
// userinfo answer.
func fromClaims(provider, profile string, c map[string]any) (Identity, error) {
	id := Identity{Provider: provider, Subject: str(c["sub"]), Email: strings.ToLower(strings.TrimSpace(str(c["email"]))),
		EmailVerified: truth(c["email_verified"]), ACR: str(c["acr"]), AMR: strs(c["amr"])}
	if id.Subject == "" {
		return Identity{}, fmt.Errorf("no sub claim")
	}
	id.Name = str(c["name"])
	if id.Name == "" {
		id.Name = strings.TrimSpace(str(c["given_name"]) + " " + str(c["family_name"]))
	}
	if profile == PSC {
		id.ProfessionalID, id.Profession = pscProfessional(c)
	}
	id.Level = LevelOf(id.ACR, id.AMR)
	return id, nil
}

// pscProfessional reads Pro Santé Connect's sectoral claims. The ANS's UserInfo
// description sits in its integrators' space (an account is needed) and could not
// be read here: the names follow the public integration examples (LemonLDAP::NG's
// Pro Santé Connect page, the DNUM-SocialGouv documentation): SubjectNameID for
// the national identifier (preferred_username carries it too), and the first
// exercice of SubjectRefPro for the profession code. To check in the sandbox.
func pscProfessional(c map[string]any) (string, string) {
	national := str(c["SubjectNameID"])
	if national == "" {
		national = str(c["preferred_username"])
	}
	profession := ""
	if ref, ok := c["SubjectRefPro"].(map[string]any); ok {
		if ex, ok := ref["exercices"].([]any); ok && len(ex) > 0 {
			if first, ok := ex[0].(map[string]any); ok {
				profession = str(first["codeProfession"])
			}
		}
	}
	return strings.TrimSpace(national), profession
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// truth reads a boolean claim, which some providers send as a string.
func truth(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

func strs(v any) []string {
	switch l := v.(type) {
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return strings.Fields(l)
	}
	return nil
}
