package authz

import (
	"fmt"
	"strconv"
	"strings"
)

// ScopeClause returns a SQL condition that keeps the rows whose column col (a
// materialised path) lies in one of roots, with placeholders numbered from next.
// No roots means nothing is visible: the clause is always false.
//
// A subtree "/1/4/" is the byte range ["/1/4/", "/1/40"): '0' follows '/' in byte
// order, so the range holds exactly the paths that start with the root, and both
// engines answer it from an index (paths are compared bytewise, see the migration).
func ScopeClause(col string, roots []string, next int) (string, []any) {
	if len(roots) == 0 {
		return "1=0", nil
	}
	parts := make([]string, 0, len(roots))
	args := make([]any, 0, 2*len(roots))
	for _, r := range roots {
		parts = append(parts, fmt.Sprintf("(%s >= $%d AND %s < $%d)", col, next, col, next+1))
		args = append(args, r, SubtreeEnd(r))
		next += 2
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// SubtreeEnd is the first path after the subtree rooted at root.
func SubtreeEnd(root string) string { return strings.TrimSuffix(root, "/") + "0" }

// Narrow restricts the roots of a scope to the subtree at path: path itself when a
// root holds it, else the roots inside it.
func Narrow(roots []string, path string) []string {
	var out []string
	for _, root := range roots {
		switch {
		case Within(path, root):
			return []string{path}
		case Within(root, path):
			out = append(out, root)
		}
	}
	return out
}

// ChildUnder is the id of the child of the node at root whose subtree holds
// path, 0 when path is root itself: a roll-up adds each row to that child.
func ChildUnder(root, path string) int64 {
	rest, ok := strings.CutPrefix(path, root)
	if !ok || rest == "" {
		return 0
	}
	seg, _, _ := strings.Cut(rest, "/")
	id, _ := strconv.ParseInt(seg, 10, 64)
	return id
}
