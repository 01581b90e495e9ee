#!/usr/bin/env bash
# Runs every fuzz target of the repository for a few seconds each (go test
# fuzzes one target of one package per invocation) and prints the
# executions per target. The plain `go test` of make test already runs each
# target's seed corpus; this adds new inputs, bounded in time:
# FUZZTIME per target (5s), the fuzzing time of all targets at most
# FUZZ_BUDGET seconds (90; FUZZTIME shrinks when there are more targets),
# plus the instrumented builds (cached by go after the first run) and a
# second try of a target that hit go's -fuzztime race (below).
#
# A crasher fails the run. go writes the failing input to
# <package>/testdata/fuzz/<FuzzTarget>/<hash>; this script prints that file
# too, so it can be recreated from a CI log. Committed, it is a regression
# seed: every plain `go test` of the package runs it (no -fuzz needed).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-5}"
budget="${FUZZ_BUDGET:-90}"

# package directory and target name, one pair a line, in a stable order.
mapfile -t targets < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)$#\1 \2#' | sort)
n=${#targets[@]}
if [ "$n" -eq 0 ]; then
	echo "fuzz-smoke: no fuzz target found" >&2
	exit 1
fi
if [ $((fuzztime * n)) -gt "$budget" ]; then
	fuzztime=$((budget / n))
	[ "$fuzztime" -ge 1 ] || fuzztime=1
fi

logs=()
trap 'rm -f "${logs[@]}"' EXIT
start=$(date +%s)
failed=0
summary=()
for t in "${targets[@]}"; do
	dir=${t% *}
	name=${t#* }
	before=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
	log=$(mktemp)
	logs+=("$log")
	for try in 1 2; do
		status=FAIL
		if go test -run '^$' -fuzz "^${name}\$" -fuzztime "${fuzztime}s" "$dir" >"$log" 2>&1; then
			status=ok
			break
		fi
		# Go before 1.27 may end a -fuzztime run with a bare "context
		# deadline exceeded" when a loaded worker misses the deadline
		# (go.dev/issue/75804): no input is written, nothing failed. Such a
		# run is tried once more; twice in a row it is reported, not failed.
		# Any other failure, or one that wrote an input, fails.
		after=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
		if [ "$after" != "$before" ] || grep -q 'Failing input written' "$log" ||
			! grep -q '^    context deadline exceeded$' "$log" ||
			[ "$(grep -c '^--- FAIL' "$log")" != 1 ]; then
			break
		fi
		echo "fuzz-smoke: $name ended on go.dev/issue/75804 (context deadline exceeded, no input written), try $try" >&2
		status=flake
		[ "$try" = 2 ] || cat "$log" >&2
	done
	[ "$status" != FAIL ] || failed=1
	# go prints "fuzz: elapsed: 5s, execs: 123456 (24691/sec), ..." lines,
	# after "gathering baseline coverage: 82/167 completed" ones (the seeds
	# and the inputs go kept in its cache), which count in -fuzztime.
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
	if [ -z "$execs" ]; then
		execs="0 (baseline $(grep -o 'coverage: [0-9]*/[0-9]*' "$log" | tail -1 | awk '{print $2}' || true))"
	fi
	summary+=("$(printf '%-5s %-20s %-16s %s execs' "$status" "$name" "${dir#./}" "$execs")")
	if [ "$status" = FAIL ]; then
		cat "$log"
		after=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | sort || true)
		for f in $(comm -13 <(echo "$before") <(echo "$after")); do
			echo "fuzz-smoke: new crasher $f (commit it as a regression seed once fixed):"
			cat "$f"
		done
	fi
done
printf '%s\n' "${summary[@]}"
echo "fuzz-smoke: $n targets, ${fuzztime}s each, $(($(date +%s) - start))s in all"
exit "$failed"
