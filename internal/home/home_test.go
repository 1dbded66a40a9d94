package home

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"care/internal/platform/i18n"
)

func sources(caps ...string) []Source {
	out := make([]Source, len(caps))
	for i, c := range caps {
		out[i] = Source{Capability: c, Title: "nav." + c}
	}
	return out
}

func row(id int64, name string, states ...State) Row {
	r := Row{Node: Node{ID: id, Name: name}}
	for _, s := range states {
		r.Cards = append(r.Cards, Card{State: s})
	}
	return r
}

// "x sur N": started counts in-progress and done structures, the missing are
// those that have not started, named.
func TestTallyCountsStartedDoneAndNamesTheMissing(t *testing.T) {
	src := sources("maturity", "exposure")
	rows := []Row{row(1, "CHU", Done, NotStarted), row(2, "CH", InProgress, NotStarted), row(3, "EHPAD", NotStarted, Done)}
	got := Tally(rows, src)
	if c := got[0]; c.Total != 3 || c.Started != 2 || c.Done != 1 || !reflect.DeepEqual(c.Missing, []string{"EHPAD"}) {
		t.Errorf("maturity count = %+v", c)
	}
	if c := got[1]; c.Started != 1 || c.Done != 1 || !reflect.DeepEqual(c.Missing, []string{"CHU", "CH"}) {
		t.Errorf("exposure count = %+v", c)
	}
}

// The table filters on a part of the name (accents and case ignored) and on the
// state of one capability, and sorts by name or by a capability's state.
func TestQueryFiltersAndSorts(t *testing.T) {
	src := sources("maturity", "exposure")
	rows := []Row{row(1, "Établissement Nord", Done, NotStarted), row(2, "Clinique", InProgress, Done), row(3, "EHPAD Sud", NotStarted, Done)}
	names := func(rs []Row) (out []string) {
		for _, r := range rs {
			out = append(out, r.Node.Name)
		}
		return out
	}
	if got := names(Query{Name: "etab"}.Apply(rows, src)); !reflect.DeepEqual(got, []string{"Établissement Nord"}) {
		t.Errorf("name filter: %q", got)
	}
	if got := names(Query{Capability: "exposure", State: Done}.Apply(rows, src)); !reflect.DeepEqual(got, []string{"Clinique", "EHPAD Sud"}) {
		t.Errorf("state filter: %q", got)
	}
	if got := names(Query{Sort: "maturity"}.Apply(rows, src)); !reflect.DeepEqual(got, []string{"EHPAD Sud", "Clinique", "Établissement Nord"}) {
		t.Errorf("sort by maturity: %q", got)
	}
	if got := names(Query{Sort: "name", Desc: true}.Apply(rows, src)); !reflect.DeepEqual(got, []string{"Établissement Nord", "EHPAD Sud", "Clinique"}) {
		t.Errorf("sort by name, descending: %q", got)
	}
	if names(rows)[0] != "Établissement Nord" {
		t.Error("Apply reordered its input")
	}
}

// Data recorded on a site counts for its establishment: Owners walks up the path.
func TestOwnersAreTheAncestorsInTheSet(t *testing.T) {
	s := newSet([]Node{{ID: 5, Path: "/1/2/5/"}, {ID: 9, Path: "/1/2/5/9/"}, {ID: 7, Path: "/1/3/7/"}}, []string{"/1/"})
	if got := s.Owners("/1/2/5/9/12/"); !reflect.DeepEqual(got, []int64{5, 9}) {
		t.Errorf("Owners = %v", got)
	}
	if got := s.Owners("/1/2/"); got != nil {
		t.Errorf("a GHT's data belongs to no establishment: %v", got)
	}
}

// The export names states in words, in the page's language, and neutralises
// cells a spreadsheet would run as formulas.
func TestWriteCSV(t *testing.T) {
	src := sources("maturity")
	rows := []Row{row(1, "=HYPERLINK(1)", Done)}
	rows[0].Cards[0].Level = T("maturity.card.level", "Intermédiaire")
	var b bytes.Buffer
	if err := WriteCSV(&b, i18n.FR, rows, src); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"'=HYPERLINK(1);Fait;niveau Intermédiaire", "Établissement;"} {
		if !strings.Contains(got, want) {
			t.Errorf("CSV %q lacks %q", got, want)
		}
	}
}

// An empty set asks no source.
func TestGatherAsksNoSourceForNothing(t *testing.T) {
	asked := false
	src := []Source{{Capability: "x", Cards: func(context.Context, Set) (map[int64]Card, error) { asked = true; return nil, nil }}}
	if rows, err := Gather(context.Background(), Set{}, src); err != nil || len(rows) != 0 || asked {
		t.Errorf("Gather of nothing: %v %v asked=%v", rows, err, asked)
	}
}

func TestLatestCardsDrawsEachNodeFromItsNewestRow(t *testing.T) {
	type row struct {
		path string
		id   int64
	}
	s := newSet([]Node{{ID: 5, Path: "/1/2/5/"}, {ID: 9, Path: "/1/2/5/9/"}, {ID: 7, Path: "/1/3/7/"}}, []string{"/1/"})
	rows := []row{{"/1/2/5/9/", 3}, {"/1/2/5/", 4}, {"/1/2/5/9/", 2}}
	key := func(r row) (string, int64) { return r.path, r.id }
	none := func(node int64) Card { return Card{State: NotStarted, Summary: T("none", node)} }
	card := func(r row) (Card, error) { return Card{State: Done, Summary: T("row", r.id)}, nil }
	got, err := LatestCards(s, rows, key, none, card)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]Card{5: {State: Done, Summary: T("row", int64(4))}, 9: {State: Done, Summary: T("row", int64(3))}, 7: {State: NotStarted, Summary: T("none", int64(7))}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cards %+v, want %+v", got, want)
	}
	if _, err := LatestCards(s, rows, key, none, func(row) (Card, error) { return Card{}, context.Canceled }); err != context.Canceled {
		t.Errorf("an error of card: %v", err)
	}
}
