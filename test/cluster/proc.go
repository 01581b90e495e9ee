package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/internal/cleanup"
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
	pid := cmd.Process.Pid
	go func() { // reap; alive() then sees the PID gone
		err := cmd.Wait()
		exits.Store(pid, fmt.Sprintf("%s (pid %d) ended: %v", name, pid, err))
	}()
	return proc{Name: name, PID: pid, Mark: mark}, nil
}

// exits records how each daemon this process started ended (the wait
// status: an exit code or the signal), for start-up errors.
var exits sync.Map

// exitOf says how p ended, when this process started and reaped it.
func (p proc) exitOf() string {
	if v, ok := exits.Load(p.PID); ok {
		return v.(string)
	}
	return fmt.Sprintf("%s (pid %d): no longer found", p.Name, p.PID)
}

// alive tells whether p still runs (a zombie or a recycled PID does not
// count: its command line must still carry Mark).
func (p proc) alive() bool {
	if p.PID <= 0 {
		return false
	}
	return slices.ContainsFunc(cleanup.Argv(p.PID), func(a string) bool { return strings.Contains(a, p.Mark) })
}

// signal sends sig to p if it is still ours.
func (p proc) signal(sig syscall.Signal) {
	if p.alive() {
		_ = syscall.Kill(p.PID, sig)
	}
}

// stopProcs sends SIGTERM to all, waits up to grace, then SIGKILLs the rest.
func stopProcs(grace time.Duration, ps ...proc) {
	cleanup.Terminate(grace, func() bool { return anyAlive(ps) }, func(sig syscall.Signal) {
		for _, p := range ps {
			p.signal(sig)
		}
	})
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
	return len(cleanup.FindProcesses(func(pid int, argv []string) bool {
		return pid != except && filepath.Base(argv[0]) == "kubelet"
	}))
}

// tail returns the last n lines of a log file for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log " + path + ")"
	}
	return path + ":\n" + lastLines(string(data), n)
}
