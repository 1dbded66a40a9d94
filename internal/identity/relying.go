package identity

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// Failures, each with its own message for the person (account.error.oidc_*):
// the provider cannot be reached, it refused the code (or the client
// certificate), what it sent does not verify, or the request is not one this
// browser started.
var (
	ErrUnavailable = errors.New("identity provider unavailable")
	ErrExchange    = errors.New("code exchange refused")
	ErrClientCert  = errors.New("client certificate refused or missing")
	ErrToken       = errors.New("token does not verify")
	ErrState       = errors.New("unknown or spent login state")
	ErrDenied      = errors.New("the provider answered with an error")
)

// Pending is a login sent to a provider and not yet back: what the return must
// match (the state, the nonce in the ID token) and prove (the PKCE verifier).
type Pending struct {
	State    string
	Nonce    string
	Verifier string
}

// Providers are the configured providers, each discovered at its first use (so
// that the instance starts while a provider is down) and kept once discovered.
type Providers struct {
	list        []Provider
	redirectFor func(id string) string
	// Timeout bounds each call to a provider.
	Timeout time.Duration

	mu  sync.Mutex
	rps map[string]rp.RelyingParty
}

// NewProviders serves cfg's providers; redirectFor gives the redirect URI of each.
func NewProviders(cfg Config, redirectFor func(id string) string) *Providers {
	return &Providers{list: cfg.Providers, redirectFor: redirectFor, Timeout: 15 * time.Second, rps: map[string]rp.RelyingParty{}}
}

// List is the providers, in the file's order.
func (ps *Providers) List() []Provider {
	if ps == nil {
		return nil
	}
	return ps.list
}

// Get returns the provider with that id.
func (ps *Providers) Get(id string) (Provider, bool) {
	for _, p := range ps.List() {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// RedirectURI is the address to register at the provider.
func (ps *Providers) RedirectURI(id string) string { return ps.redirectFor(id) }

func (ps *Providers) client(p Provider) *http.Client {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: p.roots}
	if p.cert != nil {
		// Client authentication by mutual TLS (RFC 8705 §2), which Pro Santé
		// Connect asks at its token endpoint: the certificate is offered to any
		// endpoint of the provider that requests one.
		cfg.Certificates = []tls.Certificate{*p.cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: ps.Timeout}
}

type nonceKey struct{}

// party is the provider's relying party, discovering it if needed.
func (ps *Providers) party(ctx context.Context, p Provider) (rp.RelyingParty, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if r, ok := ps.rps[p.ID]; ok {
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ps.Timeout)
	defer cancel()
	r, err := rp.NewRelyingPartyOIDC(ctx, p.Issuer, p.ClientID, p.secret, ps.redirectFor(p.ID), p.Scopes,
		rp.WithHTTPClient(ps.client(p)),
		rp.WithVerifierOpts(rp.WithNonce(func(ctx context.Context) string {
			n, _ := ctx.Value(nonceKey{}).(string)
			return n
		})))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: discovery: %v", ErrUnavailable, p.ID, err)
	}
	ps.rps[p.ID] = r
	return r, nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin draws a login's state, nonce and PKCE verifier and returns the address to
// send the browser to. The caller keeps the Pending until the return.
func (ps *Providers) Begin(ctx context.Context, id string) (string, Pending, error) {
	p, ok := ps.Get(id)
	if !ok {
		return "", Pending{}, fmt.Errorf("%w: no provider %q", ErrState, id)
	}
	r, err := ps.party(ctx, p)
	if err != nil {
		return "", Pending{}, err
	}
	pend := Pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	opts := []rp.AuthURLOpt{rp.WithCodeChallenge(oidc.NewSHACodeChallenge(pend.Verifier)), param("nonce", pend.Nonce)}
	if p.Profile == PSC {
		// Pro Santé Connect expects an acr_values parameter; eidas1 is the value its
		// integration examples send (LemonLDAP::NG's Pro Santé Connect page).
		opts = append(opts, param("acr_values", "eidas1"))
	}
	return rp.AuthURL(pend.State, r, opts...), pend, nil
}

func param(k, v string) rp.AuthURLOpt {
	return func() []oauth2.AuthCodeOption { return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam(k, v)} }
}

// Finish exchanges the code of a login started with pend, verifies the ID token
// (signature by the provider's keys, issuer, audience, expiry, nonce) and the
// userinfo answer, and returns who the person is.
func (ps *Providers) Finish(ctx context.Context, id string, pend Pending, code string) (Identity, error) {
	p, ok := ps.Get(id)
	if !ok {
		return Identity{}, fmt.Errorf("%w: no provider %q", ErrState, id)
	}
	r, err := ps.party(ctx, p)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, nonceKey{}, pend.Nonce), ps.Timeout)
	defer cancel()
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, r, rp.WithCodeVerifier(pend.Verifier))
	if err != nil {
		return Identity{}, classify(err)
	}
	claims, err := payload(tokens.IDToken)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if r.UserinfoEndpoint() != "" {
		info, err := ps.userinfo(ctx, r, p, tokens.AccessToken, tokens.IDTokenClaims.Subject)
		if err != nil {
			return Identity{}, err
		}
		for k, v := range info {
			claims[k] = v
		}
	}
	// The ID token's own word on how the person logged in is kept over userinfo's.
	claims["acr"], claims["amr"] = tokens.IDTokenClaims.AuthenticationContextClassReference, []any{}
	for _, m := range tokens.IDTokenClaims.AuthenticationMethodsReferences {
		claims["amr"] = append(claims["amr"].([]any), m)
	}
	who, err := fromClaims(p.ID, p.Profile, claims)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	return who, nil
}

