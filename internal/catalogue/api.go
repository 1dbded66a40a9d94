package catalogue

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// OfferJSON is an offer as the API shows it.
type OfferJSON struct {
	ID  int64  `json:"id"`
	Ref string `json:"ref,omitempty"`
	OfferFields
	Shipped bool `json:"shipped"`
}

// OfferFields are what a create or a change sends, and the API shows; region is
// a region code, null for a national offer.
type OfferFields struct {
	Title        string   `json:"title"`
	Provider     string   `json:"provider"`
	ProviderType string   `json:"provider_type"`
	Themes       []string `json:"themes"`
	Audience     []string `json:"audience"`
	Region       *string  `json:"region"`
	Cost         string   `json:"cost"`
	URL          string   `json:"url"`
	Contact      string   `json:"contact"`
	Description  string   `json:"description"`
}

// ToJSON is the API form of an offer.
func ToJSON(o Offer) OfferJSON {
	j := OfferJSON{ID: o.ID, Ref: o.Ref, Shipped: o.Shipped, OfferFields: OfferFields{Title: o.Title, Provider: o.Provider, ProviderType: o.ProviderType,
		Themes: o.Themes, Audience: o.Audience, Cost: o.Cost, URL: o.URL, Contact: o.Contact, Description: o.Description}}
	if j.Themes == nil {
		j.Themes = []string{}
	}
	if j.Audience == nil {
		j.Audience = []string{}
	}
	if o.Region != "" {
		r := o.Region
		j.Region = &r
	}
	return j
}

// FacetsJSON count the offers a query keeps per value.
type FacetsJSON struct {
	Theme        map[string]int `json:"theme"`
	Audience     map[string]int `json:"audience"`
	ProviderType map[string]int `json:"provider_type"`
}

// ListJSON is a page of offers with their facets.
type ListJSON struct {
	web.Page[OfferJSON]
	Facets FacetsJSON `json:"facets"`
}

// queryOf reads the filters of a list request.
func queryOf(r *http.Request) Query {
	v := r.URL.Query()
	return Query{Q: v.Get("q"), Theme: v.Get("theme"), Audience: v.Get("audience"), ProviderType: v.Get("provider_type"), Region: v.Get("region")}
}

// APIList answers GET /api/v1/offers?q=&theme=&audience=&provider_type=&region=
// with limit and offset: the offers, their total and facets.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := web.Pagination(r, 50, MaxLimit)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	f := queryOf(r)
	f.Limit, f.Offset = limit, offset
	res, err := h.Catalogue.Search(r.Context(), f)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out := ListJSON{Page: web.Page[OfferJSON]{Items: []OfferJSON{}, Total: res.Total, Limit: limit, Offset: offset},
		Facets: FacetsJSON(res.Facets)}
	for _, o := range res.Items {
		out.Items = append(out.Items, ToJSON(o))
	}
	web.JSON(w, http.StatusOK, out)
}

// APIGet answers GET /api/v1/offers/{id}.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Catalogue.Get, ToJSON))
}

// offer is the offer the fields describe.
func (in OfferFields) offer() Offer {
	o := Offer{Title: in.Title, Provider: in.Provider, ProviderType: in.ProviderType, Themes: in.Themes, Audience: in.Audience, Cost: in.Cost,
		URL: in.URL, Contact: in.Contact, Description: in.Description}
	if in.Region != nil {
		o.Region = *in.Region
	}
	return o
}

// APICreate answers POST /api/v1/offers: the national pilot anywhere, a GRADeS
// in its region.
func (h *Handler) APICreate(w http.ResponseWriter, r *http.Request) {
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in OfferFields) (OfferJSON, error) {
		o, err := h.Catalogue.Create(ctx, in.offer())
		return ToJSON(o), err
	})
}

// APIUpdate answers PUT /api/v1/offers/{id} with the whole offer.
func (h *Handler) APIUpdate(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in OfferFields) (OfferJSON, error) {
		o := in.offer()
		o.ID = id
		o, err := h.Catalogue.Update(ctx, o)
		return ToJSON(o), err
	})
}

// APIDelete answers DELETE /api/v1/offers/{id}.
func (h *Handler) APIDelete(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusNoContent, func(ctx context.Context, id int64) (struct{}, error) {
		return struct{}{}, h.Catalogue.Delete(ctx, id)
	})
}

