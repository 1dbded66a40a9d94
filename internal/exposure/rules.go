package exposure

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed content/rules.yaml
var rulesFile embed.FS

// Rule is a check with its severity, explanation and remedy.
type Rule struct {
	ID          string `yaml:"id"`
	Ports       []int  `yaml:"ports"`
	Service     string `yaml:"service"`
	Severity    string `yaml:"severity"`
	Title       string `yaml:"title"`
	Why         string `yaml:"why"`
	Remediation string `yaml:"remediation"`
}

// Product is a product we recognise, with how its versions are written.
type Product struct {
	Key    string `yaml:"key"`
	Name   string `yaml:"name"`
	Scheme string `yaml:"scheme"`
}

// Range is a span of affected versions.
type Range struct {
	From     string `yaml:"from"`
	FromExcl string `yaml:"from_excl"`
	ToIncl   string `yaml:"to_incl"`
	ToExcl   string `yaml:"to_excl"`
}

// Vuln is a known vulnerability of a product's versions.
type Vuln struct {
	CVE      string  `yaml:"cve"`
	Product  string  `yaml:"product"`
	Affected []Range `yaml:"affected"`
	KEV      bool    `yaml:"kev"`
	// Ransomware is the KEV catalogue's knownRansomwareCampaignUse for the entry,
	// copied as the catalogue writes it ("Known" or "Unknown"), never inferred.
	Ransomware  string `yaml:"ransomware"`
	Severity    string `yaml:"severity"`
	Title       string `yaml:"title"`
	Remediation string `yaml:"remediation"`
	Source      string `yaml:"source"`
}

// Rules is the shipped rule data (content/rules.yaml, written by us from public
// sources; see its notice).
type Rules struct {
	Notice   string    `yaml:"notice"`
	Exposed  []Rule    `yaml:"exposed"`
	TLS      []Rule    `yaml:"tls"`
	HTTP     []Rule    `yaml:"http"`
	SSH      []Rule    `yaml:"ssh"`
	Products []Product `yaml:"products"`
	Vulns    []Vuln    `yaml:"vulns"`
}

// Severities, worst first.
var Severities = []string{"critical", "high", "medium", "low"}

var (
	rulesOnce sync.Once
	rules     Rules
	rulesErr  error
)

// LoadRules parses the shipped rules once.
func LoadRules() (Rules, error) {
	rulesOnce.Do(func() {
		data, err := rulesFile.ReadFile("content/rules.yaml")
		if err != nil {
			rulesErr = err
			return
		}
		rules, rulesErr = ParseRules(data)
	})
	return rules, rulesErr
}

// The checks the code raises by id; the rule file must define each.
var requiredChecks = map[string][]string{
	"tls":  {"tls-old-version", "tls-weak-cipher", "cert-expired", "cert-expiring", "cert-self-signed", "cert-name-mismatch", "cert-untrusted", "cert-weak-key", "cert-sha1"},
	"http": {"http-no-hsts", "http-no-https-redirect", "http-no-csp", "http-no-xcto", "http-no-frame-protection", "http-version-disclosure", "http-directory-listing"},
	"ssh":  {"ssh-old-version"},
}

