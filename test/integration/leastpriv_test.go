package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// rtauditBinary builds the static binary once for the package, as the
// image ships it (stripped: what bench-agent's memory figures are of).
func rtauditBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rtaudit-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "rtaudit")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binPath, "./cmd/rtaudit")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestLeastPrivilegeScan: as uid 0 with no capability but CAP_SYS_PTRACE
// (what deploy/ grants the agent), the scan reports exactly what it
// reports with every capability; with none at all it stops with one line
// naming CAP_SYS_PTRACE and exit code 2, never a partial report.
func TestLeastPrivilegeScan(t *testing.T) {
	lab := harness.SharedLab(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv (util-linux) is needed")
	}
	bin := rtauditBinary(t)
	p, _ := launch(t, lab, podYAML("lp-exec", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
	if _, err := p.ExecAs(t.Context(), "main", 0, 0, "sleep", "3600"); err != nil {
		t.Fatal(err)
	}
	launch(t, lab, podYAML("lp-drift", "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper))
	args := []string{"scan", "--runtime-endpoint", lab.Endpoint(), "-o", "json"}
	full := runJSON(t, exec.Command(bin, args...))
	least := runJSON(t, exec.Command("setpriv", append([]string{"--bounding-set", "-all,+sys_ptrace", "--inh-caps", "-all", "--ambient-caps", "-all", "--", bin}, args...)...))
	mine := func(r *scan.Report) []string {
		var out []string
		for _, f := range r.Findings {
			if strings.HasPrefix(f.Pod, "lp-") {
				out = append(out, fmt.Sprintf("%s/%s/%s/%d/%s", f.Pod, f.Check, f.Layer, f.PID, f.Field))
			}
		}
		slices.Sort(out)
		return out
	}
	if a, b := mine(full), mine(least); !slices.Equal(a, b) || len(a) < 3 {
		t.Errorf("findings with every capability %v\nwith CAP_SYS_PTRACE only %v", a, b)
	}
	if len(least.Errors) > 0 {
		t.Errorf("containers not audited with CAP_SYS_PTRACE: %+v", least.Errors)
	}

	cmd := exec.Command("setpriv", append([]string{"--bounding-set", "-all", "--inh-caps", "-all", "--ambient-caps", "-all", "--", bin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	msg := strings.TrimSpace(stderr.String())
	if code != 2 || !strings.Contains(msg, "CAP_SYS_PTRACE") || strings.Count(msg, "\n") != 0 || stdout.Len() != 0 {
		t.Errorf("without capabilities: exit %d, stdout %d bytes, stderr %q; want exit 2, no report, one line naming CAP_SYS_PTRACE", code, stdout.Len(), msg)
	}
}

func runJSON(t *testing.T, cmd *exec.Cmd) *scan.Report {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	var r scan.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return &r
}
