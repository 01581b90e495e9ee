package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion: rtaudit completion writes each shell's script with its
// commands and their flags; bash parses it; another shell is a usage error.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := run("completion", sh)
		if code != ExitClean {
			t.Fatalf("%s: exit %d %s", sh, code, errOut)
		}
		for _, want := range []string{"rtaudit", "scan", "explain", "checks", "runtime-endpoint", "pods", "sarif", "fail-on"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s script lacks %q", sh, want)
			}
		}
		if sh == "bash" {
			f := filepath.Join(t.TempDir(), "c.bash")
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v %s", err, msg)
			}
		}
	}
	if code, _, errOut := run("completion", "tcsh"); code != ExitError || !strings.Contains(errOut, "want one shell") {
		t.Errorf("tcsh: exit %d %q", code, errOut)
	}
}
