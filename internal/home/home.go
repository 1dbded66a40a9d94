// Package home says where each capability stands for a set of structures: one
// card per capability and structure (not started, in progress, done, with its
// level and the next thing to do), read by the home page of every role and by
// the page of a structure.
//
// The package is small and imports no capability: it defines the plain types
// (State, Card, Set, Source) and the sums a table needs. Each capability offers
// its Source in its own status.go, importing this package — never the other way
// round — and the server lists the sources in one place (server.go), so that a
// future capability adds its card the same way. A source answers for a whole set
// of structures with one query: a region has hundreds of establishments, the
// nation tens of thousands, and no page loops over them.
package home

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
)

// State is where a capability stands for one structure.
type State int

const (
	NotStarted State = iota // nothing recorded yet
	InProgress              // started, not complete
	Done                    // complete for now
)

// States lists the states in order.
var States = []State{NotStarted, InProgress, Done}

// Code names the state in URLs and exports.
func (s State) Code() string {
	switch s {
	case InProgress:
		return "in_progress"
	case Done:
		return "done"
	}
	return "not_started"
}

// Key is the catalogue key of the state's words.
func (s State) Key() string { return "home.state." + s.Code() }

// ParseState reads a state code; ok is false for anything else.
func ParseState(code string) (State, bool) {
	for _, s := range States {
		if s.Code() == code {
			return s, true
		}
	}
	return NotStarted, false
}

// Text is words to show in the page's language: a catalogue key and its arguments.
type Text struct {
	Key  string
	Args []any
}

// T makes a Text.
func T(key string, args ...any) Text { return Text{Key: key, Args: args} }

// In renders the text in language l ("" for none).
func (t Text) In(l i18n.Lang) string {
	if t.Key == "" {
		return ""
	}
	return l.T(t.Key, t.Args...)
}

// Action is the next thing to do: its words and the page where it is done.
type Action struct {
	Label Text
	URL   string
	// Needs is the permission the action asks for when it waits for someone's
	// decision (a direction's signature, an ARS's validation); "" otherwise.
	Needs authz.Action
}

// Card is one capability's state for one structure.
type Card struct {
	Capability string // "maturity", "continuity", …
	Title      string // catalogue key of the capability's name
	State      State
	Level      Text // the level reached, when the capability has one
	Summary    Text
	Next       Action
}

// Node is one structure of a set.
type Node struct {
	ID    int64
	Path  string
	Name  string
	Level string
}

// Set is the structures a page asks about, all readable by the person asking.
type Set struct {
	Nodes  []Node
	roots  []string // the subtrees that hold the nodes and their data
	byPath map[string]int64
}

func newSet(nodes []Node, roots []string) Set {
	s := Set{Nodes: nodes, roots: roots, byPath: make(map[string]int64, len(nodes))}
	for _, n := range nodes {
		s.byPath[n.Path] = n.ID
	}
	return s
}

// Clause is the SQL condition that keeps the rows whose column col (a node's
// path) lies in the set's subtrees, with its arguments numbered from next.
func (s Set) Clause(col string, next int) (string, []any) {
	return authz.ScopeClause(col, s.roots, next)
}

