#!/usr/bin/env bash
# make vulncheck: govulncheck on ./... against the Go vulnerability database
# built from the golang.org/x/vulndb module (the Go module proxy serves it;
# the database's own site is not reachable), then test/vulncheck judges the
# findings against test/vulncheck/accepted.txt.
#
# Cached once per machine, by version, in $RTAUDIT_CACHE (/var/cache/rtaudit):
#   govulncheck-<v>-<go>/govulncheck  go install golang.org/x/vuln/cmd/govulncheck
#   vulndb-<v>/                   the v1 layout govulncheck -db file:// reads
#                                 (index/{db,modules,vulns}.json, ID/GO-*.json),
#                                 written by the module's own cmd/indexdb from
#                                 its data/osv/*.json.
# The OSV files of the module carry no modification dates (the database's
# publisher sets them from git history), so index/db.json is given the
# module version's commit time: the date of the database.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${RTAUDIT_CACHE:-/var/cache/rtaudit}"
govulncheck_version="${GOVULNCHECK_VERSION:-v1.9.0}"
vulndb_version="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
export GOFLAGS=-buildvcs=false GOWORK=off
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# govulncheck reads the standard library of the Go it runs with: build it
# with that Go (make vulncheck sets GOTOOLCHAIN), cached per Go version.
go_version=$(cd / && go env GOVERSION)
bin="$cache/govulncheck-$govulncheck_version-$go_version/govulncheck"
if [ ! -x "$bin" ]; then
	(cd / && GOBIN="$(dirname "$bin")" go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version") >&2
fi

db="$cache/vulndb-$vulndb_version"
if [ ! -f "$db/index/db.json" ]; then
	(cd / && GOBIN="$tmp/bin" go install "golang.org/x/vulndb/cmd/indexdb@$vulndb_version") >&2
	src=$(cd / && go mod download -json "golang.org/x/vulndb@$vulndb_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	"$tmp/bin/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
	# v0.0.0-20261105234957-... → 2026-11-05T23:49:57Z
	ts=$(echo "$vulndb_version" | sed -E 's/.*-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-.*/\1-\2-\3T\4:\5:\6Z/')
	printf '{"modified":"%s"}' "$ts" >"$tmp/db/index/db.json"
	gzip -n -c "$tmp/db/index/db.json" >"$tmp/db/index/db.json.gz"
	rm -rf "$db.tmp" && mv "$tmp/db" "$db.tmp" && mv "$db.tmp" "$db"
fi

out="$tmp/govulncheck.json"
# govulncheck -format json exits 0 whatever it finds; test/vulncheck judges.
"$bin" -db "file://$db" -format json ./... >"$out"
go run ./test/vulncheck -accept test/vulncheck/accepted.txt <"$out"
