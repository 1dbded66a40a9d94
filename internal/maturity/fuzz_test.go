package maturity

import (
	"bytes"
	"io/fs"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

// FuzzParseQuestionnaire: a questionnaire file is refused with reasons or read into
// a valid questionnaire that, written again, reads back the same, whose questions
// are all found by id, and that scores any answers the fuzzer picks without
// panicking: percentages within 0–100, a level whenever there is a score, at most
// six priority measures, and answers to visible questions only always accepted.
func FuzzParseQuestionnaire(f *testing.F) {
	names, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil || len(names) == 0 {
		f.Fatal("no shipped questionnaire", err)
	}
	for _, n := range names {
		data, err := shipped.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, []byte{0, 1, 2, 3, 4, 5, 6, 7})
		f.Add(data[:len(data)/2], []byte{})
	}
	small, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small, []byte{2, 0, 1, 9})
	f.Add([]byte("id: q\nversion: 1\nkind: maturity\ntitle: T\nlevels: [{code: a, label: A, min: 0}]\nthemes: []\n"), []byte{})
	f.Add([]byte("id: q\nversion: 1\nkind: other\nextra: 1\n"), []byte{})
	f.Fuzz(func(t *testing.T, data, picks []byte) {
		if len(data) > 256<<10 || len(picks) > 1024 {
			return
		}
		q, err := Parse(data)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("read, yet invalid: %v", err)
		}
		out, err := yaml.Marshal(q)
		if err != nil {
			t.Fatalf("read, yet cannot be written: %v", err)
		}
		q2, err := Parse(out)
		if err != nil {
			t.Fatalf("written, then refused: %v\n%s", err, out)
		}
		if out2, _ := yaml.Marshal(q2); !bytes.Equal(out, out2) {
			t.Fatalf("written and read again:\n%s\nwas\n%s", out2, out)
		}
		// Answers: the fuzzer picks an option per question, or none.
		a := Answers{}
		i := 0
		for _, th := range q.Themes {
			for _, qu := range th.Questions {
				if got, gotTheme, ok := q.Question(qu.ID); !ok || got.ID != qu.ID || gotTheme.ID != th.ID {
					t.Fatalf("question %s not found in theme %s", qu.ID, th.ID)
				}
				if i < len(picks) {
					if n := int(picks[i]) % (len(qu.Options) + 1); n < len(qu.Options) {
						a[qu.ID] = qu.Options[n].ID
					}
				}
				i++
			}
		}
		res := q.Score(a)
		if res.Answered > res.Visible || len(res.Priority) > PriorityCount || len(res.Others) > 0 && len(res.Priority) < PriorityCount {
			t.Fatalf("score: %d of %d answered, %d + %d measures", res.Answered, res.Visible, len(res.Priority), len(res.Others))
		}
		if (res.Overall == nil) != (res.Level == nil) || res.Percent != nil && (*res.Percent < 0 || *res.Percent > 100) {
			t.Fatalf("overall %v, level %v", res.Percent, res.Level)
		}
		for _, ts := range res.Themes {
			if ts.Percent != nil && (*ts.Percent < 0 || *ts.Percent > 100) || ts.Answered > ts.Visible {
				t.Fatalf("theme %s: %v, %d of %d", ts.ID, *ts.Percent, ts.Answered, ts.Visible)
			}
		}
		if p := res.Progress(); p < 0 || p > 100 {
			t.Fatalf("progress %d", p)
		}
		// Answers to hidden questions are refused; without them, the rest is accepted.
		for changed := true; changed; {
			changed = false
			for id := range a {
				if qu, _, _ := q.Question(id); !q.Visible(qu, a) {
					delete(a, id)
					changed = true
				}
			}
		}
		if err := q.CheckAnswers(a); err != nil {
			t.Fatalf("answers to visible questions refused: %v", err)
		}
	})
}
