package cleanup

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Argv returns the command line of pid (/proc/<pid>/cmdline split at its
// NULs), or nil when it cannot be read or is empty (a kernel thread, a
// zombie, a process gone).
func Argv(pid int) []string {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(raw) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
}

// FindProcesses lists the processes of /proc whose command line match
// accepts; those without one (see Argv) are skipped.
func FindProcesses(match func(pid int, argv []string) bool) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if argv := Argv(pid); argv != nil && match(pid, argv) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Terminate stops processes: it sends them SIGTERM, waits up to grace
// while alive reports one still running, then sends SIGKILL to what is
// left and waits up to two more seconds. signal must send a signal to
// every process still running.
func Terminate(grace time.Duration, alive func() bool, signal func(syscall.Signal)) {
	signal(syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for alive() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !alive() {
		return
	}
	signal(syscall.SIGKILL)
	for i := 0; i < 100 && alive(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}
