package completion

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var cmds = []Command{
	{Name: "scan", Summary: "audit it's node", Flags: []string{"o", "pods"}, Values: map[string][]string{"o": {"table", "json"}}},
	{Name: "version", Summary: "print the version"},
}

// TestScripts: every shell's script names every command and flag, and the
// shells at hand parse them (bash always: it runs the tests).
func TestScripts(t *testing.T) {
	for _, sh := range Shells {
		var b bytes.Buffer
		if err := Write(&b, sh, "kubectl-rtaudit", cmds); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"kubectl-rtaudit", "scan", "version", "pods", "table json"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in\n%s", sh, want, out)
			}
		}
		path, err := exec.LookPath(sh)
		if err != nil {
			if sh == "bash" {
				t.Fatalf("no bash: %v", err)
			}
			t.Logf("%s: not installed, syntax not checked", sh)
			continue
		}
		f := filepath.Join(t.TempDir(), "c."+sh)
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s\n%s", sh, err, msg, out)
		}
	}
	if err := Write(&bytes.Buffer{}, "tcsh", "x", cmds); err == nil {
		t.Error("tcsh accepted")
	}
}

// TestBashCompletes runs the bash function: commands, then a command's
// flags, then a flag's values.
func TestBashCompletes(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "bash", "rtaudit", cmds); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"rtaudit s":         "scan",
		"rtaudit scan --p":  "--pods",
		"rtaudit scan -o j": "json",
	} {
		words := strings.Fields(line)
		script := b.String() + "\nCOMP_WORDS=(" + line + ")\nCOMP_CWORD=" + itoa(len(words)-1) + "\n_rtaudit\necho \"${COMPREPLY[*]}\"\n"
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", line, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
