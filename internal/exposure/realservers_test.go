package exposure

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realServer is a server of a Debian package, started in the foreground in the
// test's namespace, and what identification must say of it.
type realServer struct {
	name    string
	pkg     string // the Debian package whose version the server carries
	bin     string
	port    int
	service string
	product string
	// versioned: the server says its version before any login (Dovecot,
	// PostgreSQL and Postfix do not, by design).
	versioned bool
	user      string // run as this user (PostgreSQL refuses root)
	args      func(dir, addr string) []string
	setup     func(t *testing.T, dir, addr string)
}

func realServers() []realServer {
	write := func(t *testing.T, path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pgBin, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	pg := "/usr/lib/postgresql/15/bin/postgres"
	if len(pgBin) > 0 {
		pg = pgBin[len(pgBin)-1]
	}
	return []realServer{
		{name: "openssh", pkg: "openssh-server", bin: "/usr/sbin/sshd", port: 22, service: "ssh", product: "openbsd:openssh", versioned: true,
			setup: func(t *testing.T, dir, _ string) {
				_ = os.MkdirAll("/run/sshd", 0o755) // the privilege separation directory the package expects
				run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir+"/ssh_host_key")
			},
			args: func(dir, addr string) []string {
				return []string{"-D", "-e", "-f", "/dev/null", "-h", dir + "/ssh_host_key", "-o", "ListenAddress=" + addr + ":22", "-o", "PidFile=" + dir + "/sshd.pid"}
			}},
		{name: "vsftpd", pkg: "vsftpd", bin: "/usr/sbin/vsftpd", port: 21, service: "ftp", product: "beasts:vsftpd", versioned: true,
			setup: func(t *testing.T, dir, addr string) {
				_ = os.MkdirAll("/var/run/vsftpd/empty", 0o755)
				write(t, dir+"/vsftpd.conf", "listen=YES\nlisten_ipv6=NO\nlisten_address="+addr+"\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\n"+
					"secure_chroot_dir=/var/run/vsftpd/empty\npam_service_name=vsftpd\nvsftpd_log_file="+dir+"/vsftpd.log\n")
			},
			args: func(dir, _ string) []string { return []string{dir + "/vsftpd.conf"} }},
		{name: "nginx", pkg: "nginx", bin: "/usr/sbin/nginx", port: 80, service: "http", product: "f5:nginx", versioned: true,
			setup: func(t *testing.T, dir, addr string) {
				write(t, dir+"/nginx.conf", "pid "+dir+"/nginx.pid;\nerror_log "+dir+"/nginx.err;\nworker_processes 1;\nevents {}\nhttp {\n access_log off;\n"+
					" client_body_temp_path "+dir+"/nb;\n proxy_temp_path "+dir+"/np;\n fastcgi_temp_path "+dir+"/nf;\n uwsgi_temp_path "+dir+"/nu;\n scgi_temp_path "+dir+"/ns;\n"+
					" server { listen "+addr+":80; root "+dir+"/www; }\n}\n")
			},
			args: func(dir, _ string) []string {
				return []string{"-c", dir + "/nginx.conf", "-p", dir, "-g", "daemon off;"}
			}},
		{name: "lighttpd", pkg: "lighttpd", bin: "/usr/sbin/lighttpd", port: 8081, service: "http", product: "lighttpd:lighttpd", versioned: true,
			setup: func(t *testing.T, dir, addr string) {
				write(t, dir+"/lighttpd.conf", "server.document-root = \""+dir+"/www\"\nserver.bind = \""+addr+"\"\nserver.port = 8081\nserver.errorlog = \""+dir+"/lighttpd.err\"\n")
			},
			args: func(dir, _ string) []string { return []string{"-D", "-f", dir + "/lighttpd.conf"} }},
		{name: "apache", pkg: "apache2", bin: "/usr/sbin/apache2", port: 8080, service: "http", product: "apache:http_server", versioned: true,
			setup: func(t *testing.T, dir, addr string) {
				_ = os.MkdirAll(dir+"/apache-run", 0o755)
				write(t, dir+"/apache.conf", "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"+
					"LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\nServerName care-test\nListen "+addr+":8080\n"+
					"PidFile "+dir+"/apache.pid\nErrorLog "+dir+"/apache.err\nDefaultRuntimeDir "+dir+"/apache-run\nMutex file:"+dir+"/apache-run default\n"+
					"DocumentRoot "+dir+"/www\nUser www-data\nGroup www-data\n")
			},
			args: func(dir, _ string) []string { return []string{"-f", dir + "/apache.conf", "-DFOREGROUND"} }},
		{name: "exim", pkg: "exim4-daemon-light", bin: "/usr/sbin/exim4", port: 25, service: "smtp", product: "exim:exim", versioned: true,
			args: func(dir, addr string) []string { return []string{"-bdf", "-oX", addr, "-oP", dir + "/exim.pid"} }},
		{name: "redis", pkg: "redis-server", bin: "/usr/bin/redis-server", port: 6379, service: "redis", product: "redis:redis", versioned: true,
			args: func(dir, addr string) []string {
				return []string{"--bind", addr, "--port", "6379", "--daemonize", "no", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", dir, "--logfile", ""}
			}},
		{name: "memcached", pkg: "memcached", bin: "/usr/bin/memcached", port: 11211, service: "memcached", product: "memcached:memcached", versioned: true,
			args: func(_, addr string) []string { return []string{"-u", "memcache", "-l", addr, "-p", "11211", "-U", "0"} }},
		{name: "tinyproxy", pkg: "tinyproxy", bin: "/usr/bin/tinyproxy", port: 8888, service: "http", product: "tinyproxy_project:tinyproxy", versioned: true,
			setup: func(t *testing.T, dir, addr string) {
				write(t, dir+"/tinyproxy.conf", "User tinyproxy\nGroup tinyproxy\nPort 8888\nListen "+addr+"\nTimeout 60\nLogLevel Critical\nMaxClients 10\n")
			},
			args: func(dir, _ string) []string { return []string{"-d", "-c", dir + "/tinyproxy.conf"} }},
		{name: "mariadb", pkg: "mariadb-server", bin: "/usr/sbin/mariadbd", port: 3306, service: "mysql", product: "mariadb:mariadb", versioned: true,
			setup: func(t *testing.T, dir, _ string) { _ = os.MkdirAll(dir+"/mysql", 0o755) },
			args: func(dir, addr string) []string {
				return []string{"--no-defaults", "--datadir=" + dir + "/mysql", "--user=root", "--skip-grant-tables", "--bind-address=" + addr, "--port=3306",
					"--socket=" + dir + "/mysql.sock", "--pid-file=" + dir + "/mysql.pid", "--innodb-buffer-pool-size=16M", "--log-error=" + dir + "/mysql.err"}
			}},
		{name: "postgresql", pkg: "postgresql-15", bin: pg, port: 5432, service: "postgresql", product: "postgresql:postgresql", user: "postgres",
			setup: func(t *testing.T, dir, _ string) {
				run(t, "install", "-d", "-o", "postgres", "-m", "700", dir+"/pg")
				run(t, "runuser", "-u", "postgres", "--", filepath.Dir(pg)+"/initdb", "-A", "trust", "-U", "postgres", "-D", dir+"/pg")
			},
			args: func(dir, addr string) []string {
				return []string{"-D", dir + "/pg", "-k", dir + "/pg", "-h", addr, "-p", "5432", "-c", "fsync=off"}
			}},
		{name: "dovecot", pkg: "dovecot-imapd", bin: "/usr/sbin/dovecot", port: 143, service: "imap", product: "dovecot:dovecot",
			setup: func(t *testing.T, dir, addr string) {
				write(t, dir+"/dovecot.conf", "base_dir = "+dir+"/dovecot-run\nstate_dir = "+dir+"/dovecot-state\nprotocols = imap pop3\nlisten = "+addr+"\n"+
					"ssl = no\nlog_path = "+dir+"/dovecot.log\ndefault_internal_user = dovecot\ndefault_login_user = dovenull\nmail_location = mbox:"+dir+"/mail\n"+
					"passdb {\n driver = static\n args = password=unused-test-password\n}\nuserdb {\n driver = static\n args = uid=nobody gid=nogroup home="+dir+"/home\n}\n")
			},
			args: func(dir, _ string) []string { return []string{"-F", "-c", dir + "/dovecot.conf"} }},
		{name: "dovecot-pop3", pkg: "dovecot-pop3d", port: 110, service: "pop3", product: "dovecot:dovecot"}, // the same dovecot process
	}
}

// Servers of the Debian packages (OpenSSH, vsftpd, nginx, lighttpd, Apache,
// Exim, Redis, memcached, tinyproxy, MariaDB, PostgreSQL, Dovecot), started on
// an address of a network namespace of the test's own, are each identified
// with their product and, when they say it before any login, the version the
// package carries (dpkg-query, without epoch and Debian revision). .ci/run
// installs them (scripts/real-servers.sh).
func TestRealServers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing(t, "ip")
	}
	var servers []realServer
	for _, s := range realServers() {
		if s.bin != "" {
			if _, err := os.Stat(s.bin); err != nil {
				msg := fmt.Sprintf("%s is not installed (bash scripts/real-servers.sh --install)", s.bin)
				if os.Getenv("CI") == "true" {
					t.Fatal(msg)
				}
				t.Log("skipped: " + msg)
				continue
			}
		}
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		t.Skip("none of the servers is installed (bash scripts/real-servers.sh --install)")
	}
	host := newTestHost(t, 1)
	addr := host.addrs[0]
	dir, err := os.MkdirTemp("", "care-real-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.MkdirAll(dir+"/www", 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755) // the servers that drop root read their files here

	var ports []int
	want := map[int]realServer{}
	for _, s := range servers {
		if s.bin != "" {
			if s.setup != nil {
				s.setup(t, dir, addr.String())
			}
			host.start(t, s.name, dir, s.user, s.bin, s.args(dir, addr.String())...)
		}
		ports = append(ports, s.port)
		want[s.port] = s
	}
	for _, s := range servers {
		waitPort(t, s.name, addr, s.port, dir, greets[s.service])
	}
	start := time.Now()
	obs, err := Scan(t.Context(), []netip.Addr{addr}, Options{Ports: ports, Identify: true, Timeout: time.Second, ProbeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("CARE_BENCH_NMAP") != "" {
		benchNmap(t, addr, ports, obs, time.Since(start))
	}
	seen := map[int]bool{}
	for _, o := range obs {
		s := want[o.Port]
		seen[o.Port] = true
		version := ""
		if s.versioned {
			version = packageVersion(t, s.pkg)
		}
		t.Logf("%s (port %d): %s %s %s", s.name, o.Port, o.Service, o.Product, o.Version)
		if o.Service != s.service || o.Product != s.product || o.Version != version {
			t.Errorf("%s (port %d): %q %q %q, want %q %q %q (banner %q)", s.name, o.Port, o.Service, o.Product, o.Version, s.service, s.product, version, o.Banner)
		}
	}
	for _, s := range servers {
		if !seen[s.port] {
			t.Errorf("%s: port %d not found open", s.name, s.port)
		}
	}
}

// benchNmap scans the same servers with nmap -sV and logs, beside what care
// found, what nmap found and each tool's time (scripts/bench-identify.sh).
func benchNmap(t *testing.T, addr netip.Addr, ports []int, obs []Observation, careTime time.Duration) {
	var list []string
	for _, p := range ports {
		list = append(list, fmt.Sprint(p))
	}
	start := time.Now()
	out, err := exec.Command("nmap", "-n", "-Pn", "-sT", "-sV", "-p", strings.Join(list, ","), addr.String(), "-oX", "-").Output()
	if err != nil {
		t.Fatalf("nmap: %v", err)
	}
	nmapTime := time.Since(start)
	var run struct {
		Ports []struct {
			Port    int `xml:"portid,attr"`
			Service struct {
				Product string `xml:"product,attr"`
				Version string `xml:"version,attr"`
			} `xml:"service"`
		} `xml:"host>ports>port"`
	}
	if err := xml.Unmarshal(out, &run); err != nil {
		t.Fatal(err)
	}
	nmap := map[int]string{}
	for _, p := range run.Ports {
		nmap[p.Port] = strings.TrimSpace(p.Service.Product + " " + p.Service.Version)
	}
	for _, o := range obs {
		t.Logf("bench: port %5d  care %-40s nmap %s", o.Port, strings.TrimSpace(o.Product+" "+o.Version), nmap[o.Port])
	}
	t.Logf("bench: time care scan %.2f s, nmap -sV %.2f s", careTime.Seconds(), nmapTime.Seconds())
}

// start runs a server in the namespace, in a process group of its own, ended
// by its group id when the test ends (before the namespace goes).
func (h *testHost) start(t *testing.T, name, dir, user, bin string, args ...string) {
	t.Helper()
	argv := append([]string{"netns", "exec", h.ns}, bin)
	if user != "" {
		argv = append([]string{"netns", "exec", h.ns, "runuser", "-u", user, "--"}, bin)
	}
	cmd := exec.Command("ip", append(argv, args...)...)
	out, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		out.Close()
	})
}

