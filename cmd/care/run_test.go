package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"care/internal/directory"
	"care/internal/testkit"
	"os"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelpAndVersion(t *testing.T) {
	out, _, err := runCmd(t, nil, "help")
	if err != nil || !strings.Contains(out, "user create") || !strings.Contains(out, "token create") {
		t.Errorf("help: %v %q", err, out)
	}
	out, _, err = runCmd(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "care ") {
		t.Errorf("version: %v %q", err, out)
	}
	for _, sub := range [][]string{{"serve", "-h"}, {"migrate", "-h"}, {"user", "create", "-h"}, {"token", "create", "-h"}} {
		_, stderr, err := runCmd(t, nil, sub...)
		if err != nil || !strings.Contains(stderr, "-db") {
			t.Errorf("%v: %v %q", sub, err, stderr)
		}
	}
	if _, _, err := runCmd(t, nil, "frobnicate"); err == nil {
		t.Error("an unknown command succeeded")
	}
}

// The administration commands on both engines: --db for SQLite, the environment
// variable for PostgreSQL.
func TestUserAndTokenCommands(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var args []string
			env := map[string]string{}
			if engine == "sqlite" {
				args = []string{"--db", filepath.Join(t.TempDir(), "care.db")}
			} else {
				env["CARE_DATABASE_URL"] = testkit.PostgresURL(t)
			}
			if out, _, err := runCmd(t, env, append([]string{"migrate"}, args...)...); err != nil || !strings.Contains(out, "base à jour") {
				t.Fatalf("migrate: %v %q", err, out)
			}
			out, _, err := runCmd(t, env, append([]string{"user", "create", "--email", "Chef@Example.org", "--name", "Cheffe", "--role", "admin", "--org", "national"}, args...)...)
			if err != nil || !strings.Contains(out, "chef@example.org") || !strings.Contains(out, "second facteur") {
				t.Fatalf("user create: %v %q", err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if pw := lines[len(lines)-1]; len(pw) != 26 {
				t.Errorf("one-time password %q", pw)
			}
			if _, _, err := runCmd(t, env, append([]string{"user", "create", "--email", "chef@example.org", "--name", "Doublon", "--role", "lecteur", "--org", "national"}, args...)...); err == nil || !strings.Contains(err.Error(), "existe déjà") {
				t.Errorf("duplicate account: %v", err)
			}
			if _, _, err := runCmd(t, env, append([]string{"user", "create", "--email", "x@example.org", "--name", "X", "--role", "chef", "--org", "national"}, args...)...); err == nil || !strings.Contains(err.Error(), "Rôle inconnu") {
				t.Errorf("unknown role: %v", err)
			}
			if _, _, err := runCmd(t, env, append([]string{"user", "create", "--email", "y@example.org", "--name", "Y", "--role", "rssi", "--org", "750712184"}, args...)...); err == nil || !strings.Contains(err.Error(), "introuvable") {
				t.Errorf("unknown FINESS: %v", err)
			}
			// No token for a role that requires a second factor not enrolled yet.
			if _, _, err := runCmd(t, env, append([]string{"token", "create", "--user", "chef@example.org"}, args...)...); err == nil || !strings.Contains(err.Error(), "second facteur") {
				t.Errorf("token for an admin without a second factor: %v", err)
			}
			if _, _, err := runCmd(t, env, append([]string{"user", "create", "--email", "lect@example.org", "--name", "Lecteur", "--role", "lecteur", "--org", "national"}, args...)...); err != nil {
				t.Fatal(err)
			}
			out, _, err = runCmd(t, env, append([]string{"token", "create", "--user", "lect@example.org"}, args...)...)
			lines = strings.Split(strings.TrimSpace(out), "\n")
			if err != nil || !strings.HasPrefix(lines[len(lines)-1], "care_") {
				t.Fatalf("token create: %v %q", err, out)
			}
		})
	}
}

