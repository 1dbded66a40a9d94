package exposure

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The fingerprint database: one YAML file per protocol under
// content/fingerprints/, written by us. Public databases (Rapid7 Recog, nmap's
// service probes) told us which product announces what; the patterns and their
// examples are our own. Each file is loaded strictly: a file that does not
// parse, an unknown key, a pattern Go cannot compile, a product not in
// rules.yaml's products, an example its pattern does not match (or that an
// earlier pattern of the file takes first) are refused with the file and line.

//go:embed content/fingerprints/*.yaml
var fingerprintFiles embed.FS

// Fingerprint is one pattern of a protocol's file.
type Fingerprint struct {
	Product string `yaml:"product"` // vendor:product, one of rules.yaml's products
	Match   string `yaml:"match"`   // a Go regexp over the protocol's text
	// Version names the capture group that holds the version: its index ("1")
	// or its name; empty when the text says no version.
	Version string `yaml:"version"`
	// FixedVersion is the version when the text implies one without writing it.
	FixedVersion string `yaml:"fixed_version"`
	// Probe documents, when the text is the answer to a question, what was asked.
	Probe    string    `yaml:"probe"`
	Examples []Example `yaml:"examples"`
	// Source names the public texts a favicon hash was taken from.
	Source string `yaml:"-"`

	File string `yaml:"-"`
	Line int    `yaml:"-"`
	re   *regexp.Regexp
}

// Example is a text the pattern must recognise, with the version it must read.
type Example struct {
	Text    string `yaml:"text"`
	Version string `yaml:"version"`
}

// Fingerprints are the patterns of each protocol (the file's name without .yaml),
// in file order: the first that matches names the product.
type Fingerprints map[string][]Fingerprint

// Protocols whose text identification builds: a file must be one of them.
var fingerprintProtocols = []string{"ssh", "ftp", "smtp", "pop", "imap", "telnet", "mysql", "postgresql", "redis", "memcached",
	"ldap", "rdp", "vnc", "http-server", "http-header", "http-auth", "http-cookie", "html-title", "x509-subject", "x509-issuer", "favicon"}

var loadFingerprints = sync.OnceValues(func() (Fingerprints, error) {
	r, err := LoadRules()
	if err != nil {
		return nil, err
	}
	return ParseFingerprints(fingerprintFiles, "content/fingerprints", r.Products)
})

// LoadFingerprints parses the shipped fingerprint files once.
func LoadFingerprints() (Fingerprints, error) { return loadFingerprints() }

// fingerprints is the shipped database, or none when it does not load (the
// server refuses to start then, and a test loads it).
func fingerprints() Fingerprints {
	f, _ := loadFingerprints()
	return f
}

