package account

import (
	"errors"
	"log/slog"
	"net/http"

	"care/internal/identity"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// oidcCookie binds a login sent to a provider to the browser that started it:
// a return carrying another browser's state is refused (login CSRF).
const oidcCookie = "care_oidc"

// loginData is what the login page shows besides the form: a button per provider.
type loginData struct {
	Providers []identity.Provider
}

// loginView is the login page's view, refilled with retour.
func (h *Handler) loginView(r *http.Request, form map[string]string) *web.View {
	v := h.View(r, "login.title")
	v.Form = form
	v.Data = loginData{Providers: h.Providers.List()}
	return v
}

// OIDCStart sends the browser to the provider with a new state, nonce and PKCE
// challenge, kept (hashed) until it comes back.
func (h *Handler) OIDCStart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := h.Providers.Get(id); !ok {
		h.Fail(w, r, problem.ErrNotFound)
		return
	}
	retour := web.LocalPath(r.URL.Query().Get("retour"))
	to, pend, err := h.Providers.Begin(r.Context(), id)
	if err == nil {
		err = h.Accounts.SaveOIDCState(r.Context(), id, pend, retour)
	}
	if err != nil {
		h.oidcRefused(w, r, id, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: pend.State, Path: "/connexion/oidc/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(oidcStateValidity.Seconds())})
	http.Redirect(w, r, to, http.StatusFound)
}

// OIDCReturn is where the provider sends the browser back: the state must be the
// one this browser left with, the code is exchanged and what comes back verified;
// then the identity's account gets a session, or nothing happens.
func (h *Handler) OIDCReturn(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := h.Providers.Get(id); !ok {
		h.Fail(w, r, problem.ErrNotFound)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/connexion/oidc/", HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	q := r.URL.Query()
	state := q.Get("state")
	if c, _ := r.Cookie(oidcCookie); c == nil || state == "" || c.Value != state {
		h.oidcRefused(w, r, id, identity.ErrState)
		return
	}
	pend, retour, err := h.Accounts.TakeOIDCState(r.Context(), id, state)
	if err != nil {
		h.oidcRefused(w, r, id, err)
		return
	}
	if e := q.Get("error"); e != "" {
		slog.Info("oidc: the provider answered with an error", "provider", id, "error", e, "description", q.Get("error_description"))
		h.oidcRefused(w, r, id, identity.ErrDenied)
		return
	}
	who, err := h.Providers.Finish(r.Context(), id, pend, q.Get("code"))
	if err != nil {
		h.oidcRefused(w, r, id, err)
		return
	}
	u, token, stage, err := h.Accounts.OIDCLogin(r.Context(), who, currentToken(r), web.ClientIP(r), r.UserAgent())
	if err != nil {
		h.oidcRefused(w, r, id, err)
		return
	}
	rememberLocale(w, u)
	h.setCookie(w, token)
	if stage == StageFull {
		web.Redirect(w, r, web.LocalPath(retour))
		return
	}
	web.Redirect(w, r, stageURL(stage))
}

// oidcReasons names each failure for the person and for the audit trail.
var oidcReasons = []struct {
	err    error
	reason string
	key    string
	status int
}{
	{identity.ErrState, "state", "account.error.oidc_state", http.StatusBadRequest},
	{identity.ErrUnavailable, "unavailable", "account.error.oidc_unavailable", http.StatusBadGateway},
	{identity.ErrClientCert, "client_certificate", "account.error.oidc_client_certificate", http.StatusBadGateway},
	{identity.ErrExchange, "exchange", "account.error.oidc_exchange", http.StatusBadGateway},
	{identity.ErrToken, "token", "account.error.oidc_token", http.StatusBadGateway},
	{identity.ErrDenied, "denied", "account.error.oidc_denied", http.StatusUnauthorized},
}

// oidcRefused records a refused login and shows the login page with its reason.
func (h *Handler) oidcRefused(w http.ResponseWriter, r *http.Request, provider string, err error) {
	reason, key, status := "", "", 0
	for _, c := range oidcReasons {
		if errors.Is(err, c.err) {
			reason, key, status = c.reason, c.key, c.status
			break
		}
	}
	var p *problem.Error
	switch {
	case reason != "":
		slog.Warn("oidc: login refused", "provider", provider, "reason", reason, "err", err)
	case errors.As(err, &p):
		reason, key, status = p.Key[len("account.error."):], p.Key, web.Status(err)
	default:
		h.Fail(w, r, err)
		return
	}
	if aerr := h.Accounts.OIDCFailure(r.Context(), provider, reason); aerr != nil {
		web.LogIfInternal(r, aerr)
	}
	v := h.loginView(r, map[string]string{"retour": "/"})
	v.Error = v.T(key)
	h.Render.Render(w, status, "login", v)
}
