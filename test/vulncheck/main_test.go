package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, accepted string) (string, int) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "accepted.txt")
	if err := os.WriteFile(name, []byte(accepted), 0o644); err != nil {
		t.Fatal(err)
	}
	acc, err := readAccepted(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/out.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	bad := report(&b, res, acc)
	return b.String(), bad
}

func TestReachableNotAcceptedFails(t *testing.T) {
	out, bad := run(t, "# none\n")
	if bad != 2 {
		t.Errorf("not accepted = %d, want 2 (GO-2026-0001 and GO-2026-0002)\n%s", bad, out)
	}
	for _, want := range []string{
		"database file:///db (last modified 2026-11-05T23:49:57Z)",
		"GO-2026-0001 stdlib@v1.26.8 (fixed in v1.26.9), net/http.Client.Do from web/get.go:12",
		"GO-2026-0002 example.com/dep@v1.1.0 (fixed in v1.2.0), example.com/dep/zip.Open from load/load.go:40",
		"2 reachable from our code (2 not accepted), 1 in imported packages not called, 1 in required modules not imported",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "GO-2026-0003 ") {
		t.Errorf("a vulnerability in a package not called is listed:\n%s", out)
	}
}

func TestAcceptanceHoldsForItsVersionOnly(t *testing.T) {
	out, bad := run(t, "GO-2026-0001 stdlib@v1.26.8 fixed in go1.26.9\nGO-2026-0002 example.com/dep@v1.0.0 older version\n")
	if bad != 1 {
		t.Errorf("not accepted = %d, want 1 (GO-2026-0002 was accepted for another version)\n%s", bad, out)
	}
	if !strings.Contains(out, "accepted: fixed in go1.26.9") {
		t.Errorf("the acceptance's reason is not shown:\n%s", out)
	}
	if !strings.Contains(out, "stale acceptance (nothing reachable matches it, remove it): GO-2026-0002 example.com/dep@v1.0.0") {
		t.Errorf("the stale acceptance is not listed:\n%s", out)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := parse(strings.NewReader("")); err == nil {
		t.Error("empty output (govulncheck did not run) accepted")
	}
	if _, err := parse(strings.NewReader(`{"config": {}} {`)); err == nil {
		t.Error("truncated output accepted")
	}
	name := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(name, []byte("GO-2026-0001 no-version reason\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readAccepted(name); err == nil || !strings.Contains(err.Error(), "a.txt:1:") {
		t.Errorf("bad acceptance line: err = %v, want one naming the line", err)
	}
}
