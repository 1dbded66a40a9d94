package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eIDAS levels from what providers send. Regulation (EU) 2015/1502, annex 2.2.1:
// substantial needs two factors from different categories; a smart card and its
// PIN is high (ANSSI's example; Pro Santé Connect's CPS card, and its
// delegation example [sc, pin, mfa, hwk] → high, [swk, mfa, pwd] → substantial);
// FranceConnect's eidas1/2/3 and the eIDAS LoA URIs name the level outright.
func TestLevelOf(t *testing.T) {
	for _, c := range []struct {
		acr  string
		amr  []string
		want Level
	}{
		{"", nil, Low},
		{"", []string{"pwd"}, Low},
		{"", []string{"pwd", "pin"}, Low}, // two factors, one category
		{"", []string{"pwd", "otp"}, Substantial},
		{"", []string{"hwk", "fpt"}, Substantial},
		{"", []string{"swk", "mfa", "pwd"}, Substantial},
		{"", []string{"mfa"}, Substantial},
		{"", []string{"sc", "pin", "mfa", "hwk"}, High},
		{"", []string{"sc"}, Low},
		{"eidas1", nil, Low},
		{"eidas2", []string{"pwd"}, Substantial},
		{"eidas3", nil, High},
		{"eidas1", []string{"sc", "pin"}, High},
		{"http://eidas.europa.eu/LoA/substantial", nil, Substantial},
		{"http://eidas.europa.eu/LoA/high", []string{"pwd"}, High},
		{"urn:unknown", []string{"pwd"}, Low},
	} {
		if got := LevelOf(c.acr, c.amr); got != c.want {
			t.Errorf("acr %q amr %v: %s, want %s", c.acr, c.amr, got, c.want)
		}
	}
	if !High.AtLeast(Substantial) || Low.AtLeast(Substantial) || !Substantial.AtLeast(Substantial) {
		t.Error("AtLeast does not order the levels")
	}
}

// Pro Santé Connect's sectoral claims give the national identifier and the
// profession; a generic provider's same claims are not read as such.
func TestProSanteConnectClaims(t *testing.T) {
	claims := map[string]any{"sub": "f:1:ANS", "SubjectNameID": "810002345678", "given_name": "Anne", "family_name": "Martin",
		"SubjectRefPro": map[string]any{"exercices": []any{map[string]any{"codeProfession": "10"}}}, "acr": "eidas1", "amr": []any{"sc", "pin"}}
	who, err := fromClaims("psc", PSC, claims)
	if err != nil {
		t.Fatal(err)
	}
	if who.ProfessionalID != "810002345678" || who.Profession != "10" || who.Name != "Anne Martin" || who.Level != High {
		t.Errorf("psc: %+v", who)
	}
	if who, _ := fromClaims("x", Generic, claims); who.ProfessionalID != "" {
		t.Errorf("a generic provider's claims gave a national identifier: %+v", who)
	}
	if _, err := fromClaims("x", Generic, map[string]any{"email": "a@b.c"}); err == nil {
		t.Error("claims without sub accepted")
	}
}

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := "providers:\n  - id: psc\n    name: Pro Santé Connect\n    issuer: https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet\n    client_id: care\n    client_secret_file: secret\n    profile: psc\n" +
		"  - id: local\n    name: Établissement\n    issuer: http://127.0.0.1:9998\n    client_id: care\n"
	c, err := ParseConfig([]byte(good), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 2 || c.Providers[0].secret != "s3cret" || strings.Join(c.Providers[0].Scopes, " ") != "openid scope_all" ||
		c.Providers[1].Profile != Generic || strings.Join(c.Providers[1].Scopes, " ") != "openid email profile" {
		t.Errorf("parsed: %+v", c.Providers)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n    clientsecret: y\n", "line 6: field clientsecret not found"},
		{"providers:\n  - id: a\n    name: A\n    issuer: http://idp.example\n    client_id: x\n", "HTTPS is required outside loopback"},
		{"providers:\n  - id: a\n    name: A\n    issuer: http://10.0.0.5\n    client_id: x\n", "HTTPS is required outside loopback"},
		{"providers:\n  - id: A b\n    name: A\n    issuer: https://a.example\n    client_id: x\n", "id: lower-case"},
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n    profile: saml\n", `profile "saml"`},
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n    client_secret_file: missing\n", "client_secret_file"},
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n    tls_client_cert_file: c.pem\n", "go together"},
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n    scopes: [email]\n", "openid"},
		{"providers:\n  - id: a\n    name: A\n    issuer: https://a.example\n    client_id: x\n  - id: a\n    name: B\n    issuer: https://b.example\n    client_id: y\n", "given twice"},
		{"providers: []\n", "no provider"},
	} {
		if _, err := ParseConfig([]byte(bad.yaml), dir); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
