package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// RuncRoot is the runc handler's state root: the shim runs runc with
// --root RuncRoot/<containerd namespace>.
func (c *Containerd) RuncRoot() string { return c.lay.runcRoot() }

// Bare is a container made with an OCI runtime directly, next to a CRI's
// own (no CRI, no containerd record): what hides from the kubelet.
type Bare struct {
	Runtime, Root, ID, Bundle string
	PID                       int // its init, sleeping
}

// RunBare runs `busybox sleep 3600` (comm "busybox") in a container of runtime (runc,
// crun, or a lab wrapper around one) under state root root, with new
// pid, network, ipc, uts and mount namespaces (runc spec's defaults), and
// a bundle in dir. Stop removes it.
func RunBare(runtime, root, id, dir string) (*Bare, error) {
	bundle := filepath.Join(dir, "bundle-"+id)
	bin := filepath.Join(bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return nil, fmt.Errorf("harness: %w (install busybox-static)", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		return nil, err
	}
	if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("harness: runc spec: %v: %s", err, out)
	}
	path := filepath.Join(bundle, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, err
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"/bin/busybox", "sleep", "3600"}
	if raw, err = json.Marshal(spec); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return nil, err
	}
	b := &Bare{Runtime: runtime, Root: root, ID: id, Bundle: bundle}
	// The container inherits the runtime's stdio: files, not pipes, or
	// reading its output would wait for the container's end.
	logPath := filepath.Join(dir, id+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(runtime, "--root", root, "run", "--detach", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = logf, logf
	err = cmd.Run()
	logf.Close()
	if err != nil {
		out, _ := os.ReadFile(logPath)
		b.Stop()
		return nil, fmt.Errorf("harness: %s run %s: %v: %s", runtime, id, err, out)
	}
	out, err := exec.Command(runtime, "--root", root, "state", id).Output()
	if err != nil {
		b.Stop()
		return nil, fmt.Errorf("harness: %s state %s: %w", runtime, id, err)
	}
	var st struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(out, &st); err != nil || st.PID <= 0 {
		b.Stop()
		return nil, fmt.Errorf("harness: %s state %s: %q", runtime, id, out)
	}
	b.PID = st.PID
	// Wait for the exec of busybox (the runtime's init names itself
	// "runc:[2:INIT]" or "crun" first).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", b.PID))
		if err != nil || strings.TrimSpace(string(comm)) == "busybox" {
			break
		}
	}
	return b, nil
}

// Stop kills and deletes the container and removes its bundle.
func (b *Bare) Stop() {
	_ = exec.Command(b.Runtime, "--root", b.Root, "kill", b.ID, "KILL").Run()
	for range 50 {
		if exec.Command(b.Runtime, "--root", b.Root, "delete", "--force", b.ID).Run() == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = os.RemoveAll(b.Bundle)
}
