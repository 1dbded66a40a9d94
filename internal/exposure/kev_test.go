package exposure

import "testing"

// The ransomware mark of a KEV entry is the catalogue's own field
// (knownRansomwareCampaignUse), entry by entry. Source: CISA, Known Exploited
// Vulnerabilities catalogue; the two Ivanti Connect Secure entries chained in
// January 2024 read "Unknown" there.
func TestRansomwareMarksFollowTheCatalogue(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CVE-2023-46805": "Unknown", "CVE-2024-21887": "Unknown"}
	seen := 0
	for _, v := range r.Vulns {
		if w, ok := want[v.CVE]; ok {
			seen++
			if v.Ransomware != w {
				t.Errorf("%s: ransomware %q, the catalogue says %q", v.CVE, v.Ransomware, w)
			}
		}
		if v.KEV && v.Ransomware == "" {
			t.Errorf("%s is in the KEV catalogue without its ransomware field", v.CVE)
		}
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d entries found", seen, len(want))
	}
	// A rule file that says true/false, or marks a non-KEV entry, is refused.
	for _, bad := range []string{"true", "Peut-être"} {
		v := r.Vulns[0]
		v.Ransomware = bad
		if err := checkVuln(v); err == nil {
			t.Errorf("ransomware %q accepted", bad)
		}
	}
}
