package home

// LatestCards is the card of each node of set drawn from the newest row recorded
// in its subtree (Latest; key reads a row's node path and id): none(node) for a
// node without any, card(row) for the others. The first error of card stops it.
func LatestCards[T any](set Set, rows []T, key func(T) (path string, id int64), none func(node int64) Card, card func(T) (Card, error)) (map[int64]Card, error) {
	latest := Latest(set, rows, key)
	out := make(map[int64]Card, len(set.Nodes))
	for _, n := range set.Nodes {
		r, ok := latest[n.ID]
		if !ok {
			out[n.ID] = none(n.ID)
			continue
		}
		c, err := card(r)
		if err != nil {
			return nil, err
		}
		out[n.ID] = c
	}
	return out, nil
}
