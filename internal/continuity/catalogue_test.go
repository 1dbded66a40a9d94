package continuity

import "testing"

// The shipped content parses strictly and holds what the pages and the rules need.
func TestShippedCatalogue(t *testing.T) {
	c, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, a := range c.Activities {
		types[a.Type]++
	}
	if len(c.Activities) < 30 || types[TypeCare] == 0 || types[TypeAdmin] == 0 || types[TypePlatform] == 0 || len(c.Resources) < 20 {
		t.Errorf("catalogue: %d activities %v, %d resources", len(c.Activities), types, len(c.Resources))
	}
	for _, id := range []string{"urgences", "bloc-operatoire", "pharmacie", "paie", "hebergement"} {
		if _, ok := c.Activity(id); !ok {
			t.Errorf("catalogue lacks %s", id)
		}
	}
	if s := c.Sheet("no-such-activity"); s.Trigger == "" || len(s.FirstActions) == 0 {
		t.Error("no default degraded-mode sheet")
	}
	if c.Notice == "" {
		t.Error("the catalogue does not say whose content it is")
	}
}
