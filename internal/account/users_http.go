package account

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// Users serves user management; Orgs offers the nodes where the caller may give
// roles (org.Service.GrantChooser).
type Users struct {
	*Handler
	Orgs *org.Service
}

type usersData struct {
	Users  []User
	Total  int
	Query  string
	Offset int
	Limit  int
	Can    bool
}

// List shows the users the caller may see.
func (h *Users) List(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	users, total, err := h.Accounts.List(r.Context(), UserFilter{Query: q, Limit: 50, Offset: offset})
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "users.title")
	v.Data = usersData{Users: users, Total: total, Query: q, Offset: max(offset, 0), Limit: 50, Can: authz.Current(r.Context()).CanAnywhere(authz.UserManage)}
	h.Render.Render(w, http.StatusOK, "users", v)
}

type userFormData struct {
	Roles []authz.Role
	// Chooser offers the nodes of the role form: a select when few, else a search
	// that comes back to the page with ?org=ID.
	Chooser web.Chooser
	User    User
	// Password is the one-time password of an account just created, shown once
	// (the page then answers 201).
	Password string
}

// form renders the user page name (user-new or user-detail) with its role form,
// whose node is v.Form["org"]; with the errors of a refused form when formErr is set.
func (h *Users) form(w http.ResponseWriter, r *http.Request, v *web.View, name string, d userFormData, formErr error) {
	target := "/utilisateurs/nouveau"
	if name != "user-new" {
		target = "/utilisateurs/" + strconv.FormatInt(d.User.ID, 10)
	}
	chosen, _ := strconv.ParseInt(v.Form["org"], 10, 64)
	c, err := h.Orgs.GrantChooser(r.Context(), target, chosen)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d.Roles, d.Chooser = authz.Roles, c
	v.Data = d
	switch {
	case formErr != nil:
		h.Again(w, r, name, v, formErr)
	case d.Password != "":
		h.Render.Render(w, http.StatusCreated, name, v)
	default:
		h.Render.Render(w, http.StatusOK, name, v)
	}
}

// chosenOrg is the node a user page was sent back with by the node search
// (?org=ID), as the role form's value.
func chosenOrg(r *http.Request) (map[string]string, error) {
	id, err := web.OrgParam(r)
	if err != nil || id == 0 {
		return map[string]string{}, err
	}
	return map[string]string{"org": strconv.FormatInt(id, 10)}, nil
}

// NewPage shows the account creation form.
func (h *Users) NewPage(w http.ResponseWriter, r *http.Request) {
	if !authz.Current(r.Context()).CanAnywhere(authz.UserManage) {
		h.Fail(w, r, problem.New(problem.Forbidden, "error.forbidden"))
		return
	}
	form, err := chosenOrg(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "users.new_title")
	v.Form = form
	h.form(w, r, v, "user-new", userFormData{}, nil)
}

// Create creates an account and shows its one-time password.
func (h *Users) Create(w http.ResponseWriter, r *http.Request) {
	orgID, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	n := NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: authz.Role(r.PostFormValue("role")), OrgID: orgID}
	u, password, err := h.Accounts.Create(r.Context(), n)
	if err != nil {
		v := h.View(r, "users.new_title")
		v.Form = map[string]string{"email": n.Email, "name": n.Name, "role": string(n.Role), "org": r.PostFormValue("org")}
		h.form(w, r, v, "user-new", userFormData{}, err)
		return
	}
	v := h.View(r, "users.created_title")
	v.Flash = "users.created"
	v.Form = map[string]string{}
	h.form(w, r, v, "user-detail", userFormData{User: u, Password: password}, nil)
}

