package account

import (
	"encoding/json"
	"io"
	"net/http"

	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// passkeyCookie carries the id of the WebAuthn ceremony under way in this browser.
const passkeyCookie = "care_webauthn"

func (h *Handler) ceremonyCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: passkeyCookie, Value: id, Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(ceremonyValidity.Seconds())})
}

// ceremony returns (and clears) the browser's ceremony id.
func (h *Handler) ceremony(w http.ResponseWriter, r *http.Request) string {
	c, _ := r.Cookie(passkeyCookie)
	http.SetCookie(w, &http.Cookie{Name: passkeyCookie, Value: "", Path: "/", HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if c == nil {
		return ""
	}
	return c.Value
}

// PasskeyOptions starts the registration of a passkey (profile page script).
func (h *Handler) PasskeyOptions(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	h.sendOptions(w, r)(h.Accounts.BeginPasskeyRegistration(r.Context(), cur.User.ID))
}

// sendOptions answers a ceremony's options, keeping its id in the browser.
func (h *Handler) sendOptions(w http.ResponseWriter, r *http.Request) func([]byte, string, error) {
	return func(opts []byte, id string, err error) {
		if err != nil {
			web.Problem(w, r, err)
			return
		}
		h.ceremonyCookie(w, id)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(opts)
	}
}

// AddPasskey keeps the passkey the authenticator made: {"name", "credential"}.
func (h *Handler) AddPasskey(w http.ResponseWriter, r *http.Request) {
	cur, _ := CurrentFrom(r.Context())
	if _, ok := h.registerPasskey(w, r, cur, ""); ok {
		web.JSON(w, http.StatusCreated, map[string]string{"redirect": "/profil"})
	}
}

// registerPasskey keeps the passkey of the request's body, {"name",
// "credential"}, for cur's account (raising the session current when given:
// FinishPasskeyRegistration); a refusal is answered.
func (h *Handler) registerPasskey(w http.ResponseWriter, r *http.Request, cur Current, current string) (string, bool) {
	var in struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return "", false
	}
	token, err := h.Accounts.FinishPasskeyRegistration(r.Context(), cur.User.ID, h.ceremony(w, r), in.Name, in.Credential, current, web.ClientIP(r), r.UserAgent())
	if err != nil {
		web.Problem(w, r, err)
		return "", false
	}
	web.SetFlash(w, "profile.passkey_added")
	return token, true
}

// RenamePasskey renames a passkey from the profile.
func (h *Handler) RenamePasskey(w http.ResponseWriter, r *http.Request) {
	h.onPasskey(w, r, "profile.passkey_renamed", func(userID, id int64) error {
		return h.Accounts.RenamePasskey(r.Context(), userID, id, r.PostFormValue("name"))
	})
}

// RevokePasskey removes a passkey from the profile.
func (h *Handler) RevokePasskey(w http.ResponseWriter, r *http.Request) {
	h.onPasskey(w, r, "profile.passkey_revoked", func(userID, id int64) error {
		return h.Accounts.RevokePasskey(r.Context(), userID, id)
	})
}

func (h *Handler) onPasskey(w http.ResponseWriter, r *http.Request, done string, fn func(userID, id int64) error) {
	cur, _ := CurrentFrom(r.Context())
	id, err := web.PathID(r, "id")
	if err == nil {
		err = fn(cur.User.ID, id)
	}
	if problem.Is(err, problem.Invalid) {
		h.profile(w, r, h.View(r, "profile.title"), "", err)
		return
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	web.Done(w, r, done, "/profil")
}

// PasskeyLoginOptions starts a login with a passkey (login page script).
func (h *Handler) PasskeyLoginOptions(w http.ResponseWriter, r *http.Request) {
	h.sendOptions(w, r)(h.Accounts.BeginPasskeyLogin(r.Context()))
}

// PasskeyLogin checks the authenticator's answer and opens the session.
func (h *Handler) PasskeyLogin(w http.ResponseWriter, r *http.Request) {
	answer, err := io.ReadAll(http.MaxBytesReader(w, r.Body, web.MaxJSONBody))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	u, token, err := h.Accounts.FinishPasskeyLogin(r.Context(), h.ceremony(w, r), answer, currentToken(r), web.ClientIP(r), r.UserAgent())
	if err != nil {
		if aerr := h.Accounts.LoginFailure(r.Context(), "account.passkey_failure", "user", "", "passkey"); aerr != nil {
			web.LogIfInternal(r, aerr)
		}
		web.Problem(w, r, err)
		return
	}
	rememberLocale(w, u)
	h.setCookie(w, token)
	web.JSON(w, http.StatusOK, map[string]string{"redirect": web.LocalPath(r.URL.Query().Get("retour"))})
}
