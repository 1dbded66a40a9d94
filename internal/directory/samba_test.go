package directory_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/xuri/excelize/v2"

	"care/internal/directory"
	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/server"
	"care/internal/testkit"
)

// A real Samba AD domain controller on loopback (scripts/samba-ad.sh): the tests
// seed one misconfiguration per checkpoint, audit, repair, audit again.

func config(dc *testkit.SambaDC) directory.Config {
	return directory.Config{URL: "ldaps://127.0.0.1", BindDN: dc.Auditor, Password: dc.Password, CAPEM: dc.CA}
}

// usn is the directory's highest committed update number: it moves on every write.
func usn(t *testing.T) string {
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

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func failing(ev directory.Evaluation) []string {
	var ids []string
	for _, r := range ev.Checks {
		if r.Status == directory.Fail {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func result(ev directory.Evaluation, id string) directory.Result {
	for _, r := range ev.Checks {
		if r.ID == id {
			return r
		}
	}
	return directory.Result{}
}

func refusedWith(t *testing.T, err error, key string) {
	t.Helper()
	e, ok := problem.As(err)
	if !ok || len(e.Fields) == 0 || e.Fields[0].Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

// adminOnly are the checkpoints this DC cannot hold: the objects of the first two
// only privileged accounts may read (DPAPI backup keys, KDS root keys: n/a for the
// unprivileged auditor, on Samba as on Windows), and Samba runs no read-only DC.
// Their rules are tested on snapshots (checks_test.go).
var adminOnly = []string{"vuln1_permissions_dpapi", "vuln1_permissions_gmsa_keys", "vuln2_rodc_priv_revealed"}

func TestSambaDirectory(t *testing.T) {
	dc := testkit.Samba(t)
	ctx := context.Background()
	var logs testkit.LockedBuffer
	key := make([]byte, 32)
	rand.Read(key)
	krb5 := filepath.Join(t.TempDir(), "krb5.conf")
	os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = CARE.TEST\n dns_lookup_realm = false\n dns_lookup_kdc = false\n udp_preference_limit = 1\n"+
		"[realms]\n CARE.TEST = {\n  kdc = 127.0.0.1:88\n }\n"), 0o600)
	withKey := func(c *server.Config) {
		c.SecretKey = key
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}
	withKerberos := func(c *server.Config) { c.KRB5Conf = krb5 }
	// Only the SQLite instance has a Kerberos configuration.
	apps := []*testkit.App{testkit.NewApp(t, testkit.SQLite(t), withKey, withKerberos), testkit.NewApp(t, testkit.Postgres(t), withKey)}
	prevLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prevLog) })

	t.Run("bad input is refused with its reason", func(t *testing.T) {
		cfg := config(dc)
		cfg.URL = "ldaps://127.0.0.1:1"
		_, err := directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.unreachable")

		cfg = config(dc)
		cfg.Password = "wrong"
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.credentials")

		cfg = config(dc)
		cfg.URL = "ldaps://localhost" // the certificate names dc1.care.test and 127.0.0.1 only
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.certificate_name")

		cfg = config(dc)
		cfg.CAPEM = nil // self-signed: unknown to the system roots
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.certificate")

		cfg = config(dc)
		cfg.URL = "ldap://127.0.0.1"
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.plain")
	})

	t.Run("plain LDAP only when asked, StartTLS and skip-verify work", func(t *testing.T) {
		for _, cfg := range []directory.Config{
			{URL: "ldap://127.0.0.1", BindDN: dc.Auditor, Password: dc.Password, AllowPlain: true},
			{URL: "ldap://127.0.0.1", BindDN: dc.Auditor, Password: dc.Password, StartTLS: true, CAPEM: dc.CA},
			{URL: "ldaps://127.0.0.1:636", BindDN: dc.Auditor, Password: dc.Password, InsecureSkipVerify: true},
		} {
			snap, err := directory.Collect(ctx, cfg)
			if err != nil {
				t.Fatalf("%s: %v", cfg.URL, err)
			}
			if snap.Domain.DNSName != "care.test" || snap.BaseDN != "DC=care,DC=test" || len(snap.Objects) < 10 {
				t.Fatalf("%s: snapshot %s %s %d objects", cfg.URL, snap.Domain.DNSName, snap.BaseDN, len(snap.Objects))
			}
		}
	})

	t.Run("Kerberos bind over LDAPS", func(t *testing.T) {
		cfg := config(dc)
		cfg.Kerberos, cfg.KRB5Conf, cfg.SPN = true, krb5, "ldap/dc1.care.test"
		snap, err := directory.Collect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Domain.DNSName != "care.test" || len(snap.Objects) < 10 {
			t.Fatalf("snapshot %s, %d objects", snap.Domain.DNSName, len(snap.Objects))
		}
		cfg.Password = "wrong"
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.credentials")
		cfg.Password, cfg.SPN = dc.Password, "ldap/unknown.care.test"
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.spn")
		cfg.BindDN = "CN=auditor,CN=Users,DC=care,DC=test"
		_, err = directory.Collect(ctx, cfg)
		refusedWith(t, err, "directory.error.kerberos_name")
	})

	// Before the seed: Samba's KDC refuses service tickets once the trust objects
	// the seed writes (without trust keys) exist. On another establishment, so that
	// the CH's first audit below is its first.
	t.Run("Kerberos through the API, where the instance has a krb5.conf", func(t *testing.T) {
		cfg := apiConfig(dc)
		cfg["kerberos"], cfg["spn"] = true, "ldap/dc1.care.test"
		var a auditDetail
		clinic := "/api/v1/orgs/" + strconv.FormatInt(apps[0].Org(t, "Clinique des Quatre-Vents").ID, 10)
		if resp := apps[0].API(t, apps[0].Token(t, "admin@demo.care.test"), "POST", clinic+"/directory/audits", cfg, &a); resp.StatusCode != 201 || a.Source != "live" {
			t.Fatalf("%d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		resp := apps[1].API(t, apps[1].Token(t, "dsi@demo.care.test"), "POST", orgPath(t, apps[1])+"/directory/audits", cfg, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "Kerberos") {
			t.Errorf("Kerberos without a krb5.conf: %d %s", resp.StatusCode, body)
		}
	})

	dc.Run(t, "seed")
	before := usn(t)
	snap, err := directory.Collect(ctx, config(dc))
	if err != nil {
		t.Fatal(err)
	}
	if after := usn(t); after != before {
		t.Fatalf("the collection wrote to the directory: USN %s → %s", before, after)
	}
	first := directory.Evaluate(snap)
	seenFailing := map[string]bool{}
	for _, id := range failing(first) {
		seenFailing[id] = true
	}

	t.Run("the streamed collection finds what the in-memory one finds", func(t *testing.T) {
		coll, err := directory.CollectStreamed(ctx, config(dc))
		if err != nil {
			t.Fatal(err)
		}
		defer coll.Close()
		streamed := directory.Evaluate(coll.Snapshot)
		if !slices.Equal(failing(streamed), failing(first)) || streamed.Level != first.Level {
			t.Fatalf("streamed fails %v, in memory %v", failing(streamed), failing(first))
		}
		for _, r := range first.Checks {
			if got := result(streamed, r.ID); !slices.Equal(got.Objects, r.Objects) || got.Status != r.Status {
				t.Errorf("%s: streamed %s %v, in memory %s %v", r.ID, got.Status, got.Objects, r.Status, r.Objects)
			}
		}
		// The file is the in-memory snapshot's: same objects, same descriptors.
		var file bytes.Buffer
		if err := coll.WriteSnapshot(&file, []byte("clé")); err != nil {
			t.Fatal(err)
		}
		back, err := directory.ReadSnapshot(&file, []byte("clé"))
		if err != nil {
			t.Fatal(err)
		}
		back.CollectedAt = snap.CollectedAt
		if want, _ := json.Marshal(snap); !bytes.Equal(mustJSON(t, back), want) {
			t.Fatal("the streamed snapshot file differs from the in-memory snapshot")
		}
	})

	t.Run("every seeded misconfiguration fails", func(t *testing.T) {
		passing := []string{"vuln1_functional_level"} // 2008 R2 is not level 1 for ANSSI
		var want []string
		for _, id := range directory.CheckpointIDs() {
			if !slices.Contains(passing, id) && id != "vuln4_smartcard_expire_passwords" && !slices.Contains(adminOnly, id) {
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
			"vuln1_spn_priv":                                 "CN=svc_sql,OU=Lab",
			"vuln1_delegation_t2a4d":                         "CN=SRV02,OU=Lab,DC=care,DC=test → cifs/dc1.care.test",
			"vuln1_delegation_sourcedeleg":                   "CN=DC1,OU=Domain Controllers,DC=care,DC=test ← CN=SRV02",
			"vuln1_permissions_naming_context":               "CN=dcsync_user,OU=Lab",
			"vuln1_permissions_adminsdholder":                "CN=helpdesk_user,OU=Lab",
			"vuln3_owner":                                    "DC=care,DC=test ← CN=helpdesk_user",
			"vuln1_dsheuristics_bad":                         "fAllowAnonNSPI=1",
			"vuln1_privileged_members":                       "CN=opadm51,OU=Lab",
			"vuln3_dc_crypto":                                "CN=DC1,OU=Domain Controllers",
			"vuln1_adcs_template_auth_enroll_with_name":      "CN=CareUser,CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration,DC=care,DC=test ← CN=Domain Users",
			"vuln1_adcs_template_control":                    "CN=CareWeb,CN=Certificate Templates",
			"vuln1_adcs_control":                             "CN=CA1,CN=Enrollment Services",
			"vuln1_permissions_dc":                           "CN=DC1,OU=Domain Controllers,DC=care,DC=test ← CN=helpdesk_user",
			"vuln1_privileged_members_perm":                  "CN=Domain Admins,CN=Users,DC=care,DC=test ← CN=helpdesk_user",
			"vuln1_permissions_gpo_priv":                     "CN={6AC1786C-016F-11D2-945F-00C04FB984F9}",
			"vuln1_permissions_schema":                       "CN=Schema,CN=Configuration,DC=care,DC=test ← CN=helpdesk_user",
			"vuln1_dnsadmins":                                "CN=helpdesk_user,OU=Lab",
			"vuln1_dc_inconsistent_uac":                      "userAccountControl=0x2000",
			"vuln1_display_specifier":                        `\\helpdesk\tools\resetpw.bat`,
			"vuln1_dnszone_bad_prop":                         "(care.test)",
			"vuln1_critical_objects":                         "CN=Schema Admins,CN=Users",
			"vuln2_permissions_naming_context":               "DC=care,DC=test: CN=dcsync_user,OU=Lab,DC=care,DC=test (DS-Replication-Get-Changes)",
			"vuln2_permissions_adminsdholder":                "AdminSDHolder: CN=helpdesk_user",
			"vuln1_permissions_dfsr_sysvol":                  "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,DC=care,DC=test ← CN=helpdesk_user",
			"vuln1_permissions_msdns":                        "CN=MicrosoftDNS,CN=System,DC=care,DC=test ← CN=helpdesk_user",
			"vuln2_permissions_dc":                           "CN=DC1,OU=Domain Controllers,DC=care,DC=test: CN=helpdesk_user",
			"vuln2_privileged_members_perm":                  "CN=Domain Admins,CN=Users,DC=care,DC=test: CN=helpdesk_user",
			"vuln2_permissions_gpo_container_priv":           "OU=Lab,DC=care,DC=test: CN=helpdesk_user,OU=Lab,DC=care,DC=test (gPLink)",
			"vuln1_certificates_vuln":                        "RSA 768 bits (CN=CA1 faible)",
			"vuln2_certificates_vuln":                        "certificat illisible",
			"vuln3_certificates_vuln":                        "RSA 768 bits",
			"vuln2_sysvol_ntfrs":                             "msDFSR-Flags=0",
			"vuln2_password_change_cluster_no_change_3years": "CN=CLUSTER01,OU=Lab",
			"vuln2_password_change_msa_no_change_90":         "CN=msa_app,CN=Managed Service Accounts",
			"vuln3_sd_failed_sd_read_on_priv":                "CN=rev_admin,OU=Lab",
			"vuln2_compatible_2000_anonymous":                "CN=Anonymous Logon",
			"vuln1_primary_group_id_1000":                    "CN=pg_admin,OU=Lab",
			"vuln2_sidhistory_dangerous":                     "CN=sid_user,OU=Lab",
			"vuln2_privileged_members":                       "CN=opadm51,OU=Lab",
			"vuln2_privileged_members_password":              "CN=asrep_admin,OU=Lab,DC=care,DC=test (CN=weak-admins,CN=Password Settings Container,CN=System,DC=care,DC=test: minPwdLength=6, maxPwdAge=never)",
			"vuln1_trusts_forest_sidhistory":                 "CN=forest.example,CN=System",
		} {
			if r := result(first, id); !slices.ContainsFunc(r.Objects, func(o string) bool { return strings.Contains(o, object) }) {
				t.Errorf("%s: %v does not name %q", id, r.Objects, object)
			}
		}
		// the 30 seeded users, SRVOLD and DC1: idle since 2006, passwords of 2006 and 2012
		if r := result(first, "vuln1_user_accounts_dormant"); len(r.Objects) != 32 {
			t.Errorf("dormant: %d objects, want the 30 seeded users, SRVOLD and DC1: %v", len(r.Objects), r.Objects)
		}
	})

	t.Run("functional levels fail ANSSI's levels: 2008 level 1, 2012 R2 level 4, 2016 none", func(t *testing.T) {
		for _, c := range []struct {
			level string
			fail  []string
		}{
			{"3", []string{"vuln1_functional_level", "vuln3_functional_level", "vuln4_functional_level"}},
			{"6", []string{"vuln4_functional_level"}},
			{"7", []string{"vuln4_smartcard_expire_passwords"}},
		} {
			dc.Run(t, "level", c.level)
			snap, err := directory.Collect(ctx, config(dc))
			if err != nil {
				t.Fatal(err)
			}
			ev := directory.Evaluate(snap)
			for _, id := range failing(ev) {
				seenFailing[id] = true
			}
			for _, id := range []string{"vuln1_functional_level", "vuln3_functional_level", "vuln4_functional_level", "vuln4_smartcard_expire_passwords"} {
				if got, want := result(ev, id).Status == directory.Fail, slices.Contains(c.fail, id); got != want {
					t.Errorf("level %s: %s %s", c.level, id, result(ev, id).Status)
				}
			}
		}
		dc.Run(t, "level", "4") // back to the seeded state for the audits below
	})

	for i, app := range apps {
		t.Run([]string{"sqlite", "postgres"}[i]+": first audit through the API", func(t *testing.T) { firstAuditAPI(t, app, dc) })
	}

	dc.Run(t, "fix")
	cfg := config(dc)
	cfg.URL, cfg.StartTLS = "ldap://127.0.0.1", true
	fixed, err := directory.Collect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second := directory.Evaluate(fixed)

	t.Run("a second audit after the fixes shows them fixed", func(t *testing.T) {
		if got := failing(second); len(got) != 0 || second.Level != 5 {
			t.Fatalf("level %d, still failing %v", second.Level, got)
		}
		for _, r := range second.Checks {
			if r.Status == directory.NA && !slices.Contains(adminOnly, r.ID) {
				t.Errorf("%s n/a after the fixes", r.ID)
			}
		}
		// Every checkpoint failed on this directory before passing on it.
		for _, id := range directory.CheckpointIDs() {
			if !seenFailing[id] && !slices.Contains(adminOnly, id) {
				t.Errorf("%s never failed on the seeded directory", id)
			}
		}
	})

	t.Run("sqlite: second audit, live with StartTLS, shows the fixes", func(t *testing.T) {
		app := apps[0]
		cfg := apiConfig(dc)
		cfg["url"], cfg["starttls"] = "ldap://127.0.0.1", true
		var a auditDetail
		if resp := app.API(t, app.Token(t, "dsi@demo.care.test"), "POST", orgPath(t, app)+"/directory/audits", cfg, &a); resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		secondAuditShowsFixes(t, app, a)
	})
	t.Run("postgres: second audit, imported from a sealed snapshot, shows the fixes", func(t *testing.T) {
		app := apps[1]
		token := app.Token(t, "dsi@demo.care.test")
		var k struct {
			ImportKey string `json:"import_key"`
		}
		app.API(t, token, "GET", orgPath(t, app)+"/directory/import-key", nil, &k)
		snap, err := directory.Collect(ctx, config(dc))
		if err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		if err := directory.WriteSnapshot(&file, snap, []byte(k.ImportKey)); err != nil {
			t.Fatal(err)
		}
		before := countAudits(t, app)
		var forged bytes.Buffer
		directory.WriteSnapshot(&forged, snap, []byte("a key guessed by someone else"))
		for name, body := range map[string][]byte{"forged": forged.Bytes(), "truncated": file.Bytes()[:file.Len()-40], "not a snapshot": []byte("PK\x03\x04")} {
			resp := postFile(t, app, token, body)
			if resp.StatusCode != 422 {
				t.Errorf("%s snapshot: %d %s", name, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		if n := countAudits(t, app); n != before {
			t.Fatalf("refused imports stored audits: %d → %d", before, n)
		}
		resp := postFile(t, app, token, file.Bytes())
		if resp.StatusCode != 201 {
			t.Fatalf("import: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var a auditDetail
		json.Unmarshal([]byte(testkit.BodyOf(resp)), &a)
		if a.Source != "import" {
			t.Fatalf("source %q", a.Source)
		}
		secondAuditShowsFixes(t, app, a)
		if resp := postFile(t, app, token, file.Bytes()); resp.StatusCode != 409 && resp.StatusCode != 422 {
			t.Fatalf("same snapshot twice: %d", resp.StatusCode)
		}
		// A renewed key refuses files sealed with the old one.
		var renewed struct {
			ImportKey string `json:"import_key"`
		}
		app.API(t, token, "POST", orgPath(t, app)+"/directory/import-key", nil, &renewed)
		snap.CollectedAt = time.Now().UTC()
		var old bytes.Buffer
		directory.WriteSnapshot(&old, snap, []byte(k.ImportKey))
		if renewed.ImportKey == "" || renewed.ImportKey == k.ImportKey {
			t.Fatalf("renewed key %q", renewed.ImportKey)
		}
		if resp := postFile(t, app, token, old.Bytes()); resp.StatusCode != 422 {
			t.Fatalf("a file sealed with the old key: %d", resp.StatusCode)
		}
	})

	t.Run("scheduled audits keep the password encrypted and never show it", func(t *testing.T) {
		app := apps[0]
		token := app.Token(t, "dsi@demo.care.test")
		src := apiConfig(dc)
		src["every_days"] = 7
		if resp := app.API(t, token, "PUT", orgPath(t, app)+"/directory/source", src, nil); resp.StatusCode != 204 {
			t.Fatalf("%d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		resp := app.API(t, token, "GET", orgPath(t, app)+"/directory/source", nil, nil)
		body := testkit.BodyOf(resp)
		var shown map[string]any
		json.Unmarshal([]byte(body), &shown)
		if strings.Contains(body, dc.Password) || shown["password_stored"] != true {
			t.Fatalf("source shows %s", body)
		}
		var stored []byte
		app.DB.Read.QueryRow("SELECT password_enc FROM directory_sources").Scan(&stored)
		if len(stored) == 0 || bytes.Contains(stored, []byte(dc.Password)) {
			t.Fatalf("password stored as %q", stored)
		}
		before := countAudits(t, app)
		n, err := app.Server.Directory.RunDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("scheduled run: %d %v", n, err)
		}
		if n, _ := app.Server.Directory.RunDue(ctx); n != 0 {
			t.Fatalf("the same schedule ran twice: %d", n)
		}
		var list struct{ Items []struct{ Source string } }
		app.API(t, token, "GET", orgPath(t, app)+"/directory/audits", nil, &list)
		if countAudits(t, app) != before+1 || list.Items[0].Source != "scheduled" {
			t.Fatalf("no scheduled audit: %+v", list.Items)
		}
		// A scheduled audit that fails says why on the page and e-mails whoever set it.
		bad := apiConfig(dc)
		bad["every_days"], bad["password"] = 7, "no longer valid"
		app.API(t, token, "PUT", orgPath(t, app)+"/directory/source", bad, nil)
		app.DB.Write.Exec("UPDATE directory_sources SET next_run_at = $1", db.Now().Add(-time.Minute))
		if n, err := app.Server.Directory.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("failing scheduled run: %d %v", n, err)
		}
		if countAudits(t, app) != before+1 {
			t.Fatal("a failed scheduled audit stored an audit")
		}
		var lastError string
		app.DB.Read.QueryRow("SELECT last_error FROM directory_sources").Scan(&lastError)
		m := app.Mail.Wait(t, 1)
		if !strings.Contains(lastError, "refuse") || m.To[0] != "dsi@demo.care.test" || !strings.Contains(m.Data, "refuse ce compte") ||
			strings.Contains(m.Data, "no longer valid") || strings.Contains(m.Data, dc.Password) {
			t.Fatalf("failure: %q; mail to %s: %s", lastError, m.To, m.Data)
		}

		// Without a secret key, nothing can be scheduled (and so nothing is stored).
		bare := &directory.Service{DB: app.DB, Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		err = bare.SaveSource(testkit.As(t, app, "dsi@demo.care.test"), app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID,
			directory.Source{URL: "ldaps://127.0.0.1", BindDN: dc.Auditor, EveryDays: 7}, dc.Password)
		refusedWith(t, err, "directory.error.no_secret_key")
		// Back to no schedule: the password is erased.
		src["every_days"] = 0
		app.API(t, token, "PUT", orgPath(t, app)+"/directory/source", src, nil)
		stored = nil
		app.DB.Read.QueryRow("SELECT password_enc FROM directory_sources").Scan(&stored)
		if len(stored) != 0 {
			t.Fatal("password kept without a schedule")
		}
	})

	t.Run("the password never reaches logs, the audit trail or exports", func(t *testing.T) {
		for _, app := range apps {
			var trail strings.Builder
			rows, err := app.DB.Read.Query("SELECT changes FROM audit_log")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var c string
				rows.Scan(&c)
				trail.WriteString(c)
			}
			rows.Close()
			if strings.Contains(trail.String(), dc.Password) {
				t.Fatal("password in the audit trail")
			}
			if !strings.Contains(trail.String(), "password_stored") && app == apps[0] {
				t.Fatal("the trail does not say a password was stored")
			}
			var snaps [][]byte
			rows, _ = app.DB.Read.Query("SELECT snapshot FROM directory_audits")
			for rows.Next() {
				var b []byte
				rows.Scan(&b)
				snaps = append(snaps, b)
			}
			rows.Close()
			for _, b := range snaps {
				s, err := directory.Decompress(b)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := json.Marshal(s)
				if bytes.Contains(raw, []byte(dc.Password)) {
					t.Fatal("password in a stored snapshot")
				}
			}
		}
		if l := logs.String(); l == "" || strings.Contains(l, dc.Password) {
			t.Fatal("password in the logs")
		}
	})
}

type auditDetail struct {
	ID     int64  `json:"id"`
	Level  int    `json:"level"`
	Source string `json:"source"`
	Failed int    `json:"failed"`
	Checks []struct {
		ID      string   `json:"id"`
		Level   int      `json:"level"`
		Status  string   `json:"status"`
		Change  string   `json:"change"`
		Objects []string `json:"objects"`
		Title   string   `json:"title"`
	} `json:"checks"`
}

func (a auditDetail) check(id string) (status, change string) {
	for _, c := range a.Checks {
		if c.ID == id {
			return c.Status, c.Change
		}
	}
	return "", ""
}

func apiConfig(dc *testkit.SambaDC) map[string]any {
	return map[string]any{"url": "ldaps://127.0.0.1", "bind_dn": dc.Auditor, "password": dc.Password, "ca_pem": string(dc.CA)}
}

func orgPath(t *testing.T, app *testkit.App) string {
	return "/api/v1/orgs/" + strconv.FormatInt(app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID, 10)
}

func countAudits(t *testing.T, app *testkit.App) int {
	var n int
	if err := app.DB.Read.QueryRow("SELECT COUNT(*) FROM directory_audits WHERE org_id = $1", app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func postFile(t *testing.T, app *testkit.App, token string, body []byte) *http.Response {
	req, _ := http.NewRequest("POST", app.URL+orgPath(t, app)+"/directory/imports", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	return app.Do(t, http.DefaultClient, req)
}

func firstAuditAPI(t *testing.T, app *testkit.App, dc *testkit.SambaDC) {
	dsi := app.Token(t, "dsi@demo.care.test")
	path := orgPath(t, app)

	// Bad input: a clear error, and nothing stored.
	for name, change := range map[string]func(m map[string]any){
		"bad password":     func(m map[string]any) { m["password"] = "nope" },
		"not an LDAP port": func(m map[string]any) { m["url"] = "ldaps://127.0.0.1:22" },
		"unreachable":      func(m map[string]any) { m["url"] = "ldaps://127.0.0.2:636" }, // Samba binds 127.0.0.1 only
		"plain LDAP":       func(m map[string]any) { m["url"] = "ldap://127.0.0.1" },
		"name mismatch":    func(m map[string]any) { m["url"] = "ldaps://localhost" },
		"unknown field":    func(m map[string]any) { m["passwd"] = "x" },
	} {
		cfg := apiConfig(dc)
		change(cfg)
		resp := app.API(t, dsi, "POST", path+"/directory/audits", cfg, nil)
		body := testkit.BodyOf(resp)
		if resp.StatusCode != 422 || strings.Contains(body, dc.Password) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
	if n := countAudits(t, app); n != 0 {
		t.Fatalf("failed audits stored %d rows", n)
	}

	var a auditDetail
	if resp := app.API(t, dsi, "POST", path+"/directory/audits", apiConfig(dc), &a); resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if a.Level != 1 || a.Source != "live" || len(a.Checks) != len(directory.CheckpointIDs()) || a.Failed < 40 {
		t.Fatalf("audit: level %d source %s %d checks %d failed", a.Level, a.Source, len(a.Checks), a.Failed)
	}
	if status, change := a.check("vuln1_spn_priv"); status != "fail" || change != "new" {
		t.Fatalf("spn_priv %s %s", status, change)
	}

	// The spreadsheet: every checkpoint, and the evidence objects on their own sheet.
	client := app.Login(t, "dsi@demo.care.test")
	resp := app.Get(t, client, "/annuaire/audits/"+strconv.FormatInt(a.ID, 10)+"/resultats.xlsx")
	book, err := excelize.OpenReader(strings.NewReader(testkit.BodyOf(resp)))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	checks, _ := book.GetRows("Points de contrôle")
	objects, _ := book.GetRows("Objets")
	if len(checks) != len(directory.CheckpointIDs())+1 || !slices.ContainsFunc(objects, func(r []string) bool {
		return len(r) == 2 && r[0] == "vuln1_spn_priv" && r[1] == "CN=svc_sql,OU=Lab,DC=care,DC=test"
	}) {
		t.Errorf("xlsx: %d checkpoint rows, %d object rows", len(checks), len(objects))
	}
	if strings.Contains(testkit.BodyOf(app.Get(t, client, "/annuaire/audits/"+strconv.FormatInt(a.ID, 10))), dc.Password) {
		t.Error("the audit page shows the password")
	}

	// Who sees what.
	if resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "GET", "/api/v1/directory/audits/"+strconv.FormatInt(a.ID, 10), nil, nil); resp.StatusCode != 404 {
		t.Errorf("neighbour reads the audit: %d", resp.StatusCode)
	}
	if resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", path+"/directory/audits", apiConfig(dc), nil); resp.StatusCode != 404 {
		t.Errorf("neighbour runs an audit: %d", resp.StatusCode)
	}
	ars := app.Token(t, "ars@demo.care.test")
	if resp := app.API(t, ars, "GET", "/api/v1/directory/audits/"+strconv.FormatInt(a.ID, 10), nil, nil); resp.StatusCode != 200 {
		t.Errorf("the ARS does not read the audit: %d", resp.StatusCode)
	}
	if resp := app.API(t, ars, "POST", path+"/directory/audits", apiConfig(dc), nil); resp.StatusCode != 403 {
		t.Errorf("the ARS runs an audit: %d", resp.StatusCode)
	}
	if resp := app.API(t, ars, "GET", path+"/directory/import-key", nil, nil); resp.StatusCode != 403 {
		t.Errorf("the ARS reads the import key: %d", resp.StatusCode)
	}

	// Follow-up of a failed checkpoint.
	if resp := app.API(t, dsi, "PATCH", path+"/directory/checkpoints/vuln1_spn_priv", map[string]string{"owner": "Équipe infra", "due_on": "2027-01-31"}, nil); resp.StatusCode != 204 {
		t.Fatalf("follow-up: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := app.API(t, dsi, "PATCH", path+"/directory/checkpoints/vuln1_spn_priv", map[string]string{"due_on": "31/01/2027"}, nil); resp.StatusCode != 422 {
		t.Errorf("bad due date: %d", resp.StatusCode)
	}
	if resp := app.API(t, dsi, "PATCH", path+"/directory/checkpoints/vuln1_functional_level", map[string]string{"owner": "x"}, nil); resp.StatusCode != 404 {
		t.Errorf("follow-up of a passing checkpoint: %d", resp.StatusCode)
	}
	var level struct {
		Audited bool `json:"audited"`
		Level   int  `json:"level"`
	}
	app.API(t, ars, "GET", path+"/directory/level", nil, &level)
	if !level.Audited || level.Level != 1 {
		t.Errorf("latest level %+v", level)
	}
}

func secondAuditShowsFixes(t *testing.T, app *testkit.App, a auditDetail) {
	t.Helper()
	if status, change := a.check("vuln1_spn_priv"); status != "pass" || change != "fixed" {
		t.Errorf("spn_priv after the fix: %s %s", status, change)
	}
	if status, change := a.check("vuln3_functional_level"); status != "pass" || change != "fixed" {
		t.Errorf("functional level: %s %s", status, change)
	}
	if a.Level != 5 || a.Failed != 0 {
		t.Errorf("after the fixes: level %d, %d failed", a.Level, a.Failed)
	}
	var list struct {
		Items []struct {
			CheckID string `json:"check_id"`
			Status  string `json:"status"`
			Owner   string `json:"owner"`
		} `json:"items"`
	}
	app.API(t, app.Token(t, "dsi@demo.care.test"), "GET", orgPath(t, app)+"/directory/checkpoints", nil, &list)
	open, fixed := 0, 0
	for _, c := range list.Items {
		switch c.Status {
		case "open":
			open++
		case "fixed":
			fixed++
		}
		if c.CheckID == "vuln1_spn_priv" && (c.Status != "fixed" || c.Owner != "Équipe infra") {
			t.Errorf("spn_priv followed as %+v", c)
		}
	}
	if open != 0 || fixed < 45 {
		t.Errorf("after the fixes: %d open, %d fixed", open, fixed)
	}
}
