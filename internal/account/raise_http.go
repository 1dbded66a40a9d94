package account

import (
	"net/http"
	"slices"
	"strings"

	"care/internal/identity"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// The page that raises a session to the policy of its owner's roles
// (/connexion/double-facteur, StageEnrol): enrol TOTP, use or register a
// passkey, or log in through a provider the policy accepts. Each upgrades the
// same session (new cookie value, method and level). From the profile, the
// same page only enrols TOTP.

type enrolData struct {
	Secret string
	URI    string
	Login  bool // part of a login (raising the session) rather than from the profile
	// What the policy asks and what can meet it.
	Required   Assurance
	Ways       []wayLabel
	TOTP       bool // enrolling TOTP would meet it
	UsePasskey bool // a passkey the person holds would meet it
	AddPasskey bool // registering a first means: a passkey would meet it
	Providers  []identity.Provider
}

// raising is what the raising page offers to cur.
func (h *Handler) raising(cur Current) enrolData {
	u := cur.User
	d := enrolData{Login: cur.Session.Stage == StageEnrol, TOTP: !u.TOTPEnabled}
	if !d.Login {
		return d
	}
	req := u.Policy
	ways := req.Ways()
	d.Required, d.Ways = req.Strongest(), h.wayLabels(ways)
	d.TOTP = !u.TOTPEnabled && req.Allows(SessionProof(cur.Session.Method, cur.Session.Provider, cur.Session.Assurance).withCode())
	holds := slices.ContainsFunc(u.Proofs, func(p Proof) bool { return p.Method == MethodPasskey })
	d.UsePasskey = holds && req.Allows(passkeyProof)
	d.AddPasskey = !u.MeetsPolicy() && req.Allows(passkeyProof)
	for _, p := range h.Providers.List() {
		if ways == nil || slices.Contains(ways, WayOIDCPrefix+p.ID) {
			d.Providers = append(d.Providers, p)
		}
	}
	return d
}

// wayLabel is a way of a policy as shown: its kind (policy.way.<Key>) and,
// for a provider, its name.
type wayLabel struct {
	Key      string
	Provider string
}

func (h *Handler) wayLabels(ways []string) []wayLabel {
	var out []wayLabel
	for _, w := range ways {
		id, ok := strings.CutPrefix(w, WayOIDCPrefix)
		if !ok {
			out = append(out, wayLabel{Key: w})
			continue
		}
		name := id
		if p, found := h.Providers.Get(id); found {
			name = p.Name
		}
		out = append(out, wayLabel{Key: "oidc", Provider: name})
	}
	return out
}

// withCode is the proof once a TOTP code is added to it (rotate).
func (p Proof) withCode() Proof {
	switch p.Method {
	case MethodPassword:
		p.Method = MethodPasswordTOTP
	case MethodOIDC:
		p.Method = MethodOIDCTOTP
	default:
		return p
	}
	if !p.Level.AtLeast(identity.Substantial) {
		p.Level = identity.Substantial
	}
	return p
}

// enrolling returns the request's session when it may see the page: being
// raised, or complete and without TOTP (from the profile).
func enrolling(w http.ResponseWriter, r *http.Request) (Current, bool) {
	cur, ok := CurrentFrom(r.Context())
	if !ok || cur.API || (cur.Session.Stage != StageEnrol && (cur.Session.Stage != StageFull || cur.User.TOTPEnabled)) {
		web.Redirect(w, r, "/")
		return Current{}, false
	}
	return cur, true
}

// EnrolPage shows the raising page, with a new TOTP secret to add to an
// authenticator app when TOTP would do.
func (h *Handler) EnrolPage(w http.ResponseWriter, r *http.Request) {
	cur, ok := enrolling(w, r)
	if !ok {
		return
	}
	d := h.raising(cur)
	if d.TOTP {
		secret, err := h.Accounts.BeginEnrolment(r.Context(), cur.User.ID)
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		d.Secret, d.URI = secret, TOTPURI(secret, cur.User.Email)
	}
	v := h.View(r, enrolTitle(d))
	v.Data = d
	h.Render.Render(w, http.StatusOK, "totp-enrol", v)
}

func enrolTitle(d enrolData) string {
	if d.Login {
		return "raise.title"
	}
	return "totp.title"
}

// Enrol confirms the enrolment with a first code.
func (h *Handler) Enrol(w http.ResponseWriter, r *http.Request) {
	cur, ok := enrolling(w, r)
	if !ok {
		return
	}
	keep := ""
	if cur.Session.Stage == StageEnrol {
		keep = cur.Token
	}
	token, err := h.Accounts.ConfirmEnrolment(r.Context(), cur.User.ID, r.PostFormValue("code"), keep)
	if err != nil {
		d := h.raising(cur)
		d.Secret, _ = h.Accounts.PendingSecret(r.Context(), cur.User.ID)
		d.URI = TOTPURI(d.Secret, cur.User.Email)
		v := h.View(r, enrolTitle(d))
		v.Data = d
		h.Again(w, r, "totp-enrol", v, err)
		return
	}
	if token != "" {
		h.setCookie(w, token)
	}
	to := "/profil"
	if keep != "" {
		to = "/"
	}
	web.Done(w, r, "totp.enabled", to)
}

// raisingWithPasskey returns the session being raised when registering a
// passkey may raise it: the person holds nothing the policy accepts yet (a
// first means, as a first TOTP enrolment), and a passkey would meet it.
func (h *Handler) raisingWithPasskey(w http.ResponseWriter, r *http.Request) (Current, bool) {
	cur, ok := CurrentFrom(r.Context())
	if !ok || cur.API || cur.Session.Stage != StageEnrol || !h.raising(cur).AddPasskey {
		web.Problem(w, r, problem.New(problem.Forbidden, "account.error.assurance_required"))
		return Current{}, false
	}
	return cur, true
}

// RaisePasskeyOptions starts the registration of a first passkey from the
// raising page.
func (h *Handler) RaisePasskeyOptions(w http.ResponseWriter, r *http.Request) {
	if cur, ok := h.raisingWithPasskey(w, r); ok {
		h.sendOptions(w, r)(h.Accounts.BeginPasskeyRegistration(r.Context(), cur.User.ID))
	}
}

// RaisePasskey keeps that passkey and raises the session with it.
func (h *Handler) RaisePasskey(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.raisingWithPasskey(w, r)
	if !ok {
		return
	}
	if token, ok := h.registerPasskey(w, r, cur, cur.Token); ok {
		h.setCookie(w, token)
		web.JSON(w, http.StatusCreated, map[string]string{"redirect": "/"})
	}
}
