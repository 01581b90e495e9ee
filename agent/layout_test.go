package agent_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/rtaudit/rtaudit/"

// forbidden lists, per package pattern, the import paths (prefixes) it must
// not depend on, directly or not. The reasons are in README.md, "Layout".
var forbidden = []struct {
	pkg     string // a package path below the module, or a prefix ending in "/"
	imports []string
}{
	{"probes/", []string{"k8s.io/", "google.golang.org/grpc", module + "agent/"}},
	{"probes", []string{"k8s.io/", "google.golang.org/grpc", module + "agent/"}},
	{"agent/expect", []string{"k8s.io/client-go", module + "agent/"}},
	{"agent/checks", []string{"k8s.io/client-go", module + "agent/cri", module + "agent/declared", module + "agent/scan", module + "agent/report", module + "agent/cli"}},
	{"agent/pss", []string{"k8s.io/client-go", module + "agent/cri", module + "agent/declared", module + "agent/scan", module + "agent/report", module + "agent/cli"}},
	{"agent/cri", []string{"k8s.io/client-go", module + "probes", module + "agent/checks", module + "agent/expect", module + "agent/declared", module + "agent/scan"}},
	{"agent/declared", []string{module + "agent/cri", module + "agent/checks", module + "agent/scan"}},
	{"agent/waiver", []string{module + "agent/cli", module + "agent/report", module + "agent/daemon"}},
	{"agent/reports", []string{module + "agent/cli", module + "agent/report", module + "agent/daemon"}},
	{"agent/daemon", []string{module + "agent/cli", module + "agent/report"}},
	{"agent/crifilter", []string{module + "agent/", module + "probes", "k8s.io/"}},
	{"agent/scan", []string{module + "agent/report", module + "agent/cli"}},
	{"agent/report", []string{module + "agent/cli"}},
	{"agent/plugin", []string{module + "agent/cli", module + "agent/daemon"}},
	{"agent/atrest", []string{"k8s.io/client-go", module + "agent/cri", module + "agent/checks", module + "agent/scan", module + "agent/report", module + "agent/cli"}},
	{"agent/netpol", []string{"k8s.io/client-go", module + "agent/cri", module + "agent/checks", module + "agent/scan", module + "agent/report", module + "agent/cli"}},
	{"test/harness", []string{module + "agent/", module + "probes"}},
	{"test/cluster", []string{module + "agent/", module + "probes"}},
	{"test/matrix", []string{module + "agent/", module + "probes"}},
	{"test/image", []string{module + "agent/", module + "probes"}},
}

// TestLayout enforces the import rules with go list -deps.
func TestLayout(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot list dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", "-test=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		for _, rule := range forbidden {
			if pkg != rule.pkg && !(strings.HasSuffix(rule.pkg, "/") && strings.HasPrefix(pkg, rule.pkg)) && !strings.HasPrefix(pkg, rule.pkg+"/") {
				continue
			}
			seen++
			for _, bad := range rule.imports {
				for _, dep := range fields[1:] {
					if dep == bad || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") {
						t.Errorf("%s depends on %s (forbidden by the rule for %s)", pkg, dep, rule.pkg)
						break
					}
				}
			}
		}
	}
	if seen < len(forbidden)-1 {
		t.Errorf("only %d packages matched the rules: is the module path right?", seen)
	}
}

// linkedNever are packages the binaries must not link: each registers
// every API group of Kubernetes at start-up (through
// k8s.io/client-go/kubernetes/scheme), which costs every run of rtaudit
// megabytes of binary and thousands of allocations before main (issue
// #17). agent/internal/kube is the narrow client that replaces them.
var linkedNever = []string{
	"k8s.io/client-go/kubernetes",
	"k8s.io/client-go/informers",
	"k8s.io/client-go/discovery",
	"k8s.io/client-go/dynamic/dynamicinformer",
}

// TestBinariesLinkNoTypedClientset checks the binaries' dependencies with
// go list -deps.
func TestBinariesLinkNoTypedClientset(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot list dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", "-test=false", module+"cmd/rtaudit", module+"cmd/kubectl-rtaudit").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "k8s.io/client-go/rest") {
		t.Fatalf("the binaries do not link k8s.io/client-go/rest: is the listing right? %d packages", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range linkedNever {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("a binary links %s (forbidden: %s registers every API group)", dep, bad)
			}
		}
	}
}
