package account

import (
	"net/http"
	"slices"
	"strings"

	"care/internal/authz"
	"care/internal/platform/web"
)

// The administration of identity (/administration/identite and its API): the
// providers of the --oidc-config file, read-only (edit the file and restart),
// and every role's policy, editable. Administrators only. No secret is ever
// sent back: a provider says whether it has one, nothing more.

// ProviderJSON is a configured provider as shown to administrators.
type ProviderJSON struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer"`
	Profile         string   `json:"profile"`
	ClientID        string   `json:"client_id"`
	Scopes          []string `json:"scopes"`
	MutualTLS       bool     `json:"mutual_tls"`
	ClientSecretSet bool     `json:"client_secret_set"`
	RedirectURI     string   `json:"redirect_uri"`
}

// PolicyJSON is a role's policy in the API.
type PolicyJSON struct {
	Role         string   `json:"role"`
	MinAssurance string   `json:"min_assurance"`
	Methods      []string `json:"methods"`
	Default      bool     `json:"default"`
}

func (h *Handler) providersJSON() []ProviderJSON {
	out := []ProviderJSON{}
	for _, p := range h.Providers.List() {
		out = append(out, ProviderJSON{ID: p.ID, Name: p.Name, Issuer: p.Issuer, Profile: p.Profile, ClientID: p.ClientID, Scopes: p.Scopes,
			MutualTLS: p.MutualTLS(), ClientSecretSet: p.HasSecret(), RedirectURI: h.Providers.RedirectURI(p.ID)})
	}
	return out
}

func (h *Handler) providerIDs() []string {
	var ids []string
	for _, p := range h.Providers.List() {
		ids = append(ids, p.ID)
	}
	return ids
}

func policiesJSON(ps []Policy) []PolicyJSON {
	out := make([]PolicyJSON, 0, len(ps))
	for _, p := range ps {
		m := p.Methods
		if m == nil {
			m = []string{}
		}
		out = append(out, PolicyJSON{Role: string(p.Role), MinAssurance: string(p.Min), Methods: m, Default: p.Default})
	}
	return out
}

type identityAdminData struct {
	Providers []ProviderJSON
	Policies  []Policy
	Levels    []Assurance
	Ways      []wayOption
}

// wayOption is a way a policy may name, as a checkbox.
type wayOption struct {
	Value string
	wayLabel
}

// Has reports whether p allows way (for the checkboxes).
func (p Policy) Has(way string) bool { return slices.Contains(p.Methods, way) }

func (h *Handler) identityPage(w http.ResponseWriter, r *http.Request, policies []Policy, refused error) {
	ways := []string{WayPasswordTOTP, WayPasskey}
	for _, id := range h.providerIDs() {
		ways = append(ways, WayOIDCPrefix+id)
	}
	d := identityAdminData{Providers: h.providersJSON(), Policies: policies, Levels: Assurances}
	for i, l := range h.wayLabels(ways) {
		d.Ways = append(d.Ways, wayOption{Value: ways[i], wayLabel: l})
	}
	h.Show(w, r, "identity-admin", h.View(r, "identity.title"), d, refused)
}

// IdentityPage shows the providers and the policy of each role.
func (h *Handler) IdentityPage(w http.ResponseWriter, r *http.Request) {
	policies, err := h.Accounts.Policies(r.Context())
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.identityPage(w, r, policies, nil)
}

// SavePolicies records the policy form: for each role, min.<role> and ways.<role>.
func (h *Handler) SavePolicies(w http.ResponseWriter, r *http.Request) {
	if err := canAdminister(r.Context()); err != nil {
		h.Fail(w, r, err)
		return
	}
	_ = r.ParseForm()
	var in []Policy
	for _, role := range authz.Roles {
		min := r.PostForm.Get("min." + string(role))
		if min == "" {
			continue
		}
		in = append(in, Policy{Role: role, Min: Assurance(min), Methods: r.PostForm["ways."+string(role)]})
	}
	if err := h.Accounts.SetPolicies(r.Context(), in, h.providerIDs()); err != nil {
		shown := allPolicies(map[authz.Role]Policy{})
		for i, p := range shown {
			for _, q := range in {
				if q.Role == p.Role {
					shown[i] = q
				}
			}
		}
		h.identityPage(w, r, shown, err)
		return
	}
	web.Done(w, r, "identity.saved", "/administration/identite")
}

// APIProviders lists the configured providers (no secret).
func (h *Handler) APIProviders(w http.ResponseWriter, r *http.Request) {
	if err := canAdminister(r.Context()); err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, h.providersJSON())
}

// APIPolicies lists every role's policy.
func (h *Handler) APIPolicies(w http.ResponseWriter, r *http.Request) {
	policies, err := h.Accounts.Policies(r.Context())
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, policiesJSON(policies))
}

// APISetPolicies records policies: {"policies": [{"role", "min_assurance", "methods"}]};
// a role left out keeps its own.
func (h *Handler) APISetPolicies(w http.ResponseWriter, r *http.Request) {
	if err := canAdminister(r.Context()); err != nil {
		web.Problem(w, r, err)
		return
	}
	var body struct {
		Policies []struct {
			Role         string   `json:"role"`
			MinAssurance string   `json:"min_assurance"`
			Methods      []string `json:"methods"`
		} `json:"policies"`
	}
	if err := web.DecodeJSON(w, r, &body); err != nil {
		web.Problem(w, r, err)
		return
	}
	in := make([]Policy, 0, len(body.Policies))
	for _, p := range body.Policies {
		in = append(in, Policy{Role: authz.Role(strings.TrimSpace(p.Role)), Min: Assurance(p.MinAssurance), Methods: p.Methods})
	}
	if err := h.Accounts.SetPolicies(r.Context(), in, h.providerIDs()); err != nil {
		web.Problem(w, r, err)
		return
	}
	h.APIPolicies(w, r)
}