// Detail shows one user and their roles within the caller's scope.
func (h *Users) Detail(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	form, err := chosenOrg(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	u, err := h.Accounts.Get(r.Context(), id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "users.detail_title")
	v.Flash = web.TakeFlash(w, r)
	v.Form = form
	h.form(w, r, v, "user-detail", userFormData{User: u}, nil)
}

// Grant gives the user a role.
func (h *Users) Grant(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	orgID, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	if err := h.Accounts.Grant(r.Context(), id, authz.Role(r.PostFormValue("role")), orgID); err != nil {
		u, gerr := h.Accounts.Get(r.Context(), id)
		if gerr != nil {
			h.Fail(w, r, gerr)
			return
		}
		v := h.View(r, "users.detail_title")
		v.Form = map[string]string{"role": r.PostFormValue("role"), "org": r.PostFormValue("org")}
		h.form(w, r, v, "user-detail", userFormData{User: u}, err)
		return
	}
	web.Done(w, r, "users.granted", userPath(id))
}

func userPath(id int64) string { return "/utilisateurs/" + strconv.FormatInt(id, 10) }

// Revoke removes one of the user's roles.
func (h *Users) Revoke(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	mid, err := web.PathID(r, "mid")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.Accounts.Revoke(r.Context(), id, mid); err != nil {
		h.Fail(w, r, err)
		return
	}
	web.Done(w, r, "users.revoked", userPath(id))
}

// SetDisabled disables (POST …/desactiver) or re-enables (…/reactiver) an account.
func (h *Users) SetDisabled(disable bool) http.HandlerFunc {
	flash := map[bool]string{true: "users.disabled", false: "users.enabled"}[disable]
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		if err := h.Accounts.SetDisabled(r.Context(), id, disable); err != nil {
			h.Fail(w, r, err)
			return
		}
		web.Done(w, r, flash, userPath(id))
	}
}

// SetProfessionalID records the national professional identifier of an account.
func (h *Users) SetProfessionalID(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.Accounts.SetProfessionalID(r.Context(), id, r.PostFormValue("professional_id")); err != nil {
		u, gerr := h.Accounts.Get(r.Context(), id)
		if gerr != nil {
			h.Fail(w, r, gerr)
			return
		}
		v := h.View(r, "users.detail_title")
		v.Form = map[string]string{"professional_id": r.PostFormValue("professional_id")}
		h.form(w, r, v, "user-detail", userFormData{User: u}, err)
		return
	}
	web.Done(w, r, "users.professional_id_saved", userPath(id))
}

// ---- API ----

// UserJSON is a user as the API shows it.
type UserJSON struct {
	ID          int64            `json:"id"`
	Email       string           `json:"email"`
	Name        string           `json:"name"`
	TOTP        bool             `json:"totp_enabled"`
	Disabled    bool             `json:"disabled"`
	CreatedAt   time.Time        `json:"created_at"`
	LastLoginAt *time.Time       `json:"last_login_at"`
	Roles       []MembershipJSON `json:"roles"`
}

// MembershipJSON is one role at one node.
type MembershipJSON struct {
	ID    int64  `json:"id"`
	Role  string `json:"role"`
	OrgID int64  `json:"org_id"`
}

// ToJSON converts a user for the API.
func ToJSON(u User) UserJSON {
	j := UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, TOTP: u.TOTPEnabled, Disabled: u.Disabled, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, Roles: []MembershipJSON{}}
	for _, m := range u.Memberships {
		j.Roles = append(j.Roles, MembershipJSON{ID: m.ID, Role: string(m.Role), OrgID: m.OrgID})
	}
	return j
}

// APIList answers GET /api/v1/users.
func (h *Users) APIList(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := web.Pagination(r, 50, 500)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	users, total, err := h.Accounts.List(r.Context(), UserFilter{Query: r.URL.Query().Get("q"), Limit: limit, Offset: offset})
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	page := web.Page[UserJSON]{Items: []UserJSON{}, Total: total, Limit: limit, Offset: offset}
	for _, u := range users {
		page.Items = append(page.Items, ToJSON(u))
	}
	web.JSON(w, http.StatusOK, page)
}

type newUserJSON struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	OrgID int64  `json:"org_id"`
}

// APICreate answers POST /api/v1/users with the account and its one-time password.
func (h *Users) APICreate(w http.ResponseWriter, r *http.Request) {
	var in newUserJSON
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	u, password, err := h.Accounts.Create(r.Context(), NewUser{Email: in.Email, Name: in.Name, Role: authz.Role(strings.TrimSpace(in.Role)), OrgID: in.OrgID})
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, struct {
		UserJSON
		Password string `json:"one_time_password"`
	}{ToJSON(u), password})
}

// APIGet answers GET /api/v1/users/{id}.
func (h *Users) APIGet(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	u, err := h.Accounts.Get(r.Context(), id)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, ToJSON(u))
}

// APISetDisabled answers POST /api/v1/users/{id}/disable and …/enable.
func (h *Users) APISetDisabled(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err != nil {
			web.Problem(w, r, err)
			return
		}
		if err := h.Accounts.SetDisabled(r.Context(), id, disable); err != nil {
			web.Problem(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