// ParseRules reads and checks a rule file.
func ParseRules(data []byte) (Rules, error) {
	var r Rules
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("exposure: rules: %w", err)
	}
	ids := map[string]bool{}
	for _, group := range [][]Rule{r.Exposed, r.TLS, r.HTTP, r.SSH} {
		for _, rule := range group {
			if ids[rule.ID] || !slices.Contains(Severities, rule.Severity) {
				return r, fmt.Errorf("exposure: rule %q: duplicate id or bad severity %q", rule.ID, rule.Severity)
			}
			ids[rule.ID] = true
			for _, p := range rule.Ports {
				if p < 1 || p > 65535 {
					return r, fmt.Errorf("exposure: rule %q: port %d", rule.ID, p)
				}
			}
		}
	}
	for group, required := range requiredChecks {
		for _, id := range required {
			if !ids[id] {
				return r, fmt.Errorf("exposure: rules: %s check %q is missing", group, id)
			}
		}
	}
	products := map[string]bool{}
	for _, p := range r.Products {
		products[p.Key] = true
	}
	for _, v := range r.Vulns {
		if !products[v.Product] {
			return r, fmt.Errorf("exposure: vuln %s: unknown product %q", v.CVE, v.Product)
		}
		if err := checkVuln(v); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkVuln checks one vulnerability entry on its own.
func checkVuln(v Vuln) error {
	if !slices.Contains(Severities, v.Severity) || len(v.Affected) == 0 || v.Source == "" {
		return fmt.Errorf("exposure: vuln %s: bad severity, no range or no source", v.CVE)
	}
	if want := map[bool][]string{true: {"Known", "Unknown"}, false: {""}}[v.KEV]; !slices.Contains(want, v.Ransomware) {
		return fmt.Errorf("exposure: vuln %s: ransomware is the KEV catalogue's knownRansomwareCampaignUse (Known or Unknown), for KEV entries only, not %q", v.CVE, v.Ransomware)
	}
	return nil
}

func (r Rules) rule(id string) Rule {
	for _, group := range [][]Rule{r.Exposed, r.TLS, r.HTTP, r.SSH} {
		for _, rule := range group {
			if rule.ID == id {
				return rule
			}
		}
	}
	return Rule{ID: id, Severity: "low", Title: id}
}

// Finding is an issue seen on one port.
type Finding struct {
	Address     string `json:"address"`
	Port        int    `json:"port"`
	Check       string `json:"check"` // rule id, or the CVE
	Severity    string `json:"severity"`
	Title       string `json:"finding"`
	Service     string `json:"service,omitempty"`
	Product     string `json:"product,omitempty"`
	Version     string `json:"version,omitempty"`
	Evidence    string `json:"evidence,omitempty"`
	Remediation string `json:"remediation,omitempty"`
	KEV         bool   `json:"kev,omitempty"`
	Exposed     bool   `json:"exposed_service,omitempty"` // a service that must never face the Internet
}

// Key identifies a finding from one scan to the next.
func (f Finding) Key() string { return fmt.Sprintf("%s|%d|%s", f.Address, f.Port, f.Check) }

// Findings derives the findings of the observations. A pure function: the same
// observations and time give the same findings.
func (r Rules) Findings(obs []Observation, now time.Time) []Finding {
	var out []Finding
	for _, o := range obs {
		add := func(id, evidence string) {
			rule := r.rule(id)
			title := rule.Title
			if title == "" {
				title = rule.Service
			}
			out = append(out, Finding{Address: o.Address.String(), Port: o.Port, Check: id, Severity: rule.Severity, Title: title,
				Service: o.Service, Product: o.Product, Version: o.Version, Evidence: evidence, Remediation: rule.Remediation})
		}
		for _, rule := range r.Exposed {
			// A service is judged by its port, or by what it is when it listens
			// elsewhere (RDP moved to 13389 is still RDP).
			if slices.Contains(rule.Ports, o.Port) || (servicePort[o.Service] != 0 && slices.Contains(rule.Ports, servicePort[o.Service])) {
				ev := o.Banner
				if ev == "" {
					ev = fmt.Sprintf("port %d ouvert", o.Port)
				}
				add(rule.ID, ev)
				out[len(out)-1].Exposed = true
			}
		}
		if t := o.TLS; t != nil {
			if len(t.OldVersions) > 0 {
				add("tls-old-version", strings.Join(t.OldVersions, ", "))
			}
			if t.WeakCipher != "" {
				add("tls-weak-cipher", t.WeakCipher)
			}
			switch {
			case now.After(t.NotAfter):
				add("cert-expired", "expiré le "+t.NotAfter.Format("02/01/2006"))
			case now.Add(30 * 24 * time.Hour).After(t.NotAfter):
				add("cert-expiring", "expire le "+t.NotAfter.Format("02/01/2006"))
			}
			if t.SelfSigned {
				add("cert-self-signed", t.Subject)
			} else if !t.Trusted {
				add("cert-untrusted", t.VerifyError)
			}
			if !t.NameMatch {
				add("cert-name-mismatch", strings.Join(t.DNSNames, ", "))
			}
			if t.KeyBits > 0 && t.KeyBits < 2048 {
				add("cert-weak-key", strconv.Itoa(t.KeyBits)+" bits")
			}
			if t.SHA1 {
				add("cert-sha1", t.Subject)
			}
		}
		if h := o.HTTP; h != nil {
			if o.Service == "https" && h.Headers["Strict-Transport-Security"] == "" {
				add("http-no-hsts", "Strict-Transport-Security absent")
			}
			if o.Service == "http" && !(h.Status >= 300 && h.Status < 400 && strings.HasPrefix(h.Location, "https://")) {
				add("http-no-https-redirect", fmt.Sprintf("HTTP %d", h.Status))
			}
			csp := h.Headers["Content-Security-Policy"]
			if csp == "" {
				add("http-no-csp", "Content-Security-Policy absent")
			}
			if h.Headers["X-Content-Type-Options"] == "" {
				add("http-no-xcto", "X-Content-Type-Options absent")
			}
			if h.Headers["X-Frame-Options"] == "" && !strings.Contains(csp, "frame-ancestors") {
				add("http-no-frame-protection", "X-Frame-Options et frame-ancestors absents")
			}
			for _, name := range []string{"Server", "X-Powered-By"} {
				if v := h.Headers[name]; hasDigit.MatchString(v) {
					add("http-version-disclosure", name+": "+v)
					break
				}
			}
			if h.Listing {
				add("http-directory-listing", h.Title)
			}
		}
		if o.Product == "openbsd:openssh" && o.Version != "" && CompareVersions(o.Version, "8.0") < 0 {
			add("ssh-old-version", o.Banner)
		}
		for _, v := range r.Vulns {
			if v.Product != o.Product || o.Version == "" || !v.affects(o.Version) {
				continue
			}
			out = append(out, Finding{Address: o.Address.String(), Port: o.Port, Check: v.CVE, Severity: v.Severity, Title: v.CVE + " — " + v.Title,
				Service: o.Service, Product: o.Product, Version: o.Version, Evidence: o.Banner, Remediation: v.Remediation, KEV: v.KEV})
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return slices.Index(Severities, a.Severity) - slices.Index(Severities, b.Severity)
	})
	return out
}

var hasDigit = regexp.MustCompile(`\d`)

// servicePort is the usual port of the services identification recognises.
var servicePort = map[string]int{"rdp": 3389, "smb": 445, "telnet": 23, "ftp": 21, "vnc": 5900, "mysql": 3306, "ldap": 389}

func (v Vuln) affects(version string) bool {
	for _, r := range v.Affected {
		if r.From != "" && CompareVersions(version, r.From) < 0 {
			continue
		}
		if r.FromExcl != "" && CompareVersions(version, r.FromExcl) <= 0 {
			continue
		}
		if r.ToIncl != "" && CompareVersions(version, r.ToIncl) > 0 {
			continue
		}
		if r.ToExcl != "" && CompareVersions(version, r.ToExcl) >= 0 {
			continue
		}
		return true
	}
	return false
}

var numbers = regexp.MustCompile(`\d+`)

// CompareVersions compares two versions by their sequence of numbers, which suits
// the ways vendors write them: 8.9p1, 13.1-49.15, 9.1R11.4, 2.4.49.
func CompareVersions(a, b string) int {
	x, y := numbers.FindAllString(a, -1), numbers.FindAllString(b, -1)
	for i := range max(len(x), len(y)) {
		var p, q int
		if i < len(x) {
			p, _ = strconv.Atoi(x[i])
		}
		if i < len(y) {
			q, _ = strconv.Atoi(y[i])
		}
		if p != q {
			if p < q {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Line is one row of a report: a finding, or an open port that raised none.
type Line struct {
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Service  string `json:"service"`
	Product  string `json:"product"`
	Version  string `json:"version"`
	Finding  string `json:"finding"`
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Evidence string `json:"evidence,omitempty"`
}

// Report lists the findings, then the open ports without any, as rows.
func Report(obs []Observation, findings []Finding) []Line {
	out := []Line{}
	seen := map[string]bool{}
	for _, f := range findings {
		out = append(out, Line{Address: f.Address, Port: f.Port, Service: f.Service, Product: f.Product, Version: f.Version, Finding: f.Title,
			Check: f.Check, Severity: f.Severity, Evidence: f.Evidence})
		seen[fmt.Sprintf("%s|%d", f.Address, f.Port)] = true
	}
	for _, o := range obs {
		if !seen[fmt.Sprintf("%s|%d", o.Address, o.Port)] {
			out = append(out, Line{Address: o.Address.String(), Port: o.Port, Service: o.Service, Product: o.Product, Version: o.Version,
				Finding: "port ouvert", Check: "open", Severity: "info", Evidence: o.Banner})
		}
	}
	return out
}
