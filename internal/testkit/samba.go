package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// SambaDC is a throw-away Samba AD domain controller on 127.0.0.1 started by
// scripts/samba-ad.sh: domain care.test, reading account auditor@care.test.
type SambaDC struct {
	Dir      string
	CA       []byte // PEM of the DC's certificate (names dc1.care.test and 127.0.0.1)
	Auditor  string
	Password string
	script   string
}

// Samba starts a DC for the test and stops it at the end. One DC may run at a time
// on the machine (it takes the LDAP and Kerberos ports of 127.0.0.1): test packages
// wait for each other on a lock file. Without Samba or root the test is skipped,
// except under CI.
func Samba(t testing.TB) *SambaDC {
	t.Helper()
	if _, err := exec.LookPath("samba"); err != nil || os.Geteuid() != 0 {
		Missing(t, "a Samba AD DC (needs root)", "bash scripts/samba-ad.sh --install")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "care-samba-ad.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "care-ad-") // short: Samba's socket paths must fit
	if err != nil {
		t.Fatal(err)
	}
	dc := &SambaDC{Dir: dir, Auditor: "auditor@care.test", Password: "Passw0rd!User1", script: filepath.Join(root, "scripts/samba-ad.sh")}
	t.Cleanup(func() {
		dc.run(t, "down")
		os.RemoveAll(dir)
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
	})
	dc.Run(t, "up")
	if dc.CA, err = os.ReadFile(filepath.Join(dir, "private/tls/ca.pem")); err != nil {
		t.Fatal(err)
	}
	return dc
}

// Run runs a stage of the script on this DC: seed writes one misconfiguration per
// checkpoint, fix repairs them, level N sets the functional level.
func (dc *SambaDC) Run(t testing.TB, stage string, args ...string) {
	t.Helper()
	if err := dc.run(t, stage, args...); err != nil {
		t.Fatal(err)
	}
}

func (dc *SambaDC) run(t testing.TB, stage string, args ...string) error {
	out, err := exec.Command("bash", append([]string{dc.script, stage, dc.Dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Logf("samba-ad.sh %s: %s", stage, out)
	}
	return err
}
