package directory

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"care/internal/platform/problem"
)

// A real Samba AD domain controller on loopback (scripts/samba-ad.sh): the tests
// seed one misconfiguration per checkpoint, audit, repair, audit again.

const (
	sambaAuditor  = "auditor@care.test"
	sambaPassword = "Passw0rd!User1"
)

type samba struct {
	dir string
	ca  []byte
}

func startSamba(t *testing.T) *samba {
	t.Helper()
	if _, err := exec.LookPath("samba"); err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs Samba and root for the directory tests (scripts/samba-ad.sh --install)")
		}
		t.Skip("Samba AD DC not installed or not root")
	}
	dir, err := os.MkdirTemp("", "care-ad-") // short: Samba's socket paths must fit
	if err != nil {
		t.Fatal(err)
	}
	s := &samba{dir: dir}
	t.Cleanup(func() {
		s.script(t, "down")
		os.RemoveAll(dir)
	})
	s.script(t, "up")
	if s.ca, err = os.ReadFile(filepath.Join(dir, "private/tls/ca.pem")); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *samba) script(t *testing.T, stage string) {
	t.Helper()
	out, err := exec.Command("bash", "../../scripts/samba-ad.sh", stage, s.dir).CombinedOutput()
	if err != nil {
		t.Fatalf("samba-ad.sh %s: %v\n%s", stage, err, out)
	}
}

func (s *samba) config() Config {
	return Config{URL: "ldaps://127.0.0.1", BindDN: sambaAuditor, Password: sambaPassword, CAPEM: s.ca}
}

// usn is the directory's highest committed update number: it moves on every write.
func (s *samba) usn(t *testing.T) string {
	t.Helper()
	c, err := ldap.DialURL("ldap://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"highestCommittedUSN"}, nil))
	if err != nil || len(res.Entries) == 0 {
		t.Fatal(err)
	}
	return res.Entries[0].GetAttributeValue("highestCommittedUSN")
}

func failing(ev Evaluation) []string {
	var ids []string
	for _, r := range ev.Checks {
		if r.Status == Fail {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func result(ev Evaluation, id string) Result {
	for _, r := range ev.Checks {
		if r.ID == id {
			return r
		}
	}
	return Result{}
}

func refusedWith(t *testing.T, err error, key string) {
	t.Helper()
	e, ok := problem.As(err)
	if !ok || len(e.Fields) == 0 || e.Fields[0].Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

func TestSambaDirectory(t *testing.T) {
	dc := startSamba(t)
	ctx := context.Background()

	t.Run("bad input is refused with its reason", func(t *testing.T) {
		cfg := dc.config()
		cfg.URL = "ldaps://127.0.0.1:1"
		_, err := Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.unreachable")

		cfg = dc.config()
		cfg.Password = "wrong"
		_, err = Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.credentials")

		cfg = dc.config()
		cfg.URL = "ldaps://localhost" // the certificate names dc1.care.test and 127.0.0.1 only
		_, err = Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.certificate_name")

		cfg = dc.config()
		cfg.CAPEM = nil // self-signed: unknown to the system roots
		_, err = Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.certificate")

		cfg = dc.config()
		cfg.URL = "ldap://127.0.0.1"
		_, err = Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.plain")
	})

	t.Run("plain LDAP only when asked, StartTLS and skip-verify work", func(t *testing.T) {
		for _, cfg := range []Config{
			{URL: "ldap://127.0.0.1", BindDN: sambaAuditor, Password: sambaPassword, AllowPlain: true},
			{URL: "ldap://127.0.0.1", BindDN: sambaAuditor, Password: sambaPassword, StartTLS: true, CAPEM: dc.ca},
			{URL: "ldaps://127.0.0.1:636", BindDN: sambaAuditor, Password: sambaPassword, InsecureSkipVerify: true},
		} {
			snap, err := Collect(ctx, cfg)
			if err != nil {
				t.Fatalf("%s: %v", cfg.URL, err)
			}
			if snap.Domain.DNSName != "care.test" || snap.BaseDN != "DC=care,DC=test" || len(snap.Objects) < 10 {
				t.Fatalf("%s: snapshot %s %s %d objects", cfg.URL, snap.Domain.DNSName, snap.BaseDN, len(snap.Objects))
			}
		}
	})

	dc.script(t, "seed")
	before := dc.usn(t)
	snap, err := Collect(ctx, dc.config())
	if err != nil {
		t.Fatal(err)
	}
	if after := dc.usn(t); after != before {
		t.Fatalf("the collection wrote to the directory: USN %s → %s", before, after)
	}
	first := Evaluate(snap)

	t.Run("every seeded misconfiguration fails", func(t *testing.T) {
		passing := []string{"vuln3_functional_level", "vuln4_functional_level", "vuln2_trusts_accounts"}
		var want []string
		for _, id := range CheckpointIDs() {
			if !slices.Contains(passing, id) && id != "vuln4_smartcard_expire_passwords" {
				want = append(want, id)
			}
		}
		if got := failing(first); !slices.Equal(got, want) {
			t.Fatalf("failing %v\nwant %v", got, want)
		}
		if first.Level != 1 {
			t.Fatalf("level %d", first.Level)
		}
		for id, object := range map[string]string{
			"vuln1_spn_priv":                   "CN=svc_sql,OU=Lab",
			"vuln1_delegation_t2a4d":           "CN=SRV02,OU=Lab,DC=care,DC=test → cifs/dc1.care.test",
			"vuln1_delegation_sourcedeleg":     "CN=DC1,OU=Domain Controllers,DC=care,DC=test ← CN=SRV02",
			"vuln1_permissions_naming_context": "CN=dcsync_user,OU=Lab",
			"vuln1_permissions_adminsdholder":  "CN=helpdesk_user,OU=Lab",
			"vuln3_owner":                      "CN=Domain Admins,CN=Users,DC=care,DC=test ← CN=helpdesk_user",
			"vuln3_sd_failed_sd_read_on_priv":  "CN=rev_admin,OU=Lab",
			"vuln2_compatible_2000_anonymous":  "CN=Anonymous Logon",
			"vuln1_primary_group_id_1000":      "CN=pg_admin,OU=Lab",
			"vuln2_sidhistory_dangerous":       "CN=sid_user,OU=Lab",
			"vuln2_privileged_members":         "CN=opadm51,OU=Lab",
			"vuln1_trusts_forest_sidhistory":   "CN=forest.example,CN=System",
		} {
			if r := result(first, id); !slices.ContainsFunc(r.Objects, func(o string) bool { return strings.Contains(o, object) }) {
				t.Errorf("%s: %v does not name %q", id, r.Objects, object)
			}
		}
		if r := result(first, "vuln1_user_accounts_dormant"); len(r.Objects) != 30 {
			t.Errorf("dormant: %d objects, want the 30 seeded", len(r.Objects))
		}
	})

	dc.script(t, "fix")
	cfg := dc.config()
	cfg.URL, cfg.StartTLS = "ldap://127.0.0.1", true
	fixed, err := Collect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second := Evaluate(fixed)

	t.Run("a second audit after the fixes shows them fixed", func(t *testing.T) {
		// Samba 4.17 cannot raise the functional level above 2008 R2: that one stays.
		if got := failing(second); !slices.Equal(got, []string{"vuln1_functional_level"}) {
			t.Fatalf("still failing %v", got)
		}
		for _, r := range second.Checks {
			if r.Status == NA && r.ID != "vuln4_smartcard_expire_passwords" {
				t.Errorf("%s n/a after the fixes", r.ID)
			}
		}
	})
}
