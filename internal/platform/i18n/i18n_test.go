package i18n

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestCataloguesHoldTheSameKeys(t *testing.T) {
	fr, en := Keys(FR), Keys(EN)
	slices.Sort(fr)
	slices.Sort(en)
	for _, k := range fr {
		if _, ok := slices.BinarySearch(en, k); !ok {
			t.Errorf("key %q is in fr.json but not in en.json", k)
		}
	}
	for _, k := range en {
		if _, ok := slices.BinarySearch(fr, k); !ok {
			t.Errorf("key %q is in en.json but not in fr.json", k)
		}
	}
}

func TestVerbsMatchAcrossLanguages(t *testing.T) {
	for _, k := range Keys(FR) {
		if strings.Count(FR.T(k), "%") != strings.Count(EN.T(k), "%") {
			t.Errorf("key %q: fr and en take different arguments", k)
		}
	}
}

func TestFromRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if got := FromRequest(r); got != FR {
		t.Errorf("no header: got %s, want fr", got)
	}
	r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	if got := FromRequest(r); got != EN {
		t.Errorf("en-GB: got %s, want en", got)
	}
	r.Header.Set("Cookie", "lang=fr")
	if got := FromRequest(r); got != FR {
		t.Errorf("cookie fr wins over header: got %s", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: got %q", got)
	}
}