// The services that speak first: ready once they greet (Dovecot accepts
// connections before its authentication process is up, and greets only then).
var greets = map[string]bool{"ssh": true, "ftp": true, "smtp": true, "imap": true, "pop3": true, "mysql": true}

// waitPort waits until the server accepts connections (and greets, when it
// speaks first), or fails with its output.
func waitPort(t *testing.T, name string, addr netip.Addr, port int, dir string, greeting bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if greeting {
			if len(read(t.Context(), hostPort(addr, port), nil, time.Second)) > 0 {
				return
			}
		} else if c, err := net.DialTimeout("tcp", hostPort(addr, port), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(dir, name+".out"))
	t.Fatalf("%s never listened on port %d:\n%s", name, port, out)
}

// packageVersion is the upstream version of an installed Debian package: no
// epoch, no Debian revision, no repack suffix (1:9.2p1-2+deb12u3 is 9.2p1).
func packageVersion(t *testing.T, pkg string) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		t.Fatalf("dpkg-query %s: %v", pkg, err)
	}
	return upstreamVersion(string(out))
}

func upstreamVersion(v string) string {
	v = strings.TrimSpace(v)
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i >= 0 {
		v = v[:i]
	}
	v, _, _ = strings.Cut(v, "+")
	v, _, _ = strings.Cut(v, "~")
	return v
}
