package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MockOP is a fast OpenID Provider on loopback for the failure paths of OIDC
// logins: it authorises at once whoever Claims describes, issues ID tokens it
// signs with go-jose, and can be told to misbehave (Tweak, SignWith, broken
// discovery). Its token endpoint may sit on a second server that requires a
// client certificate, as Pro Santé Connect's does.
type MockOP struct {
	Issuer   string
	ClientID string
	Secret   string
	CA       *CA // signs the servers' certificates (and clients' for mutual TLS)

	mu sync.Mutex
	// Claims are the next logins' person (sub, email, email_verified, amr, …).
	Claims map[string]any
	// Tweak changes the ID token's claims before signing (audience, expiry, nonce).
	Tweak func(map[string]any)
	// SignWith signs ID tokens with another key than the published one.
	SignWith *rsa.PrivateKey
	// SignedUserinfo answers userinfo as a signed JWT (application/jwt), with
	// UserinfoKey when set rather than the published key.
	SignedUserinfo bool
	UserinfoKey    *rsa.PrivateKey
	// DiscoveryDown makes discovery answer 503.
	DiscoveryDown bool
	// Userinfo adds claims to the userinfo answer only.
	Userinfo map[string]any

	key    *rsa.PrivateKey
	codes  map[string]grant
	tokens map[string]map[string]any
	token  *httptest.Server
}

type grant struct {
	nonce, challenge, redirect string
	claims                     map[string]any
	used                       bool
}

// NewMockOP starts a provider on 127.0.0.1 over TLS (its certificate signed by a
// new CA); with mutualTLS its token endpoint is another server that requires a
// client certificate signed by that CA.
func NewMockOP(t testing.TB, mutualTLS bool) *MockOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ca := NewCA(t)
	op := &MockOP{ClientID: "care-test", Secret: "s3cret", CA: ca, key: key, codes: map[string]grant{}, tokens: map[string]map[string]any{},
		Claims: map[string]any{"sub": "mock-1"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("GET /userinfo", op.userinfo)
	mux.HandleFunc("POST /token", op.tokenEndpoint)
	main := httptest.NewUnstartedServer(mux)
	main.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}}
	main.StartTLS()
	t.Cleanup(main.Close)
	op.Issuer = main.URL
	if mutualTLS {
		tok := httptest.NewUnstartedServer(http.HandlerFunc(op.tokenEndpoint))
		tok.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
		tok.StartTLS()
		t.Cleanup(tok.Close)
		op.token = tok
	}
	return op
}

func (op *MockOP) tokenURL() string {
	if op.token != nil {
		return op.token.URL + "/token"
	}
	return op.Issuer + "/token"
}

func (op *MockOP) discovery(w http.ResponseWriter, _ *http.Request) {
	op.mu.Lock()
	down := op.DiscoveryDown
	op.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, map[string]any{"issuer": op.Issuer, "authorization_endpoint": op.Issuer + "/authorize", "token_endpoint": op.tokenURL(),
		"userinfo_endpoint": op.Issuer + "/userinfo", "jwks_uri": op.Issuer + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"}})
}

func (op *MockOP) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize lets the person in at once and sends the browser back with a code.
func (op *MockOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != op.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorisation request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	op.mu.Lock()
	claims := map[string]any{}
	for k, v := range op.Claims {
		claims[k] = v
	}
	op.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: claims}
	op.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	to.RawQuery = back.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (op *MockOP) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != op.ClientID || secret != op.Secret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	g, found := op.codes[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || g.used || g.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	g.used = true
	op.codes[r.PostForm.Get("code")] = g
	now := time.Now()
	claims := map[string]any{"iss": op.Issuer, "aud": op.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range g.claims {
		claims[k] = v
	}
	if op.Tweak != nil {
		op.Tweak(claims)
	}
	signer := op.key
	if op.SignWith != nil {
		signer = op.SignWith
	}
	access := rand.Text()
	op.tokens[access] = g.claims
	writeJSON(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": sign(signer, claims)})
}

func (op *MockOP) userinfo(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	const prefix = "Bearer "
	auth := r.Header.Get("Authorization")
	claims, ok := op.tokens[auth[min(len(prefix), len(auth)):]]
	if !ok {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	info := map[string]any{}
	for k, v := range claims {
		info[k] = v
	}
	for k, v := range op.Userinfo {
		info[k] = v
	}
	if !op.SignedUserinfo {
		writeJSON(w, info)
		return
	}
	info["iss"], info["aud"] = op.Issuer, op.ClientID
	signer := op.key
	if op.UserinfoKey != nil {
		signer = op.UserinfoKey
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(sign(signer, info)))
}

func sign(key *rsa.PrivateKey, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		panic(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Set changes the provider's behaviour under its lock.
func (op *MockOP) Set(fn func(op *MockOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	fn(op)
}

// CA is a certificate authority made for a test.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  []byte
}

// NewCA makes a certificate authority.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "care test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Leaf issues a certificate for a server at ip (or a client named ip).
func (ca *CA) Leaf(t testing.TB, ip string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM := ca.LeafPEM(t, ip)
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// LeafPEM issues a certificate usable by a server at ip and by a client, in PEM.
func (ca *CA) LeafPEM(t testing.TB, ip string) ([]byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: ip}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if addr := net.ParseIP(ip); addr != nil {
		tmpl.IPAddresses = []net.IP{addr}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// WriteFile writes content into dir/name and returns its path.
func WriteFile(t testing.TB, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
