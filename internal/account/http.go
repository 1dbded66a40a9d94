package account

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// CookieName is the session cookie.
const CookieName = "care_session"

// Handler serves the account pages and API.
type Handler struct {
	web.Pages
	Accounts      *Service
	SecureCookies bool
	// Providers are the OpenID Providers of the login page; nil for none.
	Providers *identity.Providers
	// Widen adds to a subject the grants it holds for a while rather than by
	// role (an establishment's sharing with CERT Santé for an incident); wired
	// by the server, nil for none.
	Widen func(context.Context, authz.Subject) authz.Subject
}

// subject is the user's subject, widened.
func (h *Handler) subject(ctx context.Context, u User) authz.Subject {
	s := u.Subject()
	if h.Widen != nil {
		s = h.Widen(ctx, s)
	}
	return s
}

// Current is the logged-in user of a request and how they came in.
type Current struct {
	User    User
	Session Session
	Token   string // session cookie value ("" for API tokens)
	API     bool
}

type currentKey struct{}

// CurrentFrom returns the request's user, if logged in (fully or half-way).
func CurrentFrom(ctx context.Context) (Current, bool) {
	c, ok := ctx.Value(currentKey{}).(Current)
	return c, ok
}

// Identify recognises the caller by bearer token or session cookie. A fully logged-in
// caller gets their subject in the context; a half-logged-in one only the Current
// needed by the second-factor pages. A bad bearer token is refused at once.
func (h *Handler) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if auth := r.Header.Get("Authorization"); auth != "" {
			secret, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				web.Problem(w, r, problem.New(problem.Unauthorized, "account.error.token_invalid"))
				return
			}
			u, err := h.Accounts.AuthenticateToken(ctx, strings.TrimSpace(secret))
			if err != nil {
				web.Problem(w, r, err)
				return
			}
			ctx = context.WithValue(ctx, currentKey{}, Current{User: u, API: true})
			second := u.NeedsSecondFactor()
			ctx = web.WithRecheck(ctx, func(ctx context.Context) error {
				return h.Accounts.TokenStill(ctx, strings.TrimSpace(secret), second)
			})
			next.ServeHTTP(w, r.WithContext(authz.WithSubject(ctx, h.subject(ctx, u))))
			return
		}
		if c, _ := r.Cookie(CookieName); c != nil && c.Value != "" {
			ctx = h.session(w, r, c.Value)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// session is the context of a request carrying the session cookie token: with
// the caller's Current, and their subject once fully logged in. A session that is
// over leaves the context as it was and its cookie is cleared.
func (h *Handler) session(w http.ResponseWriter, r *http.Request, token string) context.Context {
	ctx := r.Context()
	sess, u, err := h.Accounts.Lookup(ctx, token)
	if problem.Is(err, problem.Unauthorized) {
		h.clearCookie(w)
		return ctx
	}
	if err != nil {
		web.LogIfInternal(r, err)
		return ctx
	}
	ctx = context.WithValue(ctx, currentKey{}, Current{User: u, Session: sess, Token: token})
	if sess.Stage == StageFull {
		ctx = authz.WithSubject(ctx, h.subject(ctx, u))
	}
	stored := sess.Stage
	if sess.BelowPolicy {
		stored = StageFull
	}
	return web.WithRecheck(ctx, func(ctx context.Context) error {
		return h.Accounts.SessionStill(ctx, token, stored)
	})
}

// currentToken is the session cookie of the request's session, if any (a
// session below the policy that a new login raises).
func currentToken(r *http.Request) string {
	if cur, ok := CurrentFrom(r.Context()); ok {
		return cur.Token
	}
	return ""
}

// RequireLogin sends anonymous visitors to the login page, and half-logged-in ones to
// their second-factor step.
func (h *Handler) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := authz.FromContext(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if cur, ok := CurrentFrom(r.Context()); ok {
			web.Redirect(w, r, stageURL(cur.Session.Stage))
			return
		}
		target := "/connexion"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?retour=" + r.URL.EscapedPath()
		}
		web.Redirect(w, r, target)
	})
}

// RequireToken refuses API calls without a valid bearer token; a browser whose
// session is below the policy is told so (403), not merely asked for a token.
func RequireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur, ok := CurrentFrom(r.Context())
		if ok && !cur.API && cur.Session.BelowPolicy {
			web.Problem(w, r, problem.New(problem.Forbidden, "account.error.assurance_required"))
			return
		}
		if !ok || !cur.API {
			web.Problem(w, r, problem.New(problem.Unauthorized, "account.error.token_required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func stageURL(stage string) string {
	switch stage {
	case StageTOTP:
		return "/connexion/code"
	case StageEnrol:
		return "/connexion/double-facteur"
	case StagePassword:
		return "/connexion/mot-de-passe"
	}
	return "/"
}

func (h *Handler) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.Accounts.absolute() / time.Second)})
}

