package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"care/internal/platform/db"
)

const offerColumns = "id, ref, title, provider, provider_type, themes, audience, region, cost, url, contact, description, shipped"

func scanOffer(row db.Row) (Offer, error) {
	var o Offer
	var ref sql.NullString
	var themes, audience string
	err := row.Scan(&o.ID, &ref, &o.Title, &o.Provider, &o.ProviderType, &themes, &audience, &o.Region, &o.Cost, &o.URL, &o.Contact, &o.Description, &o.Shipped)
	o.Ref, o.Themes, o.Audience = ref.String, unlist(themes), unlist(audience)
	return o, err
}

// getOffer reads one offer.
func getOffer(ctx context.Context, q db.Querier, id int64) (Offer, error) {
	return db.One(ctx, q, fmt.Sprintf("catalogue: read offer %d", id), scanOffer, "SELECT "+offerColumns+" FROM catalogue_offers WHERE id = $1", id)
}

// offersByRef lists the stored offers that carry a ref, by ref.
func offersByRef(ctx context.Context, q db.Querier) (map[string]Offer, error) {
	list, err := db.List(ctx, q, "catalogue: list the offers by ref", scanOffer, "SELECT "+offerColumns+" FROM catalogue_offers WHERE ref IS NOT NULL")
	out := map[string]Offer{}
	for _, o := range list {
		out[o.Ref] = o
	}
	return out, err
}

func nullRef(ref string) any {
	if ref == "" {
		return nil
	}
	return ref
}

// insertOffer stores a new offer and its search entry; by is the author (NULL
// for the system).
func insertOffer(ctx context.Context, tx *sql.Tx, engine db.Engine, o Offer, by any, at time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO catalogue_offers (ref, title, provider, provider_type, themes, audience, region, cost, url, contact, description, search, shipped, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		nullRef(o.Ref), o.Title, o.Provider, o.ProviderType, list(o.Themes), list(o.Audience), o.Region, o.Cost, o.URL, o.Contact, o.Description, o.searchText(), o.Shipped, by, at).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("catalogue: store offer %q: %w", o.Title, err)
	}
	return id, indexOffer(ctx, tx, engine, id, o)
}

