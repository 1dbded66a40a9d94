// Package insight is the programme's view of a GHT, a region or the nation: for
// the node and each of its children, how many structures, and what the
// capabilities report of them — candidatures and amounts, the yearly exercise,
// maturity, directory and exposure levels. Each capability offers a Source (one
// query over the subtree, a value per establishment) wired in the server; this
// package only adds them up by child, so a new capability adds its figure the
// same way, and never imports the others.
package insight

import (
	"context"
	"slices"

	"care/internal/authz"
)

// A Source reads one figure of every live node under roots (the subtrees the
// reader sees), calling fn with the node's path, a key (a level, a status,
// "with") and a value to add (1 to count, euros for amounts). year is the year
// viewed.
type Source func(ctx context.Context, roots []string, year int, fn func(path, key string, n int64)) error

// Tally is what a node holds: figure → key → sum.
type Tally map[string]map[string]int64

// Add adds n to a figure's key.
func (t Tally) Add(figure, key string, n int64) {
	m := t[figure]
	if m == nil {
		m = map[string]int64{}
		t[figure] = m
	}
	m[key] += n
}

// Get is a figure's key, 0 when absent.
func (t Tally) Get(figure, key string) int64 { return t[figure][key] }

// Sum is the sum of a figure's keys.
func (t Tally) Sum(figure string) int64 {
	var n int64
	for _, v := range t[figure] {
		n += v
	}
	return n
}

// Keys are a figure's keys, sorted.
func (t Tally) Keys(figure string) []string {
	keys := make([]string, 0, len(t[figure]))
	for k := range t[figure] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Share is key's part of the structures of kind of ("all", "es", "essms"), in
// percent (0 when there are none).
func (t Tally) Share(figure, key, of string) int {
	all := t.Get(Structures, of)
	if all == 0 {
		return 0
	}
	return int(100 * t.Get(figure, key) / all)
}

// Structures is the figure counting legal entities: "all", "ES", "ESSMS".
const Structures = "structures"

// Row is one child of the node viewed.
type Row struct {
	ID                int64
	Name, Level, Code string
	Tally             Tally
}

// bucket adds a value seen at path to the total and to the child holding it.
type bucket struct {
	parent   string
	total    Tally
	children map[int64]Tally
}

func (b bucket) add(figure, path, key string, n int64) {
	b.total.Add(figure, key, n)
	if c := b.children[authz.ChildUnder(b.parent, path)]; c != nil {
		c.Add(figure, key, n)
	}
}