func (h *Handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// ---- login pages ----

// LoginPage shows the login form.
func (h *Handler) LoginPage(w http.ResponseWriter, r *http.Request) {
	v := h.loginView(r, map[string]string{"retour": web.LocalPath(r.URL.Query().Get("retour"))})
	h.Render.Render(w, http.StatusOK, "login", v)
}

// Login checks the password and opens the session at the stage it allows.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	u, err := h.Accounts.Authenticate(r.Context(), email, password, web.ClientIP(r))
	if err != nil {
		v := h.loginView(r, map[string]string{"email": email, "retour": web.LocalPath(r.PostFormValue("retour"))})
		h.Again(w, r, "login", v, err)
		return
	}
	token, stage, err := h.Accounts.StartSession(r.Context(), u, web.ClientIP(r), r.UserAgent())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	rememberLocale(w, u)
	h.setCookie(w, token)
	if stage == StageFull {
		web.Redirect(w, r, web.LocalPath(r.PostFormValue("retour")))
		return
	}
	web.Redirect(w, r, stageURL(stage))
}

// rememberLocale keeps the account's language for the pages after login.
func rememberLocale(w http.ResponseWriter, u User) {
	if locale, ok := i18n.Parse(u.Locale); ok {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: string(locale), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
}

// atStage returns the half-open session of the request when it is at stage; any
// other request is sent back to the login page.
func atStage(w http.ResponseWriter, r *http.Request, stage string) (Current, bool) {
	cur, ok := CurrentFrom(r.Context())
	if !ok || cur.Session.Stage != stage {
		web.Redirect(w, r, "/connexion")
		return Current{}, false
	}
	return cur, true
}

// stagePage shows the page of a login step to a session at that step.
func (h *Handler) stagePage(stage, name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := atStage(w, r, stage); ok {
			h.Render.Render(w, http.StatusOK, name, h.View(r, title))
		}
	}
}

// CodePage asks for the TOTP code of a half-open session.
func (h *Handler) CodePage(w http.ResponseWriter, r *http.Request) {
	h.stagePage(StageTOTP, "login-code", "login.code_title")(w, r)
}

// Code checks the TOTP code and completes the login.
func (h *Handler) Code(w http.ResponseWriter, r *http.Request) {
	cur, ok := atStage(w, r, StageTOTP)
	if !ok {
		return
	}
	token, err := h.Accounts.VerifyTOTP(r.Context(), cur.Token, r.PostFormValue("code"), web.ClientIP(r))
	if err != nil {
		h.Again(w, r, "login-code", h.View(r, "login.code_title"), err)
		return
	}
	h.setCookie(w, token)
	web.Redirect(w, r, "/")
}

// FirstPasswordPage asks a person who logged in with a one-time password for
// their own.
func (h *Handler) FirstPasswordPage(w http.ResponseWriter, r *http.Request) {
	h.stagePage(StagePassword, "login-password", "login.password_title")(w, r)
}

// FirstPassword sets that password and goes on to the second factor, if any.
func (h *Handler) FirstPassword(w http.ResponseWriter, r *http.Request) {
	cur, ok := atStage(w, r, StagePassword)
	if !ok {
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		h.Again(w, r, "login-password", h.View(r, "login.password_title"), mismatch())
		return
	}
	token, stage, err := h.Accounts.SetFirstPassword(r.Context(), cur.Token, r.PostFormValue("password"))
	if err != nil {
		h.Again(w, r, "login-password", h.View(r, "login.password_title"), err)
		return
	}
	h.setCookie(w, token)
	web.Redirect(w, r, stageURL(stage))
}

// Logout ends the session.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	if cur, ok := CurrentFrom(r.Context()); ok && cur.Token != "" {
		if err := h.Accounts.Logout(r.Context(), cur.Token); err != nil {
			web.LogIfInternal(r, err)
		}
	}
	h.clearCookie(w)
	web.Redirect(w, r, "/connexion")
}

// ForgotPage asks for the address to send a reset link to.
func (h *Handler) ForgotPage(w http.ResponseWriter, r *http.Request) {
	h.Render.Render(w, http.StatusOK, "forgot", h.View(r, "forgot.title"))
}

