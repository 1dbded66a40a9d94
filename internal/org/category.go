package org

import "fmt"

// The candidate categories of the CaRE calls are a property of an establishment:
// its legal status and whether it belongs to a GHT. The Domaine 1 call counted
// its candidatures in four categories — GHT (public establishments of a GHT,
// whose candidature the GHT carries), public establishment outside a GHT,
// private non-profit, private for-profit —
// https://esante.gouv.fr/espace-presse/fermeture-du-guichet-de-candidature-lappel-financement-au-domaine-annuaires-techniques-et-exposition-sur-internet-du-programme-care

// Candidate category ids, as the programme content names them.
const (
	CategoryGHT              = "ght"
	CategoryPublicHorsGHT    = "public_hors_ght"
	CategoryPriveNonLucratif = "prive_non_lucratif"
	CategoryPriveLucratif    = "prive_lucratif"
)

// CandidateCategories lists the candidate categories in display order.
var CandidateCategories = []string{CategoryGHT, CategoryPublicHorsGHT, CategoryPriveNonLucratif, CategoryPriveLucratif}

// CandidateCategorySQL is the SQL expression of the candidate category of the
// legal entity of table alias o whose parent is table alias p, for queries that
// count establishments by category over a whole subtree (one query, no loop
// over nodes): a public establishment under a GHT counts as "ght", one under
// its region as "public_hors_ght", a private one by its status. Its Go twin for
// one candidate is funding.CategoryOf; a test holds them together.
func CandidateCategorySQL(o, p string) string {
	return fmt.Sprintf(`CASE WHEN %[1]s.category = '%[3]s' AND %[2]s.level = '%[4]s' THEN '%[5]s'
		WHEN %[1]s.category = '%[3]s' THEN '%[6]s'
		ELSE %[1]s.category END`, o, p, Public, GHT, CategoryGHT, CategoryPublicHorsGHT)
}
