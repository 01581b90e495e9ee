package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	var running, peak, calls atomic.Int64
	seen := make([]atomic.Bool, 100)
	ForEach(len(seen), 4, func(i int) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		seen[i].Store(true)
		calls.Add(1)
		running.Add(-1)
	})
	if calls.Load() != 100 || peak.Load() > 4 {
		t.Errorf("calls %d, peak concurrency %d; want 100 and at most 4", calls.Load(), peak.Load())
	}
	for i := range seen {
		if !seen[i].Load() {
			t.Errorf("index %d never called", i)
		}
	}
	ForEach(0, 4, func(int) { t.Error("called for n = 0") })
}
