package directory

import (
	"os"
	"testing"
)

// BenchmarkEvaluate runs every checkpoint over a collected snapshot: the file named
// by CARE_BENCH_SNAPSHOT (scripts/bench-directory.sh writes one of 14,000 objects),
// or the small healthy domain of the tests.
func BenchmarkEvaluate(b *testing.B) {
	snap := healthy(&testing.T{})
	if path := os.Getenv("CARE_BENCH_SNAPSHOT"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if snap, err = ReadSnapshot(f, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(snap.Objects)), "objects")
	for b.Loop() {
		Evaluate(snap)
	}
}