// classify names the cause of a failed exchange: a transport failure (a client
// certificate the provider wanted, a provider gone), the provider's refusal, or
// a token that does not verify.
func classify(err error) error {
	var re *oauth2.RetrieveError
	var netErr net.Error
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") || strings.Contains(msg, "handshake failure"):
		return fmt.Errorf("%w: %v", ErrClientCert, err)
	case errors.As(err, &re):
		return fmt.Errorf("%w: %v", ErrExchange, err)
	case errors.As(err, &netErr):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, rp.ErrMissingIDToken):
		return fmt.Errorf("%w: %v", ErrToken, err)
	}
	return fmt.Errorf("%w: %v", ErrToken, err)
}

// payload is the claims of a token already verified, as a map.
func payload(jwt string) (map[string]any, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed ID token")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}

// userinfo asks the provider's userinfo endpoint. A signed answer
// (application/jwt, OpenID Connect Core §5.3.2) must verify with the provider's
// keys and name it as issuer and this client as audience; either way its sub must
// be the ID token's.
func (ps *Providers) userinfo(ctx context.Context, r rp.RelyingParty, p Provider, access, subject string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.UserinfoEndpoint(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Accept", "application/jwt, application/json")
	resp, err := r.HttpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: userinfo answered %s", ErrToken, resp.Status)
	}
	var info map[string]any
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/jwt" {
		jwt := strings.TrimSpace(string(body))
		var c oidc.IDTokenClaims
		raw, err := oidc.ParseToken(jwt, &c)
		if err == nil {
			err = oidc.CheckSignature(ctx, jwt, raw, &c, nil, r.IDTokenVerifier().KeySet)
		}
		if err == nil {
			err = oidc.CheckIssuerWithISSVerifier(&c, p.Issuer, nil)
		}
		if err == nil {
			err = oidc.CheckAudience(&c, p.ClientID)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: signed userinfo: %v", ErrToken, err)
		}
		if info, err = payload(jwt); err != nil {
			return nil, fmt.Errorf("%w: signed userinfo: %v", ErrToken, err)
		}
	} else if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrToken, err)
	}
	if str(info["sub"]) != subject {
		return nil, fmt.Errorf("%w: userinfo is about another subject", ErrToken)
	}
	// Time and audience claims of a signed answer are not the person's.
	for _, k := range []string{"iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "azp"} {
		delete(info, k)
	}
	return info, nil
}
