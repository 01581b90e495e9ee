package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
)

func run(args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = Main(args, Streams{In: strings.NewReader(""), Out: &o, Err: &e})
	return code, o.String(), e.String()
}

func TestUsageErrorsAreOneLineWithExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"scan", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"scan", "-o", "yaml"}, `-o "yaml": want table, wide or json`},
		{[]string{"scan", "--fail-on", "severe"}, `--fail-on "severe"`},
		{[]string{"scan", "--pods", "x.yaml", "--kubeconfig", "k"}, "exclusive"},
		{[]string{"scan", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"scan", "extra"}, `unexpected argument "extra"`},
		{[]string{"scan", "--pods", "/nonexistent.yaml"}, "no such file"},
		{[]string{"scan", "--runtime-endpoint", "unix:///nonexistent/cri.sock"}, "/nonexistent/cri.sock"},
		{[]string{"scan", "--runtime-endpoint", "tcp://127.0.0.1:1"}, "only unix sockets"},
		{[]string{"version", "x"}, `unexpected argument "x"`},
	} {
		code, _, errOut := run(tc.args...)
		if code != ExitError {
			t.Errorf("%v: exit %d, want %d", tc.args, code, ExitError)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errOut, tc.want)
		}
		if tc.args != nil && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: stderr is not one line: %q", tc.args, errOut)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"scan", "-h"}} {
		code, _, errOut := run(args...)
		if code != ExitClean {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
		if !strings.Contains(errOut, "Usage") {
			t.Errorf("%v: no usage text: %q", args, errOut)
		}
	}
}

func TestChecksListsEveryCheck(t *testing.T) {
	code, out, _ := run("checks")
	if code != ExitClean {
		t.Fatalf("exit %d", code)
	}
	for _, c := range checks.All() {
		if !strings.Contains(out, string(c.ID)) || !strings.Contains(out, c.Rationale) {
			t.Errorf("checks output lacks %s or its rationale", c.ID)
		}
	}
	code, out, _ = run("checks", "-o", "wide")
	if code != ExitClean {
		t.Fatalf("checks -o wide: exit %d", code)
	}
	for _, c := range checks.All() {
		if !strings.Contains(out, c.Remediation) {
			t.Errorf("checks -o wide lacks the remediation of %s", c.ID)
		}
	}
	if code, _, _ = run("checks", "-o", "yaml"); code != ExitError {
		t.Errorf("checks -o yaml: exit %d, want %d", code, ExitError)
	}
}
