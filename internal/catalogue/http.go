package catalogue

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the catalogue's pages and API.
type Handler struct {
	web.Pages
	Catalogue *Service
	Orgs      *org.Service
}

// pageSize is how many offers a page lists.
const pageSize = 20

type listData struct {
	Query      Query
	Result     Result
	Regions    map[string]string
	Themes     []string
	Audiences  []string
	Providers  []string
	Costs      []string
	Prev, Next string // links to the neighbour pages; empty at an end
	Draft      Offer  // the new offer's form: empty, or as refused
	CanEdit    bool   // may add offers (pilot, GRADeS)
	CanImport  bool   // the national pilot
}

// link is the list page with the query's filters and another value for one.
func (d listData) link(offset int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": d.Query.Q, "theme": d.Query.Theme, "audience": d.Query.Audience, "provider_type": d.Query.ProviderType, "region": d.Query.Region} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	if len(v) == 0 {
		return "/offres"
	}
	return "/offres?" + v.Encode()
}

// Facet is the list page with one filter set to value (or cleared when it is
// the value already chosen).
func (d listData) Facet(name, value string) string {
	q := d
	switch name {
	case "theme":
		q.Query.Theme = toggle(d.Query.Theme, value)
	case "audience":
		q.Query.Audience = toggle(d.Query.Audience, value)
	case "provider_type":
		q.Query.ProviderType = toggle(d.Query.ProviderType, value)
	}
	return q.link(0)
}

func toggle(current, value string) string {
	if current == value {
		return ""
	}
	return value
}

// Page lists the offers: search, facets, filters, pages of 20.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, Offer{}, nil)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, draft Offer, refused error) {
	ctx := r.Context()
	v := h.View(r, "catalogue.title")
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	f := queryOf(r)
	f.Limit, f.Offset = pageSize, max(offset, 0)
	sub := authz.Current(ctx)
	d := listData{Query: f, Draft: draft, Themes: Themes, Audiences: Audiences, Providers: ProviderTypes, Costs: Costs,
		CanEdit: CanEdit(sub), CanImport: sub.CanAnywhere(authz.ContentManage)}
	var err error
	if d.Result, err = h.Catalogue.Search(ctx, f); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Regions, err = h.Catalogue.Regions(ctx); err != nil {
		h.Fail(w, r, err)
		return
	}
	if f.Offset > 0 {
		d.Prev = d.link(max(f.Offset-pageSize, 0))
	}
	if f.Offset+pageSize < d.Result.Total {
		d.Next = d.link(f.Offset + pageSize)
	}
	h.Show(w, r, "catalogue-list", v, d, refused)
}

// formOffer reads the offer form.
func formOffer(r *http.Request) Offer {
	_ = r.ParseForm()
	return Offer{Title: r.PostForm.Get("title"), Provider: r.PostForm.Get("provider"), ProviderType: r.PostForm.Get("provider_type"),
		Themes: r.PostForm["themes"], Audience: r.PostForm["audience"], Region: r.PostForm.Get("region"), Cost: r.PostForm.Get("cost"),
		URL: r.PostForm.Get("url"), Contact: r.PostForm.Get("contact"), Description: r.PostForm.Get("description")}
}

// Create adds an offer from the form.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	draft := formOffer(r)
	o, err := h.Catalogue.Create(r.Context(), draft)
	if err != nil {
		h.page(w, r, draft, err)
		return
	}
	web.Done(w, r, "catalogue.created", fmt.Sprintf("/offres/%d", o.ID))
}

type offerData struct {
	Offer     Offer
	Regions   map[string]string
	Themes    []string
	Audiences []string
	Providers []string
	Costs     []string
	CanEdit   bool
}

// OfferPage shows one offer, with its form to those who may change it.
func (h *Handler) OfferPage(w http.ResponseWriter, r *http.Request) {
	h.offerPage(w, r, nil)
}

func (h *Handler) offerPage(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	o, ok := web.ByID(w, r, h.Fail, h.Catalogue.Get)
	if !ok {
		return
	}
	d := offerData{Offer: o, Themes: Themes, Audiences: Audiences, Providers: ProviderTypes, Costs: Costs}
	var err error
	if d.Regions, err = h.Catalogue.Regions(ctx); err != nil {
		h.Fail(w, r, err)
		return
	}
	d.CanEdit = h.Catalogue.MayEdit(ctx, d.Offer.Region)
	h.Show(w, r, "catalogue-offer", h.View(r, "catalogue.offer"), d, refused)
}

// Update changes an offer from its form.
func (h *Handler) Update(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	o := formOffer(r)
	o.ID = id
	if _, err := h.Catalogue.Update(r.Context(), o); err != nil {
		h.offerPage(w, r, err)
		return
	}
	web.Done(w, r, "catalogue.updated", fmt.Sprintf("/offres/%d", id))
}

// Delete removes an offer.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	if err := h.Catalogue.Delete(r.Context(), id); err != nil {
		h.offerPage(w, r, err)
		return
	}
	web.Done(w, r, "catalogue.deleted", "/offres")
}

