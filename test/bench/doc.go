// Package bench times `rtaudit scan` against the least work that could
// produce its answer, on a private containerd with 50 to 250 pods:
// BenchmarkScanVsFloor (scan_test.go), run by `make bench-scan`
// (bench.mk). floor/ is that least work; rusage/ runs a program and
// reports its wall time, CPU time and peak RSS.
//
// Like test/harness, it never imports product code but the CLI it times
// (agent/cli, for in-process profiles); floor and rusage import nothing of
// rtaudit. It is not part of make test: the package compiles under go vet
// and go test ./..., and starts a lab only when a benchmark is asked for.
package bench
