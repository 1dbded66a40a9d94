package exercise

import (
	"slices"
	"testing"
)

// The CaRE programme's regional exercise "fait jouer l'ARS et la Préfecture (le
// reste de l'écosystème est simulé)": in the regional kit the ARS and préfecture
// cells are always played; the GHT and SAMU cells are optional, played by the
// animation team until the animators seat players in them.
func TestRegionalKitPlaysTheARSAndThePrefecture(t *testing.T) {
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(kits, func(k Kit) bool { return k.Level == "regional" })
	if i < 0 {
		t.Fatal("no regional kit")
	}
	k := kits[i]
	optional := map[string]bool{}
	for _, c := range k.Cells {
		optional[c.ID] = c.Optional
	}
	for _, id := range []string{"ars", "prefecture"} {
		if v, ok := optional[id]; !ok || v {
			t.Errorf("cell %s: present %v, optional %v; the ARS and the préfecture play", id, ok, v)
		}
	}
	for _, id := range []string{"ght", "samu"} {
		if !optional[id] {
			t.Errorf("cell %s is not optional: the rest of the ecosystem is simulated", id)
		}
	}
	if got := k.Simulated(nil); !slices.Equal(got, []string{"ght", "samu"}) {
		t.Errorf("with nobody seated, the animation plays %v", got)
	}
	seated := []Member{{Role: RolePlayer, Cell: "samu"}, {Role: RoleObserver, Cell: "ght"}, {Role: RolePlayer, Cell: "ars"}}
	if got := k.Simulated(seated); !slices.Equal(got, []string{"ght"}) {
		t.Errorf("with a player in the SAMU cell (an observer in the GHT's), the animation plays %v", got)
	}
	// The other kits have no optional cell: every cell is played.
	for _, o := range kits {
		if o.Level != "regional" && len(o.Simulated(nil)) > 0 {
			t.Errorf("%s: cells %v played by the animation", o.ID, o.Simulated(nil))
		}
	}
}
