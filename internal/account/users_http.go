package account

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// OrgChoice is a node offered in the role form.
type OrgChoice struct {
	ID    int64
	Label string
	Level string
}

// Users serves user management; Orgs lists the nodes the caller may grant roles at.
type Users struct {
	*Handler
	Orgs func(ctx context.Context) ([]OrgChoice, error)
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
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "users.title")
	s, _ := authz.FromContext(r.Context())
	v.Data = usersData{Users: users, Total: total, Query: q, Offset: max(offset, 0), Limit: 50, Can: s.CanAnywhere(authz.UserManage)}
	h.Render.Render(w, http.StatusOK, "users", v)
}

type userFormData struct {
	Roles []authz.Role
	Orgs  []OrgChoice
	User  User
	// Password is the one-time password of an account just created, shown once.
	Password string
}

func (h *Users) form(w http.ResponseWriter, r *http.Request, status int, v *web.View, name string, u User, password string) {
	orgs, err := h.Orgs(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Data = userFormData{Roles: authz.Roles, Orgs: orgs, User: u, Password: password}
	h.Render.Render(w, status, name, v)
}

// NewPage shows the account creation form.
func (h *Users) NewPage(w http.ResponseWriter, r *http.Request) {
	s, _ := authz.FromContext(r.Context())
	if !s.CanAnywhere(authz.UserManage) {
		h.fail(w, r, problem.New(problem.Forbidden, "error.forbidden"))
		return
	}
	v := h.View(r, "users.new_title")
	v.Form = map[string]string{"org": r.URL.Query().Get("org")}
	h.form(w, r, http.StatusOK, v, "user-new", User{}, "")
}

// Create creates an account and shows its one-time password.
func (h *Users) Create(w http.ResponseWriter, r *http.Request) {
	orgID, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	n := NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: authz.Role(r.PostFormValue("role")), OrgID: orgID}
	u, password, err := h.Accounts.Create(r.Context(), n)
	if err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "users.new_title")
		v.SetError(err)
		v.Form = map[string]string{"email": n.Email, "name": n.Name, "role": string(n.Role), "org": r.PostFormValue("org")}
		h.form(w, r, web.Status(err), v, "user-new", User{}, "")
		return
	}
	v := h.View(r, "users.created_title")
	v.Flash = "users.created"
	h.form(w, r, http.StatusCreated, v, "user-detail", u, password)
}

// Detail shows one user and their roles within the caller's scope.
func (h *Users) Detail(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var u User
	if err == nil {
		u, err = h.Accounts.Get(r.Context(), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "users.detail_title")
	v.Flash = web.TakeFlash(w, r)
	h.form(w, r, http.StatusOK, v, "user-detail", u, "")
}

// Grant gives the user a role.
func (h *Users) Grant(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	orgID, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	if err := h.Accounts.Grant(r.Context(), id, authz.Role(r.PostFormValue("role")), orgID); err != nil {
		web.LogIfInternal(r, err)
		u, gerr := h.Accounts.Get(r.Context(), id)
		if gerr != nil {
			h.fail(w, r, gerr)
			return
		}
		v := h.View(r, "users.detail_title")
		v.SetError(err)
		v.Form = map[string]string{"role": r.PostFormValue("role"), "org": r.PostFormValue("org")}
		h.form(w, r, web.Status(err), v, "user-detail", u, "")
		return
	}
	web.SetFlash(w, "users.granted")
	web.Redirect(w, r, "/utilisateurs/"+strconv.FormatInt(id, 10))
}

// Revoke removes one of the user's roles.
func (h *Users) Revoke(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var mid int64
	if err == nil {
		mid, err = web.PathID(r, "mid")
	}
	if err == nil {
		err = h.Accounts.Revoke(r.Context(), id, mid)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "users.revoked")
	web.Redirect(w, r, "/utilisateurs/"+strconv.FormatInt(id, 10))
}

// SetDisabled disables (POST …/desactiver) or re-enables (…/reactiver) an account.
func (h *Users) SetDisabled(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err == nil {
			err = h.Accounts.SetDisabled(r.Context(), id, disable)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		web.SetFlash(w, map[bool]string{true: "users.disabled", false: "users.enabled"}[disable])
		web.Redirect(w, r, "/utilisateurs/"+strconv.FormatInt(id, 10))
	}
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
	var u User
	if err == nil {
		u, err = h.Accounts.Get(r.Context(), id)
	}
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
		if err == nil {
			err = h.Accounts.SetDisabled(r.Context(), id, disable)
		}
		if err != nil {
			web.Problem(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
