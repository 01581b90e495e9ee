// Package parallel runs a bounded number of goroutines over an index range.
package parallel

import "sync"

// ForEach calls fn(i) for every i in [0, n) on at most workers goroutines
// and returns when all calls have.
func ForEach(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, workers) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
