package testkit

import (
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

// PageLatency requests url with client c for each round of b and reports the
// median and the 95th percentile of the response times (p50-ms, p95-ms), the
// whole body read, as a person waits for it.
func PageLatency(b *testing.B, c *http.Client, url string) {
	b.Helper()
	durations := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", url, resp.StatusCode)
		}
		durations = append(durations, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durations)
	p := func(q float64) float64 {
		return float64(durations[int(q*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.95), "p95-ms")
}
