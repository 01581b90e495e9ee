// Command vulncheck reads govulncheck's JSON output (-format json) on its
// standard input and fails when a vulnerability is reachable from our code
// (a finding at symbol level) and not accepted in the file named by -accept.
// Findings in imported packages or required modules that our code does not
// call are counted, not failed, as govulncheck itself does.
//
// An acceptance names a vulnerability and the exact module version it was
// found in ("GO-2026-6599 stdlib@v1.26.8 reason"): it lapses when that
// version changes, and one that matches nothing is listed as stale.
//
// It is test tooling: it imports nothing of the product.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

type message struct {
	Config *struct {
		DB             string `json:"db"`
		DBLastModified string `json:"db_last_modified"`
		GoVersion      string `json:"go_version"`
		ScannerVersion string `json:"scanner_version"`
	} `json:"config"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

// vuln is one vulnerability at the deepest level govulncheck found it.
type vuln struct {
	id, module, version, fixed string
	level                      int // 1 module required, 2 package imported, 3 symbol called
	example                    string
}

type result struct {
	header string
	vulns  map[string]*vuln
}

func level(f frame) int {
	switch {
	case f.Function != "":
		return 3
	case f.Package != "":
		return 2
	}
	return 1
}

func parse(r io.Reader) (result, error) {
	res := result{vulns: map[string]*vuln{}}
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return res, fmt.Errorf("govulncheck output: %w", err)
		}
		if c := m.Config; c != nil {
			res.header = fmt.Sprintf("govulncheck %s, %s, database %s (last modified %s)",
				c.ScannerVersion, c.GoVersion, c.DB, c.DBLastModified)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		top := f.Trace[0]
		l := level(top)
		v := res.vulns[f.OSV]
		if v == nil {
			v = &vuln{id: f.OSV}
			res.vulns[f.OSV] = v
		}
		if l < v.level || l == v.level && (l < 3 || !fromTests(v.example) || fromTests(example(f.Trace))) {
			continue
		}
		v.level, v.module, v.version, v.fixed = l, top.Module, top.Version, f.FixedVersion
		if l == 3 {
			v.example = example(f.Trace)
		}
	}
	if res.header == "" {
		return res, errors.New("govulncheck output: no config message (did govulncheck run?)")
	}
	return res, nil
}

// example names the vulnerable symbol and the place in our code that
// reaches it (the last frame of the trace).
func example(trace []frame) string {
	sym := func(f frame) string {
		if f.Receiver != "" {
			return f.Package + "." + strings.TrimPrefix(f.Receiver, "*") + "." + f.Function
		}
		return f.Package + "." + f.Function
	}
	last := trace[len(trace)-1]
	s := sym(trace[0])
	if last.Position != nil {
		s += fmt.Sprintf(" from %s:%d", last.Position.Filename, last.Position.Line)
	}
	return s
}

// fromTests tells an example reached from the test tree; one reached from
// the product is shown rather than it.
func fromTests(example string) bool {
	return strings.Contains(example, " from test/")
}

// readAccepted returns "ID module@version" → reason.
func readAccepted(name string) (map[string]string, error) {
	acc := map[string]string{}
	if name == "" {
		return acc, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || !strings.Contains(f[1], "@") {
			return nil, fmt.Errorf("%s:%d: want \"GO-ID module@version reason\"", name, n+1)
		}
		acc[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
	}
	return acc, nil
}

// report writes the verdict and returns the number of reachable
// vulnerabilities that are not accepted.
func report(w io.Writer, res result, acc map[string]string) int {
	ids := make([]string, 0, len(res.vulns))
	count := map[int]int{}
	for id, v := range res.vulns {
		ids = append(ids, id)
		count[v.level]++
	}
	sort.Strings(ids)
	fmt.Fprintln(w, "vulncheck:", res.header)
	used := map[string]bool{}
	bad := 0
	for _, id := range ids {
		v := res.vulns[id]
		if v.level != 3 {
			continue
		}
		key := id + " " + v.module + "@" + v.version
		verdict := "NOT ACCEPTED"
		if reason, ok := acc[key]; ok {
			verdict, used[key] = "accepted: "+reason, true
		} else {
			bad++
		}
		fmt.Fprintf(w, "  %s %s@%s (fixed in %s), %s\n    %s\n", id, v.module, v.version, v.fixed, v.example, verdict)
	}
	var stale []string
	for key := range acc {
		if !used[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	for _, key := range stale {
		fmt.Fprintf(w, "  stale acceptance (nothing reachable matches it, remove it): %s\n", key)
	}
	fmt.Fprintf(w, "vulncheck: %d reachable from our code (%d not accepted), %d in imported packages not called, %d in required modules not imported\n",
		count[3], bad, count[2], count[1])
	return bad
}

func main() {
	accept := flag.String("accept", "", "file of accepted vulnerabilities")
	flag.Parse()
	acc, err := readAccepted(*accept)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	if report(os.Stdout, res, acc) > 0 {
		os.Exit(1)
	}
}