// Import adds the offers of an uploaded CSV or XLSX file (national pilot).
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	err := docs.Upload(r, "file", problem.New(problem.Invalid, "catalogue.import.file_missing"), false, func(name string, data []byte) error {
		_, err := h.Catalogue.Import(r.Context(), data, name)
		return err
	})
	if err != nil {
		h.page(w, r, Offer{}, err)
		return
	}
	web.Done(w, r, "catalogue.imported", "/offres")
}

// MayEdit reports whether the caller may change the offers of region.
func (s *Service) MayEdit(ctx context.Context, region string) bool {
	_, err := s.mayEdit(ctx, s.DB.Read, region)
	return err == nil
}

// establishment is the establishment selector of the page at target and the
// establishment the page shows: the one asked for (org), else the first of a
// short list, else none (0).
func (h *Handler) establishment(r *http.Request, target string) (web.Chooser, int64, error) {
	id, err := web.OrgParam(r)
	if err != nil {
		return web.Chooser{}, 0, err
	}
	c, err := h.Orgs.Chooser(r.Context(), target, org.Org{}, org.LegalEntity, org.Site)
	if err == nil && id == 0 && len(c.Few) > 0 {
		id = c.Few[0].ID
	}
	return c, id, err
}

type recommendData struct {
	Chooser web.Chooser
	Rec     Recommended
	Needs   []NeedJSON // the needs with their reasons in words
	Offers  []recommendView
	Regions map[string]string
}

type recommendView struct {
	Offer   Offer
	Because []NeedJSON
}

// RecommendPage shows the offers recommended to an establishment and why.
func (h *Handler) RecommendPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d recommendData
	var id int64
	var err error
	if d.Chooser, id, err = h.establishment(r, "/offres/recommandations"); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id != 0 {
		if d.Rec, err = h.Catalogue.Recommend(ctx, id); err != nil {
			h.Fail(w, r, err)
			return
		}
		l := i18n.FromRequest(r)
		d.Needs = needsJSON(l, d.Rec.Needs)
		for _, o := range d.Rec.Offers {
			d.Offers = append(d.Offers, recommendView{Offer: o.Offer, Because: needsJSON(l, o.Because)})
		}
	}
	if d.Regions, err = h.Catalogue.Regions(ctx); err != nil {
		h.Fail(w, r, err)
		return
	}
	d.Chooser.Current = d.Rec.Org.Choice()
	h.Show(w, r, "catalogue-recommendations", h.View(r, "catalogue.recommendations"), d, nil)
}

type awarenessData struct {
	Chooser     web.Chooser
	Sheet       AwarenessSheet
	Campaigns   []Campaign
	Populations []string
	Rate, Trend float64
	HasRate     bool
	ThisYear    int
}

// AwarenessPage shows the campaign library and an establishment's counts with
// the form to enter a year's.
func (h *Handler) AwarenessPage(w http.ResponseWriter, r *http.Request) {
	h.awarenessPage(w, r, nil)
}

func (h *Handler) awarenessPage(w http.ResponseWriter, r *http.Request, refused error) {
	const target = "/sensibilisation"
	ctx := r.Context()
	c, err := Shipped()
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := awarenessData{Campaigns: c.Campaigns, Populations: Populations, ThisYear: db.Now().Year()}
	var id int64
	if d.Chooser, id, err = h.establishment(r, target); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id != 0 {
		if d.Sheet, err = h.Catalogue.AwarenessOf(ctx, id); err != nil {
			h.Fail(w, r, err)
			return
		}
		d.Rate, d.Trend, d.HasRate = RateTrend(d.Sheet.Years)
	}
	d.Chooser.Current = d.Sheet.Org.Choice()
	h.Show(w, r, "catalogue-awareness", h.View(r, "catalogue.awareness.title"), d, refused)
}

// SaveAwareness stores one year's counts from the form: staff_<population>
// and trained_<population> for each population, a blank pair left out.
func (h *Handler) SaveAwareness(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	_ = r.ParseForm()
	var c problem.Checks
	number := func(field string) int {
		s := strings.TrimSpace(r.PostForm.Get(field))
		n, err := strconv.Atoi(s)
		if err != nil {
			c.Add(field, "catalogue.awareness.error.number")
		}
		return n
	}
	year := number("year")
	var counts []Count
	for _, p := range Populations {
		if strings.TrimSpace(r.PostForm.Get("staff_"+p)) == "" && strings.TrimSpace(r.PostForm.Get("trained_"+p)) == "" {
			continue
		}
		counts = append(counts, Count{Population: p, Staff: number("staff_" + p), Trained: number("trained_" + p)})
	}
	err = c.Err()
	if err == nil {
		err = h.Catalogue.SaveAwareness(r.Context(), id, year, counts)
	}
	if err != nil {
		h.awarenessPage(w, r, err)
		return
	}
	web.Done(w, r, "catalogue.awareness.saved", fmt.Sprintf("/sensibilisation?org=%d", id))
}
