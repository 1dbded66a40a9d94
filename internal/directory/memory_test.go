package directory

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// syntheticEntries hands fn the LDAP entries of an n-object domain shaped as
// scripts/bench-directory.sh seeds it: 10 users, 3 computers and 1 group in 14, a
// fifth of the users dormant, some passwords that never expire, a few SPNs,
// groups of 25 users with every tenth nested in the one before, 30 members in
// Domain Admins; the domain's well-known groups first, as a DC returns them.
func syntheticEntries(t testing.TB, n int, fn func(e *ldap.Entry)) {
	const base = "DC=care,DC=test"
	now := time.Now().UTC()
	ft := func(daysAgo int) string {
		return strconv.FormatInt((now.Add(-time.Duration(daysAgo)*24*time.Hour).Unix()+11_644_473_600)*10_000_000, 10)
	}
	created := now.AddDate(-2, 0, 0).Format("20060102150405") + ".0Z"
	sd := map[string]string{}
	owner := func(sid string) string {
		if _, ok := sd[sid]; !ok {
			sd[sid] = string(buildSD(t.(*testing.T), sid))
		}
		return sd[sid]
	}
	users, computers := n*10/14, n*3/14
	groups := n - users - computers
	user := func(i int) string { return fmt.Sprintf("CN=agent%06d,OU=Personnel,%s", i, base) }
	entry := func(dn, class, name, sid string, attrs map[string][]string) {
		attrs["objectClass"] = append([]string{"top"}, strings.Split(class, ",")...)
		attrs["sAMAccountName"] = []string{name}
		attrs["objectSid"] = []string{string(encodeSID(t.(*testing.T), sid))}
		attrs["whenCreated"] = []string{created}
		attrs["whenChanged"] = []string{created}
		attrs["nTSecurityDescriptor"] = []string{owner(dom + "-512")}
		fn(ldap.NewEntry(dn, attrs))
	}
	var admins []string
	for i := range 30 {
		admins = append(admins, user(i*7))
	}
	entry("CN=Domain Admins,CN=Users,"+base, "group", "Domain Admins", dom+"-512", map[string][]string{"member": admins})
	entry("CN=Administrators,CN=Builtin,"+base, "group", "Administrators", sidAdministrators,
		map[string][]string{"member": {"CN=Domain Admins,CN=Users," + base}})
	entry("CN=Protected Users,CN=Users,"+base, "group", "Protected Users", dom+"-525", map[string][]string{})
	entry("CN=DC1,OU=Domain Controllers,"+base, "user,computer", "DC1$", dom+"-1000", map[string][]string{
		"userAccountControl": {"532480"}, "primaryGroupID": {"516"}, "operatingSystem": {"Windows Server 2022 Standard"},
		"operatingSystemVersion": {"10.0 (20348)"}, "dNSHostName": {"dc1.care.test"}, "pwdLastSet": {ft(10)}, "lastLogonTimestamp": {ft(1)}})
	for i := range users {
		uac, logon := "512", ft(i%20)
		if i%33 == 0 {
			uac = "66048"
		}
		if i%5 == 0 {
			logon = ft(500)
		}
		a := map[string][]string{"userAccountControl": {uac}, "primaryGroupID": {"513"}, "pwdLastSet": {ft(i % 300)}, "lastLogonTimestamp": {logon}}
		if i%500 == 0 {
			a["servicePrincipalName"] = []string{fmt.Sprintf("HTTP/app%06d.care.test", i)}
		}
		entry(user(i), "person,user", fmt.Sprintf("agent%06d", i), fmt.Sprintf("%s-%d", dom, 2000+i), a)
	}
	for i := range computers {
		os, ver := "Windows 11 Entreprise", "10.0 (22631)"
		if i%10 == 0 {
			os, ver = "Windows Server 2019 Standard", "10.0 (17763)"
		}
		if i%97 == 0 {
			os, ver = "Windows Server 2012 R2 Standard", "6.3 (9600)"
		}
		entry(fmt.Sprintf("CN=PC%06d,OU=Postes,%s", i, base), "person,user,computer", fmt.Sprintf("PC%06d$", i), fmt.Sprintf("%s-%d", dom, 200000+i),
			map[string][]string{"userAccountControl": {"4096"}, "primaryGroupID": {"515"}, "operatingSystem": {os}, "operatingSystemVersion": {ver},
				"dNSHostName": {fmt.Sprintf("pc%06d.care.test", i)}, "pwdLastSet": {ft(i % 30)}, "lastLogonTimestamp": {ft(i % 30)}})
	}
	for g := range groups {
		var members []string
		for k := range 25 {
			members = append(members, user((g*25+k)%users))
		}
		if g%10 == 1 {
			members = append(members, fmt.Sprintf("CN=G%05d,OU=Groupes,%s", g-1, base))
		}
		entry(fmt.Sprintf("CN=G%05d,OU=Groupes,%s", g, base), "group", fmt.Sprintf("G%05d", g), fmt.Sprintf("%s-%d", dom, 400000+g),
			map[string][]string{"member": members})
	}
}

