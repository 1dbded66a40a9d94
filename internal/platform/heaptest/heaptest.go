// Package heaptest holds a piece of code to a heap budget, for the tests of
// parsers that read what users upload.
package heaptest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

const heapObjects = "/memory/classes/heap/objects:bytes" // HeapAlloc, read without stopping the world

// Peak runs f and returns by how much the heap grew above what it held before,
// at most: a sampler reads the heap every 100 µs while f runs, and once more
// after. Past abort bytes the process panics: code that runs away would
// otherwise take the machine before a test could report it.
//
// The collector runs at GOGC=25 while f runs, so that the peak follows what f
// holds rather than the collector's slack: at the default 100 a heap may reach
// twice what is live before a collection, and further on a busy machine.
func Peak(abort uint64, f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: heapObjects}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var mu sync.Mutex
	peak := base
	note := func() {
		h := read()
		mu.Lock()
		peak = max(peak, h)
		mu.Unlock()
		if h > base && h-base > abort {
			panic(fmt.Sprintf("heaptest: the heap grew by %d MB, beyond the %d MB allowed: stopped before it takes the machine",
				(h-base)>>20, abort>>20))
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				note()
			}
		}
	})
	f()
	note()
	close(done)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return peak - base
}