func TestServeAnswersAndStops(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr, "--metrics-addr", metricsAddr, "--db", filepath.Join(t.TempDir(), "care.db")}, func(string) string { return "" }, &out, &errb)
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v", err)
	}
	resp.Body.Close()
	// The metrics listener serves without a token; the main one asks for an admin's.
	if resp, err := http.Get("http://" + metricsAddr + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("metrics listener: %v", err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != 401 {
		t.Errorf("metrics on the main listener without a token: %v", err)
	} else {
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(out.String(), "admin@demo.care.test") || !strings.Contains(out.String(), "demo-care-2026") {
		t.Errorf("the demo accounts were not printed: %q", out.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestScanCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "nginx/1.18.0")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	out, _, err := runCmd(t, nil, "scan", "--target", "127.0.0.1", "--ports", port, "--lab", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	if err := json.Unmarshal([]byte(out), &lines); err != nil || len(lines) == 0 {
		t.Fatalf("json: %v %q", err, out)
	}
	for _, key := range []string{"address", "port", "service", "product", "version", "finding", "severity"} {
		if _, ok := lines[0][key]; !ok {
			t.Errorf("a line lacks %q: %v", key, lines[0])
		}
	}
	found := false
	for _, l := range lines {
		if l["check"] == "http-version-disclosure" && l["product"] == "f5:nginx" && l["version"] == "1.18.0" {
			found = true
		}
	}
	if !found {
		t.Errorf("no version disclosure for nginx/1.18.0: %s", out)
	}
	if _, _, err := runCmd(t, nil, "scan", "--target", "127.0.0.1", "--ports", port); err == nil || !strings.Contains(err.Error(), "mode laboratoire") {
		t.Errorf("loopback without --lab: %v", err)
	}
	for _, args := range [][]string{{"--target", "10.0.0.0/8", "--lab"}, {"--target", "127.0.0.1", "--ports", "99999", "--lab"}, {"--target", "127.0.0.1", "--lab", "--format", "xml"}} {
		if _, _, err := runCmd(t, nil, append([]string{"scan"}, args...)...); err == nil {
			t.Errorf("scan %v succeeded", args)
		}
	}
}

func TestADAuditCommand(t *testing.T) {
	// Collection against a real DC is tested in internal/directory (one Samba per
	// test run); here the command evaluates a snapshot file and checks its output.
	dir := t.TempDir()
	snap := &directory.Snapshot{Format: directory.SnapshotFormat, CollectedAt: time.Now().UTC(), Server: "dc1.chu.local:636", BaseDN: "DC=chu,DC=local",
		Domain: directory.Domain{DNSName: "chu.local", SID: "S-1-5-21-1-2-3", FunctionalLevel: 10, ForestLevel: 10, MachineAccountQuota: 10, SmartcardExpire: "TRUE"}}
	path := filepath.Join(dir, "chu.care-ad")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.WriteSnapshot(f, snap, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, _, err := runCmd(t, nil, "adaudit", "--from-snapshot", path, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Level  int
		Checks []struct {
			ID      string
			Level   int
			Status  string
			Objects []string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Level != 4 || len(res.Checks) != len(directory.CheckpointIDs()) {
		t.Fatalf("level %d, %d checks: %s", res.Level, len(res.Checks), out)
	}
	for _, c := range res.Checks {
		if c.ID == "vuln4_user_accounts_machineaccountquota" && (c.Status != "fail" || c.Level != 4 || len(c.Objects) != 1) {
			t.Errorf("machine account quota: %+v", c)
		}
	}
	text, _, err := runCmd(t, nil, "adaudit", "--from-snapshot", path)
	if err != nil || !strings.Contains(text, "Niveau ANSSI : 4/5") {
		t.Fatalf("text output: %v\n%s", err, text)
	}
	os.WriteFile(path, []byte("not a snapshot"), 0o600)
	if _, _, err := runCmd(t, nil, "adaudit", "--from-snapshot", path); err == nil || !strings.Contains(err.Error(), "instantané") {
		t.Errorf("bad snapshot: %v", err)
	}
	if _, _, err := runCmd(t, nil, "adaudit", "--url", "ldap://127.0.0.1:1", "--bind-dn", "a@b", "--password-file", path); err == nil || !strings.Contains(err.Error(), "clair") {
		t.Errorf("plain LDAP without --plain: %v", err)
	}
}