// APIImport answers POST /api/v1/offers/import with a CSV or XLSX body (the
// national pilot): a workbook is told by its zip signature, anything else is
// read as CSV.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		web.Problem(w, r, problem.New(problem.TooLarge, "error.too_large", MaxImport))
		return
	}
	name := "offres.csv"
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		name = "offres.xlsx"
	}
	n, err := h.Catalogue.Import(r.Context(), data, name)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, map[string]int{"imported": n})
}

// NeedJSON is a need an offer answers, with its reason in words.
type NeedJSON struct {
	Theme  string `json:"theme"`
	Reason string `json:"reason"`
}

// RecommendationJSON is a recommended offer and why.
type RecommendationJSON struct {
	Offer   OfferJSON  `json:"offer"`
	Because []NeedJSON `json:"because"`
}

// RecommendedJSON is what an establishment is recommended.
type RecommendedJSON struct {
	Org    int64                `json:"org"`
	Needs  []NeedJSON           `json:"needs"`
	Offers []RecommendationJSON `json:"offers"`
}

func needsJSON(l i18n.Lang, needs []Need) []NeedJSON {
	out := []NeedJSON{}
	for _, n := range needs {
		out = append(out, NeedJSON{Theme: n.Theme, Reason: l.T(n.Reason, n.Args...)})
	}
	return out
}

// APIRecommendations answers GET /api/v1/orgs/{org}/recommendations.
func (h *Handler) APIRecommendations(w http.ResponseWriter, r *http.Request) {
	l := i18n.FromRequest(r)
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (RecommendedJSON, error) {
		rec, err := h.Catalogue.Recommend(ctx, org)
		if err != nil {
			return RecommendedJSON{}, err
		}
		out := RecommendedJSON{Org: rec.Org.ID, Needs: needsJSON(l, rec.Needs), Offers: []RecommendationJSON{}}
		for _, o := range rec.Offers {
			out.Offers = append(out.Offers, RecommendationJSON{Offer: ToJSON(o.Offer), Because: needsJSON(l, o.Because)})
		}
		return out, nil
	})
}

// CountJSON is one population's count of a year.
type CountJSON struct {
	Population string `json:"population"`
	Staff      int    `json:"staff"`
	Trained    int    `json:"trained"`
}

// YearJSON is one year's counts and rate (null when no staff was counted).
type YearJSON struct {
	Year   int         `json:"year"`
	Counts []CountJSON `json:"counts"`
	Rate   *float64    `json:"rate"`
}

// AwarenessJSON is an establishment's awareness counts and indicator.
type AwarenessJSON struct {
	Org   int64      `json:"org"`
	Years []YearJSON `json:"years"`
	Rate  *float64   `json:"rate"`
	Trend *float64   `json:"trend"`
}

// APIAwareness answers GET /api/v1/orgs/{org}/awareness.
func (h *Handler) APIAwareness(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, h.awarenessJSON)
}

func (h *Handler) awarenessJSON(ctx context.Context, org int64) (AwarenessJSON, error) {
	sheet, err := h.Catalogue.AwarenessOf(ctx, org)
	if err != nil {
		return AwarenessJSON{}, err
	}
	out := AwarenessJSON{Org: sheet.Org.ID, Years: []YearJSON{}}
	for _, y := range sheet.Years {
		yj := YearJSON{Year: y.Year, Counts: []CountJSON{}}
		for _, c := range y.Counts {
			yj.Counts = append(yj.Counts, CountJSON(c))
		}
		if rate, ok := y.Rate(); ok {
			yj.Rate = &rate
		}
		out.Years = append(out.Years, yj)
	}
	if rate, trend, ok := RateTrend(sheet.Years); ok {
		out.Rate, out.Trend = &rate, &trend
	}
	return out, nil
}

// awarenessInput is the body of PUT /api/v1/orgs/{org}/awareness.
type awarenessInput struct {
	Year   int         `json:"year"`
	Counts []CountJSON `json:"counts"`
}

// APISaveAwareness answers PUT /api/v1/orgs/{org}/awareness: one year's counts,
// replacing those stored for that year.
func (h *Handler) APISaveAwareness(w http.ResponseWriter, r *http.Request) {
	in, err := web.Decoded[awarenessInput](w, r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (AwarenessJSON, error) {
		counts := make([]Count, 0, len(in.Counts))
		for _, c := range in.Counts {
			counts = append(counts, Count(c))
		}
		if err := h.Catalogue.SaveAwareness(ctx, org, in.Year, counts); err != nil {
			return AwarenessJSON{}, err
		}
		return h.awarenessJSON(ctx, org)
	})
}