// updateOffer changes a stored offer and its search entry.
func updateOffer(ctx context.Context, tx *sql.Tx, engine db.Engine, o Offer, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE catalogue_offers SET title = $1, provider = $2, provider_type = $3, themes = $4, audience = $5, region = $6, cost = $7,
url = $8, contact = $9, description = $10, search = $11, shipped = $12, updated_at = $13 WHERE id = $14`,
		o.Title, o.Provider, o.ProviderType, list(o.Themes), list(o.Audience), o.Region, o.Cost, o.URL, o.Contact, o.Description, o.searchText(), o.Shipped, at, o.ID); err != nil {
		return fmt.Errorf("catalogue: update offer %d: %w", o.ID, err)
	}
	return indexOffer(ctx, tx, engine, o.ID, o)
}

// withdrawnRefs are the refs of the shipped offers someone deleted.
func withdrawnRefs(ctx context.Context, q db.Querier) (map[string]bool, error) {
	refs, err := db.List(ctx, q, "catalogue: list the withdrawn offers", func(row db.Row) (string, error) {
		var ref string
		err := row.Scan(&ref)
		return ref, err
	}, "SELECT ref FROM catalogue_withdrawn")
	out := map[string]bool{}
	for _, r := range refs {
		out[r] = true
	}
	return out, err
}

// setWithdrawn records that the offer of ref was deleted (withdrawn) or
// stored again.
func setWithdrawn(ctx context.Context, tx *sql.Tx, ref string, withdrawn bool) error {
	query := "DELETE FROM catalogue_withdrawn WHERE ref = $1"
	if withdrawn {
		query = "INSERT INTO catalogue_withdrawn (ref) VALUES ($1)"
	}
	if _, err := tx.ExecContext(ctx, query, ref); err != nil {
		return fmt.Errorf("catalogue: withdrawn %q: %w", ref, err)
	}
	return nil
}

// deleteOffer removes an offer and its search entry.
func deleteOffer(ctx context.Context, tx *sql.Tx, engine db.Engine, id int64) error {
	if engine == db.SQLite {
		if _, err := tx.ExecContext(ctx, "DELETE FROM catalogue_offers_fts WHERE rowid = $1", id); err != nil {
			return fmt.Errorf("catalogue: unindex offer %d: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM catalogue_offers WHERE id = $1", id); err != nil {
		return fmt.Errorf("catalogue: delete offer %d: %w", id, err)
	}
	return nil
}

// indexOffer writes the SQLite FTS5 entry of an offer (its rowid is the offer's
// id); PostgreSQL indexes the search column itself.
func indexOffer(ctx context.Context, tx *sql.Tx, engine db.Engine, id int64, o Offer) error {
	if engine != db.SQLite {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM catalogue_offers_fts WHERE rowid = $1", id); err != nil {
		return fmt.Errorf("catalogue: unindex offer %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO catalogue_offers_fts (rowid, search) VALUES ($1, $2)", id, o.searchText()); err != nil {
		return fmt.Errorf("catalogue: index offer %d: %w", id, err)
	}
	return nil
}

// where is a list of conditions joined by AND, with their $n arguments.
type where struct {
	conds []string
	args  []any
}

// add appends cond, whose ? is replaced by the placeholder of arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// matchCondition is the full-text condition of the query's terms, each the
// beginning of a word of the offer: an FTS5 MATCH in SQLite (tokenizer unicode61
// remove_diacritics 2), a text-search match in PostgreSQL ('simple'
// configuration: the folded words as they are, no stemming, as in SQLite). The
// terms are folded letters and digits only, so neither syntax can be broken.
func matchCondition(engine db.Engine, terms []string) (string, string) {
	if engine == db.SQLite {
		q := make([]string, len(terms))
		for i, t := range terms {
			q[i] = `"` + t + `"*`
		}
		return "id IN (SELECT rowid FROM catalogue_offers_fts WHERE catalogue_offers_fts MATCH ?)", strings.Join(q, " ")
	}
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = t + ":*"
	}
	return "to_tsvector('simple', search) @@ to_tsquery('simple', ?)", strings.Join(q, " & ")
}

// filterOf is the WHERE clause of a query.
func filterOf(engine db.Engine, f Query) *where {
	w := &where{}
	if terms := Terms(f.Q); len(terms) > 0 {
		cond, arg := matchCondition(engine, terms)
		w.add(cond, arg)
	}
	if f.Theme != "" {
		w.add("themes LIKE ?", "%,"+f.Theme+",%")
	}
	if f.Audience != "" {
		w.add("audience LIKE ?", "%,"+f.Audience+",%")
	}
	if f.ProviderType != "" {
		w.add("provider_type = ?", f.ProviderType)
	}
	switch {
	case f.Region == National:
		w.add("region = ?", "")
	case f.Region != "":
		w.add("region = ?", f.Region)
	}
	if f.Near != nil {
		w.add("(region = '' OR region = ?)", *f.Near)
	}
	return w
}

// facetColumns counts, over the offers a query keeps, those of each theme,
// audience and provider type; the values are the package's own constants.
func facetColumns() (string, []string) {
	var cols, keys []string
	for _, t := range Themes {
		cols = append(cols, fmt.Sprintf("COALESCE(SUM(CASE WHEN themes LIKE '%%,%s,%%' THEN 1 ELSE 0 END), 0)", t))
		keys = append(keys, "theme:"+t)
	}
	for _, a := range Audiences {
		cols = append(cols, fmt.Sprintf("COALESCE(SUM(CASE WHEN audience LIKE '%%,%s,%%' THEN 1 ELSE 0 END), 0)", a))
		keys = append(keys, "audience:"+a)
	}
	for _, p := range ProviderTypes {
		cols = append(cols, fmt.Sprintf("COALESCE(SUM(CASE WHEN provider_type = '%s' THEN 1 ELSE 0 END), 0)", p))
		keys = append(keys, "provider_type:"+p)
	}
	return strings.Join(cols, ", "), keys
}

// searchOffers lists a page of the offers a query keeps, ordered by title, with
// their count and facets.
func searchOffers(ctx context.Context, q db.Querier, engine db.Engine, f Query) (Result, error) {
	w := filterOf(engine, f)
	cols, keys := facetColumns()
	counts := make([]int64, len(keys)+1)
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*), "+cols+" FROM catalogue_offers"+w.String(), w.args...).Scan(dest...); err != nil {
		return Result{}, fmt.Errorf("catalogue: count the offers: %w", err)
	}
	res := Result{Total: int(counts[0]), Facets: Facets{Theme: map[string]int{}, Audience: map[string]int{}, ProviderType: map[string]int{}}}
	for i, k := range keys {
		kind, value, _ := strings.Cut(k, ":")
		n := int(counts[i+1])
		switch kind {
		case "theme":
			res.Facets.Theme[value] = n
		case "audience":
			res.Facets.Audience[value] = n
		default:
			res.Facets.ProviderType[value] = n
		}
	}
	args := append(slices.Clip(w.args), f.Limit, f.Offset)
	var err error
	res.Items, err = db.List(ctx, q, "catalogue: list the offers", scanOffer,
		fmt.Sprintf("SELECT %s FROM catalogue_offers%s ORDER BY search, id LIMIT $%d OFFSET $%d", offerColumns, w.String(), len(args)-1, len(args)), args...)
	return res, err
}

// regionNames are the names of the tree's regions by code: public names, read
// for every caller to label the offers.
func regionNames(ctx context.Context, q db.Querier) (map[string]string, error) {
	type pair struct{ code, name string }
	list, err := db.List(ctx, q, "catalogue: list the regions", func(row db.Row) (pair, error) {
		var p pair
		err := row.Scan(&p.code, &p.name)
		return p, err
	}, "SELECT code, name FROM orgs WHERE level = 'region' AND code <> '' AND archived_at IS NULL ORDER BY name")
	out := map[string]string{}
	for _, p := range list {
		out[p.code] = p.name
	}
	return out, err
}

// regionNode is the id of the region of the tree with that code.
func regionNode(ctx context.Context, q db.Querier, code string) (int64, error) {
	return db.One(ctx, q, fmt.Sprintf("catalogue: find region %q", code), func(row db.Row) (int64, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	}, "SELECT id FROM orgs WHERE level = 'region' AND code = $1 AND archived_at IS NULL", code)
}

// regionCodeOf is the code of the region above a node (its path's second id);
// empty for the national root.
func regionCodeOf(ctx context.Context, q db.Querier, ids []int64) (string, error) {
	if len(ids) < 2 {
		return "", nil
	}
	return db.One(ctx, q, fmt.Sprintf("catalogue: region of node %d", ids[len(ids)-1]), func(row db.Row) (string, error) {
		var code string
		err := row.Scan(&code)
		return code, err
	}, "SELECT code FROM orgs WHERE id = $1 AND level = 'region'", ids[1])
}