// syntheticCollection runs n synthetic entries through the streamed collection's
// path (toObject, the spool, the compact form, the assembled file) and evaluates
// it, as care adaudit does.
func syntheticCollection(t *testing.T, n int) (*Collection, Evaluation) {
	sp, err := newSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	snap := &Snapshot{Format: SnapshotFormat, CollectedAt: time.Now().UTC().Truncate(time.Microsecond), Server: "127.0.0.1", BaseDN: "DC=care,DC=test",
		Domain: Domain{DNSName: "care.test", SID: dom, FunctionalLevel: 7, ForestLevel: 7, PasswordPolicy: &PasswordPolicy{MinPwdLength: 12}}}
	syntheticEntries(t, n, func(e *ldap.Entry) {
		if err := sp.keep(snap, toObject(e)); err != nil {
			t.Fatal(err)
		}
	})
	coll, err := sp.finish(snap)
	if err != nil {
		t.Fatal(err)
	}
	return coll, Evaluate(coll.Snapshot)
}

// TestSyntheticCollectionMemory measures the peak memory of a streamed collection
// of synthetic domains without a DC: CARE_SYNTHETIC_OBJECTS="14000 100000" runs
// each size in a process of its own (the test binary again) and logs its peak
// resident set (VmHWM) and peak live heap, GC paced at 25 % as care adaudit does
// (CARE_SYNTHETIC_GOGC to try another pacing).
func TestSyntheticCollectionMemory(t *testing.T) {
	if n := os.Getenv("CARE_SYNTHETIC_CHILD"); n != "" {
		size, _ := strconv.Atoi(n)
		gogc := 25 // as care adaudit
		if v, err := strconv.Atoi(os.Getenv("CARE_SYNTHETIC_GOGC")); err == nil {
			gogc = v
		}
		debug.SetGCPercent(gogc)
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			for {
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		start := time.Now()
		coll, ev := syntheticCollection(t, size)
		close(done)
		runtime.KeepAlive(ev)
		fmt.Printf("synthetic %d objects: %s, level %d, peak heap objects %.1f MiB, VmHWM %s\n",
			coll.Snapshot.Len(), time.Since(start).Round(time.Millisecond), ev.Level, float64(peak.Load())/(1<<20), vmHWM(t))
		coll.Close()
		return
	}
	sizes := os.Getenv("CARE_SYNTHETIC_OBJECTS")
	if sizes == "" {
		t.Skip("CARE_SYNTHETIC_OBJECTS unset (e.g. \"14000 100000\")")
	}
	for _, n := range strings.Fields(sizes) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyntheticCollectionMemory$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CARE_SYNTHETIC_CHILD="+n)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", n, err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "synthetic ") {
				t.Log(l)
			}
		}
	}
}

func vmHWM(t *testing.T) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