// ParseFingerprints reads every .yaml file of dir in fsys, checking each pattern
// against the known products.
func ParseFingerprints(fsys fs.FS, dir string, products []Product) (Fingerprints, error) {
	known := map[string]bool{}
	for _, p := range products {
		known[p.Key] = true
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := Fingerprints{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		protocol := strings.TrimSuffix(path.Base(name), ".yaml")
		parse := parseFingerprintFile
		if protocol == "favicon" {
			parse = parseFaviconFile
		}
		list, err := parse(path.Base(name), data, known)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(fingerprintProtocols, protocol) {
			return nil, fmt.Errorf("exposure: fingerprints/%s: unknown protocol %q (one of %s)", path.Base(name), protocol, strings.Join(fingerprintProtocols, ", "))
		}
		out[protocol] = list
	}
	return out, nil
}

// parseFingerprintFile reads one protocol's file.
func parseFingerprintFile(file string, data []byte, products map[string]bool) ([]Fingerprint, error) {
	fail := fileFail(file)
	patterns, err := fileList(file, data, "patterns", "probe")
	if err != nil {
		return nil, err
	}
	var list []Fingerprint
	for _, n := range patterns {
		if err := onlyKeys(n, "product", "match", "version", "fixed_version", "probe", "examples"); err != nil {
			return nil, fail(err.line, "%s", err.msg)
		}
		if ex := mapValue(n, "examples"); ex != nil {
			for _, e := range ex.Content {
				if err := onlyKeys(e, "text", "version"); err != nil {
					return nil, fail(err.line, "%s", err.msg)
				}
			}
		}
		var f Fingerprint
		if err := n.Decode(&f); err != nil {
			return nil, fail(n.Line, "%v", err)
		}
		f.File, f.Line = file, n.Line
		if !products[f.Product] {
			return nil, fail(n.Line, "unknown product %q (add it to the products of rules.yaml)", f.Product)
		}
		re, err := regexp.Compile(f.Match)
		if err != nil {
			return nil, fail(n.Line, "pattern %q: %v", f.Match, err)
		}
		f.re = re
		if f.Version != "" {
			if i, err := strconv.Atoi(f.Version); err == nil {
				if i < 1 || i > re.NumSubexp() {
					return nil, fail(n.Line, "version group %d: the pattern has %d groups", i, re.NumSubexp())
				}
			} else if re.SubexpIndex(f.Version) < 0 {
				return nil, fail(n.Line, "version group %q: no such named group", f.Version)
			}
		}
		if f.Version != "" && f.FixedVersion != "" {
			return nil, fail(n.Line, "version and fixed_version both set")
		}
		if len(f.Examples) == 0 {
			return nil, fail(n.Line, "at least one example is needed")
		}
		list = append(list, f)
	}
	// Every example must come out as its pattern's product and version, with the
	// patterns before it in the file tried first (as identification does).
	for _, f := range list {
		for _, e := range f.Examples {
			if !f.re.MatchString(e.Text) {
				return nil, fail(f.Line, "example %q: the pattern does not match it", e.Text)
			}
			got, ok := match(list, e.Text)
			if !ok || got.Line != f.Line {
				return nil, fail(f.Line, "example %q is taken by the pattern of line %d", e.Text, got.Line)
			}
			if v := f.version(e.Text); v != e.Version {
				return nil, fail(f.Line, "example %q: version %q read, %q expected", e.Text, v, e.Version)
			}
		}
	}
	return list, nil
}

// fileFail writes an error at a line of a fingerprint file.
func fileFail(file string) func(line int, format string, args ...any) error {
	return func(line int, format string, args ...any) error {
		return fmt.Errorf("exposure: fingerprints/%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
}

// fileList parses a fingerprint file whose top is a mapping with the list
// under key (and the other keys allowed), and returns the list's items.
func fileList(file string, data []byte, key string, other ...string) ([]*yaml.Node, error) {
	fail := fileFail(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("exposure: fingerprints/%s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil, fail(1, "empty file")
	}
	top := doc.Content[0]
	if err := onlyKeys(top, append(other, key)...); err != nil {
		return nil, fail(err.line, "%s", err.msg)
	}
	list := mapValue(top, key)
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fail(top.Line, "a list of %s is expected", key)
	}
	return list.Content, nil
}

type keyError struct {
	line int
	msg  string
}

// onlyKeys refuses a node that is not a mapping, or that has a key not in keys.
func onlyKeys(n *yaml.Node, keys ...string) *keyError {
	if n.Kind != yaml.MappingNode {
		return &keyError{n.Line, "a mapping is expected"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			return &keyError{k.Line, fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(keys, ", "))}
		}
	}
	return nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// version reads the version of a text the pattern matches.
func (f Fingerprint) version(text string) string {
	if f.FixedVersion != "" {
		return f.FixedVersion
	}
	if f.Version == "" {
		return ""
	}
	m := f.re.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	i, err := strconv.Atoi(f.Version)
	if err != nil {
		i = f.re.SubexpIndex(f.Version)
	}
	return m[i]
}

func match(list []Fingerprint, text string) (Fingerprint, bool) {
	for _, f := range list {
		if f.re.MatchString(text) {
			return f, true
		}
	}
	return Fingerprint{}, false
}

// Identify names the product and version of a protocol's text; ok is false when
// no pattern of the protocol matches.
func (fs Fingerprints) Identify(protocol, text string) (product, version string, ok bool) {
	f, ok := match(fs[protocol], text)
	if !ok {
		return "", "", false
	}
	return f.Product, f.version(text), true
}

// identifyAs sets o's product and version from the protocol's text when a
// pattern matches it, and says whether one did.
func identifyAs(o *Observation, protocol, text string) bool {
	p, v, ok := fingerprints().Identify(protocol, text)
	if ok {
		o.Product, o.Version = p, v
	}
	return ok
}

// FaviconEntry is one hash of favicon.yaml: the public databases' hash of an
// icon (favicon.go), the product that serves it, and where the hash comes
// from; ExampleFile, when set, is the real icon under the package's testdata
// that the tests hash and serve.
type FaviconEntry struct {
	Hash        int64  `yaml:"hash"`
	Product     string `yaml:"product"`
	Source      string `yaml:"source"`
	ExampleFile string `yaml:"example_file"`
}

// parseFaviconFile reads favicon.yaml: a list of hashes, each a signed 32-bit
// integer given once, with a known product and its sources. Each becomes a
// pattern that matches the hash written in decimal, with the hash itself as
// its example, so that identification and the table tests treat it as any
// other fingerprint.
func parseFaviconFile(file string, data []byte, products map[string]bool) ([]Fingerprint, error) {
	fail := fileFail(file)
	hashes, err := fileList(file, data, "hashes")
	if err != nil {
		return nil, err
	}
	var list []Fingerprint
	seen := map[int64]int{}
	for _, n := range hashes {
		if err := onlyKeys(n, "hash", "product", "source", "example_file"); err != nil {
			return nil, fail(err.line, "%s", err.msg)
		}
		var e FaviconEntry
		if err := n.Decode(&e); err != nil {
			return nil, fail(n.Line, "%v", err)
		}
		switch {
		case mapValue(n, "hash") == nil:
			return nil, fail(n.Line, "hash missing")
		case e.Hash < -1<<31 || e.Hash >= 1<<31:
			return nil, fail(n.Line, "hash %d: not a signed 32-bit integer", e.Hash)
		case seen[e.Hash] != 0:
			return nil, fail(n.Line, "hash %d already given at line %d", e.Hash, seen[e.Hash])
		case !products[e.Product]:
			return nil, fail(n.Line, "unknown product %q (add it to the products of rules.yaml)", e.Product)
		case strings.TrimSpace(e.Source) == "":
			return nil, fail(n.Line, "a source is needed")
		}
		seen[e.Hash] = n.Line
		text := strconv.FormatInt(e.Hash, 10)
		list = append(list, Fingerprint{Product: e.Product, Match: "^" + text + "$", Source: e.Source, File: file, Line: n.Line,
			Examples: []Example{{Text: text}}, re: regexp.MustCompile("^" + regexp.QuoteMeta(text) + "$")})
	}
	return list, nil
}