// Owners lists the nodes of the set whose subtree holds the node at path: data
// recorded on a site counts for its establishment.
func (s Set) Owners(path string) []int64 {
	var out []int64
	for i := range len(path) {
		if path[i] == '/' {
			if id, ok := s.byPath[path[:i+1]]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// Empty reports whether the set holds no node.
func (s Set) Empty() bool { return len(s.Nodes) == 0 }

const nodeColumns = "SELECT id, path, name, level FROM orgs WHERE archived_at IS NULL AND "

func scanNode(r db.Row) (n Node, err error) { return n, r.Scan(&n.ID, &n.Path, &n.Name, &n.Level) }

// Of is the set of the nodes ids that the person in ctx may read.
func Of(ctx context.Context, q db.Querier, ids ...int64) (Set, error) {
	if len(ids) == 0 {
		return Set{}, nil
	}
	scope, args := authz.ScopeClause("path", authz.Current(ctx).Scope(authz.OrgRead), 1)
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	nodes, err := db.List(ctx, q, fmt.Sprintf("home: nodes %v", ids), scanNode,
		nodeColumns+scope+" AND id IN ("+strings.Join(marks, ", ")+") ORDER BY name, id", args...)
	if err != nil {
		return Set{}, err
	}
	roots := make([]string, len(nodes))
	for i, n := range nodes {
		roots[i] = n.Path
	}
	return newSet(nodes, roots), nil
}

// Under is the set of the legal entities in the subtree at root that the person
// in ctx may read, by name: the structures a GHT, a region or the nation follows.
func Under(ctx context.Context, q db.Querier, root string) (Set, error) {
	roots := authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), root)
	scope, args := authz.ScopeClause("path", roots, 1)
	nodes, err := db.List(ctx, q, "home: legal entities under "+root, scanNode,
		nodeColumns+scope+" AND level = 'legal_entity' ORDER BY name, id", args...)
	if err != nil {
		return Set{}, err
	}
	return newSet(nodes, roots), nil
}

// Source is what a capability offers: its card for every node of a set, read
// with one query whatever the size of the set. A node without a card reads as
// not started.
type Source struct {
	Capability string // "maturity"
	Title      string // catalogue key of its name
	Cards      func(ctx context.Context, set Set) (map[int64]Card, error)
}

// Row is one structure with one card per source, in the order of the sources.
type Row struct {
	Node  Node
	Cards []Card
}

// Gather reads the cards of every source for set.
func Gather(ctx context.Context, set Set, sources []Source) ([]Row, error) {
	rows := make([]Row, len(set.Nodes))
	for i, n := range set.Nodes {
		rows[i] = Row{Node: n, Cards: make([]Card, len(sources))}
	}
	if set.Empty() {
		return rows, nil
	}
	for j, src := range sources {
		cards, err := src.Cards(ctx, set)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			c, ok := cards[rows[i].Node.ID]
			if !ok {
				c = Card{State: NotStarted}
			}
			c.Capability, c.Title = src.Capability, src.Title
			rows[i].Cards[j] = c
		}
	}
	return rows, nil
}

// Templates holds "home-cards", the cards of one structure, for any page:
// {{template "home-cards" dict "V" . "Cards" $cards}}.
//
//go:embed templates/*.html
var Templates embed.FS

// Read runs a source's one query over set: query gets the SQL condition that
// keeps the rows of the set's subtrees (on the column o.path) and the number of
// the first placeholder after it, for the arguments more.
func Read[T any](ctx context.Context, q db.Querier, set Set, doing string, scan func(db.Row) (T, error), query func(scope string, next int) string, more ...any) ([]T, error) {
	scope, args := set.Clause("o.path", 1)
	next := len(args) + 1
	return db.List(ctx, q, doing, scan, query(scope, next), append(args, more...)...)
}

// Latest keeps, for each node of set, the row with the highest id among the
// rows recorded in its subtree; key reads a row's node path and id.
func Latest[T any](set Set, rows []T, key func(T) (path string, id int64)) map[int64]T {
	out := map[int64]T{}
	ids := map[int64]int64{}
	for _, r := range rows {
		path, id := key(r)
		for _, node := range set.Owners(path) {
			if id > ids[node] {
				ids[node], out[node] = id, r
			}
		}
	}
	return out
}

// Collect folds, for each node of set, the rows recorded in its subtree into a
// state of its own; path reads a row's node path.
func Collect[T, S any](set Set, rows []T, path func(T) string, add func(*S, T)) map[int64]*S {
	out := map[int64]*S{}
	for _, r := range rows {
		for _, node := range set.Owners(path(r)) {
			st := out[node]
			if st == nil {
				st = new(S)
				out[node] = st
			}
			add(st, r)
		}
	}
	return out
}
