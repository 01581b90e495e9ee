# The scan bench, included from the top Makefile. Runs as root; not part of
# make test (it launches 250 pods: about 5 minutes).
#   make bench-scan                        50, 110, 250 pods; 7 runs each
#   make bench-scan BENCH_PODS=20,40 BENCH_RUNS=5
#   make bench-scan BENCH_BASELINE=/tmp/rtaudit-old   also time another build
#   make bench-scan BENCH_PROFILE=/tmp/prof           pprof CPU + allocs at ~110 pods
# It prints a table: `rtaudit scan --pods DIR -o json` (bin/rtaudit) against
# the floor program test/bench/floor, medians of interleaved runs: wall,
# user+sys CPU and peak RSS of the child (rusage), and their ratios.

BENCH_PODS     ?= 50,110,250
BENCH_RUNS     ?= 7
BENCH_BASELINE ?=
BENCH_PROFILE  ?=

.PHONY: bench-scan

bench-scan: setup build
	RTAUDIT_REQUIRE_LAB=1 $(GO) test -run '^$$' -bench ScanVsFloor -benchtime 1x -timeout 20m ./test/bench/ \
		-args -pods $(BENCH_PODS) -runs $(BENCH_RUNS) -rtaudit $(abspath $(BIN)) \
		$(if $(BENCH_BASELINE),-baseline $(abspath $(BENCH_BASELINE))) \
		$(if $(BENCH_PROFILE),-profile $(abspath $(BENCH_PROFILE)))
