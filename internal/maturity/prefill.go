package maturity

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"care/internal/org"
)

// FromRecord is the answers to context questions that the organisation record
// already gives, for a new assessment of o (inGHT: o hangs under a GHT), so that
// nobody answers twice what the platform knows (issue 15, point 4). Today one:
// the nature of the structure (ctx-structure), from the FINESS kind of the
// record (ES or ESSMS), its legal category and its GHT — the three options the
// shipped questionnaire offers: a public health establishment member of a GHT
// (a GHT gathers public health establishments only, Code de la santé publique,
// article L6132-1), another health establishment, a social or medico-social one.
// An answer is given only when the questionnaire asks the question with that
// option; the person may change it like any other.
func FromRecord(q Questionnaire, o org.Org, inGHT bool) map[string]string {
	var nature string
	switch {
	case o.Kind == org.ESSMS:
		nature = "essms"
	case o.Kind == org.ES && o.Category == org.Public && inGHT:
		nature = "es-ght"
	case o.Kind == org.ES && o.Category != "":
		nature = "es-autre"
	}
	out := map[string]string{}
	for _, t := range q.Themes {
		for _, qu := range t.Questions {
			if _, ok := qu.Option(nature); ok && qu.ID == "ctx-structure" {
				out[qu.ID] = nature
			}
		}
	}
	return out
}

// underGHT reports whether node o hangs under a GHT.
func underGHT(ctx context.Context, tx *sql.Tx, o org.Org) (bool, error) {
	ids := org.PathIDs(o.Path)
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE level = 'ght' AND id IN ("+strings.Join(marks, ", ")+")", args...).Scan(&n); err != nil {
		return false, fmt.Errorf("maturity: GHT above %d: %w", o.ID, err)
	}
	return n > 0, nil
}
