package identity

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Profiles: what a provider's claims mean.
const (
	Generic = "generic" // standard OpenID Connect claims
	PSC     = "psc"     // Pro Santé Connect: national identifier, profession, eIDAS level
)

// Provider is one configured OpenID Provider.
type Provider struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Issuer   string   `yaml:"issuer"`
	ClientID string   `yaml:"client_id"`
	Scopes   []string `yaml:"scopes"`
	Profile  string   `yaml:"profile"`
	// Files are read at load; relative paths are taken from the configuration
	// file's folder.
	ClientSecretFile  string `yaml:"client_secret_file"`
	TLSClientCertFile string `yaml:"tls_client_cert_file"`
	TLSClientKeyFile  string `yaml:"tls_client_key_file"`
	// CAFile adds certificate authorities to the system's to trust the provider
	// (a sandbox or an establishment's own provider under a private authority).
	CAFile string `yaml:"ca_file"`

	secret string
	cert   *tls.Certificate
	roots  *x509.CertPool
}

// HasSecret reports whether the provider has a client secret (never the secret itself).
func (p Provider) HasSecret() bool { return p.secret != "" }

// MutualTLS reports whether the provider's token endpoint gets a client certificate.
func (p Provider) MutualTLS() bool { return p.cert != nil }

// Config is the content of the --oidc-config file.
type Config struct {
	Providers []Provider `yaml:"providers"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// LoadConfig reads and checks a providers file: an unknown field, a missing one or
// an unreadable secret is an error naming the provider (or the line).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("oidc: %w", err)
	}
	return ParseConfig(b, filepath.Dir(path))
}

// ParseConfig parses a providers file whose relative paths are taken from dir.
func ParseConfig(b []byte, dir string) (Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("oidc: configuration: %w", err)
	}
	if len(c.Providers) == 0 {
		return Config{}, errors.New("oidc: configuration: no provider under providers")
	}
	seen := map[string]bool{}
	for i := range c.Providers {
		p := &c.Providers[i]
		if err := p.check(dir); err != nil {
			return Config{}, fmt.Errorf("oidc: provider %d (%q): %w", i+1, p.ID, err)
		}
		if seen[p.ID] {
			return Config{}, fmt.Errorf("oidc: provider %q given twice", p.ID)
		}
		seen[p.ID] = true
	}
	return c, nil
}

func (p *Provider) check(dir string) error {
	if !idPattern.MatchString(p.ID) {
		return errors.New("id: lower-case letters, digits and dashes (it is part of the redirect URI)")
	}
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("name is missing (shown on the login button)")
	}
	if err := CheckIssuer(p.Issuer); err != nil {
		return err
	}
	if p.ClientID == "" {
		return errors.New("client_id is missing")
	}
	switch p.Profile {
	case "":
		p.Profile = Generic
	case Generic, PSC:
	default:
		return fmt.Errorf("profile %q: generic or psc", p.Profile)
	}
	if len(p.Scopes) == 0 {
		p.Scopes = defaultScopes(p.Profile)
	}
	if !slices.Contains(p.Scopes, "openid") {
		return errors.New("scopes must hold openid")
	}
	at := func(f string) string {
		if f == "" || filepath.IsAbs(f) {
			return f
		}
		return filepath.Join(dir, f)
	}
	if p.ClientSecretFile != "" {
		b, err := os.ReadFile(at(p.ClientSecretFile))
		if err != nil {
			return fmt.Errorf("client_secret_file: %w", err)
		}
		p.secret = strings.TrimSpace(string(b))
	}
	if (p.TLSClientCertFile == "") != (p.TLSClientKeyFile == "") {
		return errors.New("tls_client_cert_file and tls_client_key_file go together")
	}
	if p.TLSClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(at(p.TLSClientCertFile), at(p.TLSClientKeyFile))
		if err != nil {
			return fmt.Errorf("client certificate: %w", err)
		}
		p.cert = &cert
	}
	if p.CAFile != "" {
		b, err := os.ReadFile(at(p.CAFile))
		if err != nil {
			return fmt.Errorf("ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(b) {
			return errors.New("ca_file: no PEM certificate")
		}
		p.roots = pool
	}
	return nil
}

// CheckIssuer refuses an issuer that is not an absolute HTTPS URL, unless it is
// on loopback (a provider on the same machine, as in tests): tokens and codes
// must not cross a network in clear.
func CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("issuer %q: an absolute URL is expected", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("issuer %q: HTTPS is required outside loopback", issuer)
}

// IsLoopback reports whether host names this machine (127.0.0.0/8, ::1, localhost).
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultScopes(profile string) []string {
	if profile == PSC {
		// Pro Santé Connect gives its sectoral claims under one scope (LemonLDAP::NG's
		// Pro Santé Connect integration page); the ANS's own description is in the
		// integrators' space, which needs an account, and could not be read here.
		return []string{"openid", "scope_all"}
	}
	return []string{"openid", "email", "profile"}
}
