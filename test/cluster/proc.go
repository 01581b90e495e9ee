package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
)

// proc is one daemon of the cluster. Mark is an argument only this
// instance passes (a path inside its directory), so a recorded PID is never
// mistaken for a recycled one.
type proc struct {
	Name string
	PID  int
	Mark string
}

// startProc runs bin with args, logging to dir/<name>.log. Detached
// processes get their own session and outlive the caller (clusterctl up);
// others get SIGTERM when the caller dies.
func startProc(dir, name string, detach bool, mark, bin string, args ...string) (proc, error) {
	logf, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return proc{}, fmt.Errorf("cluster: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	}
	if err := harness.StartDaemon(cmd); err != nil {
		return proc{}, fmt.Errorf("cluster: start %s: %w", name, err)
	}
	go func() { _ = cmd.Wait() }() // reap; alive() then sees the PID gone
	return proc{Name: name, PID: cmd.Process.Pid, Mark: mark}, nil
}

// alive tells whether p still runs (a zombie or a recycled PID does not
// count: its command line must still carry Mark).
func (p proc) alive() bool {
	if p.PID <= 0 {
		return false
	}
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "cmdline"))
	if err != nil || len(raw) == 0 {
		return false
	}
	for _, a := range bytes.Split(bytes.TrimRight(raw, "\x00"), []byte{0}) {
		if strings.Contains(string(a), p.Mark) {
			return true
		}
	}
	return false
}

// signal sends sig to p if it is still ours.
func (p proc) signal(sig syscall.Signal) {
	if p.alive() {
		_ = syscall.Kill(p.PID, sig)
	}
}

// stopProcs sends SIGTERM to all, waits up to grace, then SIGKILLs the rest.
func stopProcs(grace time.Duration, ps ...proc) {
	for _, p := range ps {
		p.signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && anyAlive(ps) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range ps {
		p.signal(syscall.SIGKILL)
	}
	for i := 0; i < 100 && anyAlive(ps); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

func anyAlive(ps []proc) bool {
	for _, p := range ps {
		if p.alive() {
			return true
		}
	}
	return false
}

// otherKubelets counts running kubelet processes other than except.
func otherKubelets(except int) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == except {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		argv0, _, _ := bytes.Cut(raw, []byte{0})
		if filepath.Base(string(argv0)) == "kubelet" {
			n++
		}
	}
	return n
}

// tail returns the last n lines of a log file for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log " + path + ")"
	}
	return path + ":\n" + lastLines(string(data), n)
}
