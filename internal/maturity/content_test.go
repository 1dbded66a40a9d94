package maturity

import (
	"io/fs"
	"testing"
)

// The shipped questionnaires are valid and as rich as the issue asks: at least 25
// graded questions each, measures with a why and a how.
func TestShippedContent(t *testing.T) {
	files, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped questionnaire: %v", err)
	}
	kinds := map[string]bool{}
	for _, f := range files {
		data, _ := shipped.ReadFile(f)
		q, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		kinds[q.Kind] = true
		graded, measures, conditional := 0, 0, 0
		for _, th := range q.Themes {
			for _, qu := range th.Questions {
				if !qu.Context() {
					graded++
				}
				if qu.ShowIf != nil {
					conditional++
				}
				measures += len(qu.Measures)
			}
		}
		if graded < 25 || measures < 25 || conditional == 0 || q.Notice == "" {
			t.Errorf("%s: %d graded questions, %d measures, %d conditional, notice %q", f, graded, measures, conditional, q.Notice)
		}
		t.Logf("%s: %d themes, %d graded questions, %d conditional, %d measures", f, len(q.Themes), graded, conditional, measures)
	}
	if !kinds[KindKitLevel] || !kinds[KindMaturity] {
		t.Errorf("shipped kinds: %v, want both kit_level and maturity", kinds)
	}
}