// Forgot sends the reset link; the answer does not tell whether the account exists.
func (h *Handler) Forgot(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "forgot.title")
	err := h.Accounts.RequestReset(r.Context(), r.PostFormValue("email"), v.Lang)
	if errors.Is(err, mail.ErrNotConfigured) {
		v.Error = v.T("forgot.no_mail")
		h.Render.Render(w, http.StatusServiceUnavailable, "forgot", v)
		return
	}
	if err != nil {
		slog.Error("password reset mail", "err", err)
		v.Error = v.T("forgot.send_failed")
		h.Render.Render(w, http.StatusBadGateway, "forgot", v)
		return
	}
	v.Flash = "forgot.sent"
	h.Render.Render(w, http.StatusOK, "forgot", v)
}

// ResetPage shows the new-password form of a reset link.
func (h *Handler) ResetPage(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "reset.title")
	v.Form = map[string]string{"token": r.PathValue("token")}
	if err := h.Accounts.CheckReset(r.Context(), r.PathValue("token")); err != nil {
		h.Again(w, r, "reset", v, err)
		return
	}
	h.Render.Render(w, http.StatusOK, "reset", v)
}

// Reset sets the new password.
func (h *Handler) Reset(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	err := mismatch()
	if r.PostFormValue("password") == r.PostFormValue("confirm") {
		err = h.Accounts.Reset(r.Context(), token, r.PostFormValue("password"))
	}
	if err != nil {
		v := h.View(r, "reset.title")
		v.Form = map[string]string{"token": token}
		h.Again(w, r, "reset", v, err)
		return
	}
	web.Done(w, r, "reset.done", "/connexion")
}

func mismatch() error {
	var c problem.Checks
	c.Add("confirm", "account.error.confirm")
	return c.Err()
}

// SetLanguage switches the interface language and remembers it for the account.
func (h *Handler) SetLanguage(w http.ResponseWriter, r *http.Request) {
	l, ok := i18n.Parse(r.PostFormValue("lang"))
	if ok {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		if cur, logged := CurrentFrom(r.Context()); logged {
			if err := h.Accounts.SetLocale(r.Context(), cur.User.ID, l); err != nil {
				web.LogIfInternal(r, err)
			}
		}
	}
	web.Redirect(w, r, web.LocalPath(r.PostFormValue("back")))
}

// ---- profile ----

type profileData struct {
	User     User
	Passkeys []Passkey
	Sessions []Session
	Tokens   []Token
	NewToken string
	Now      time.Time
}

// profile shows the profile page, with the errors of a refused form when formErr
// is set.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, v *web.View, newToken string, formErr error) {
	cur, _ := CurrentFrom(r.Context())
	sessions, err := h.Accounts.Sessions(r.Context(), cur.User.ID, cur.Token)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	for i, sess := range sessions {
		if p, ok := h.Providers.Get(sess.Provider); ok {
			sessions[i].Provider = p.Name
		}
	}
	tokens, err := h.Accounts.Tokens(r.Context(), cur.User.ID)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	passkeys, err := h.Accounts.Passkeys(r.Context(), cur.User.ID)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v.Data = profileData{User: cur.User, Passkeys: passkeys, Sessions: sessions, Tokens: tokens, NewToken: newToken, Now: time.Now()}
	if formErr != nil {
		h.Again(w, r, "profile", v, formErr)
		return
	}
	h.Render.Render(w, http.StatusOK, "profile", v)
}

// Profile shows the user's account: password, second factor, sessions, tokens.
func (h *Handler) Profile(w http.ResponseWriter, r *http.Request) {
	h.profile(w, r, h.View(r, "profile.title"), "", nil)
}

// ChangePassword changes the password from the profile.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	var err error
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		err = mismatch()
	} else {
		err = h.Accounts.ChangePassword(r.Context(), cur.User.ID, r.PostFormValue("current"), r.PostFormValue("password"), cur.Token)
	}
	if err != nil {
		h.profile(w, r, h.View(r, "profile.title"), "", err)
		return
	}
	web.Done(w, r, "profile.password_changed", "/profil")
}

// RevokeSession ends one of the user's sessions.
func (h *Handler) RevokeSession(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	if err := h.Accounts.RevokeSession(r.Context(), cur.User.ID, r.PathValue("handle")); err != nil {
		h.Fail(w, r, err)
		return
	}
	web.Done(w, r, "profile.session_revoked", "/profil")
}

// CreateToken issues an API token and shows it once.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	_, secret, err := h.Accounts.CreateToken(r.Context(), cur.User.ID, r.PostFormValue("name"), time.Duration(days)*24*time.Hour)
	v := h.View(r, "profile.title")
	if err != nil {
		h.profile(w, r, v, "", err)
		return
	}
	v.Flash = "profile.token_created"
	h.profile(w, r, v, secret, nil)
}

// RevokeToken revokes one of the user's tokens.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.Accounts.RevokeToken(r.Context(), cur.User.ID, id); err != nil {
		h.Fail(w, r, err)
		return
	}
	web.Done(w, r, "profile.token_revoked", "/profil")
}
