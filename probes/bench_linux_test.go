//go:build linux

package probes

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTimer reports CPU time (user + system, whole process) per operation:
// a probe is mostly system time spent generating proc files, which ns/op
// alone does not separate from waiting.
type cpuTimer struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuTimer { return cpuTimer{cpuNow()} }

func (c cpuTimer) report(b *testing.B, perOp int) {
	b.ReportMetric(float64(cpuNow()-c.start)/float64(b.N)/float64(perOp), "cpu-ns/probe")
}

func BenchmarkProbeSelf(b *testing.B) {
	fs, err := NewFS("")
	if err != nil {
		b.Fatal(err)
	}
	pid := os.Getpid()
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		if _, err := fs.Probe(pid); err != nil {
			b.Fatal(err)
		}
	}
	c.report(b, 1)
}

// BenchmarkProbeFixture probes a container process of the fixture tree
// (17 mounts, regular files on disk instead of generated proc files).
func BenchmarkProbeFixture(b *testing.B) {
	fs := fixtureFS(b)
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		if _, err := fs.Probe(100); err != nil {
			b.Fatal(err)
		}
	}
	c.report(b, 1)
}

// sleepers starts n long sleeps (n-1 of them through nsenter into the mount
// namespace of the first when unshareMnt) and returns their PIDs once each
// has exec'd sleep.
func sleepers(b *testing.B, fs FS, n int, unshareMnt bool) []int {
	b.Helper()
	pids := make([]int, 0, n)
	for i := range n {
		args := []string{"sleep", "600"}
		switch {
		case unshareMnt && i == 0:
			args = append([]string{"unshare", "--mount", "--propagation", "private"}, args...)
		case unshareMnt:
			args = append([]string{"nsenter", "--target", strconv.Itoa(pids[0]), "--mount"}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
		if i == 0 {
			waitSleep(b, fs, pids[0])
		}
	}
	for _, pid := range pids {
		waitSleep(b, fs, pid)
	}
	return pids
}

func waitSleep(b *testing.B, fs FS, pid int) {
	for {
		p, err := fs.Probe(pid)
		if err != nil {
			b.Fatal(err)
		}
		if p.Comm == "sleep" {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkProbe1000Children probes 1,000 live sleep processes per
// operation.
func BenchmarkProbe1000Children(b *testing.B) {
	benchLive(b, 1000, false, func(fs FS) func(int) error {
		return func(pid int) error { _, err := fs.Probe(pid); return err }
	})
}

// BenchmarkSession1000Children probes 1,000 live sleep processes of the
// host's mount namespace through one Session per operation (a scan).
func BenchmarkSession1000Children(b *testing.B) {
	benchLive(b, 1000, false, func(fs FS) func(int) error {
		s := fs.NewSession()
		return func(pid int) error { _, err := s.Probe(pid); return err }
	})
}

// BenchmarkSessionContainer probes the 100 processes of one "container" (a
// mount namespace of their own) through one Session per operation.
func BenchmarkSessionContainer(b *testing.B) {
	benchLive(b, 100, true, func(fs FS) func(int) error {
		s := fs.NewSession()
		return func(pid int) error { _, err := s.Probe(pid); return err }
	})
}

// BenchmarkNamespaces1000Children reads the namespaces of 1,000 live sleep
// processes per operation: the hidden-process search's first look at every
// host PID.
func BenchmarkNamespaces1000Children(b *testing.B) {
	benchLive(b, 1000, false, func(fs FS) func(int) error {
		return func(pid int) error { _, err := fs.Namespaces(pid); return err }
	})
}

// BenchmarkListingNamespaces1000Children reads only the pid and network
// namespaces of 1,000 live sleep processes per operation: what a Session's
// Listing reads of every process.
func BenchmarkListingNamespaces1000Children(b *testing.B) {
	benchLive(b, 1000, false, func(fs FS) func(int) error {
		return func(pid int) error { _, err := fs.NamespacesOf(pid, NSPID, NSNet); return err }
	})
}

// benchLive probes n live sleep processes (in a mount namespace of their
// own when ownMnt) per operation, with the probe newProbe makes once per
// operation (a scan), and reports the CPU time per process.
func benchLive(b *testing.B, n int, ownMnt bool, newProbe func(FS) func(pid int) error) {
	fs, err := NewFS("")
	if err != nil {
		b.Fatal(err)
	}
	pids := sleepers(b, fs, n, ownMnt)
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		probe := newProbe(fs)
		for _, pid := range pids {
			if err := probe(pid); err != nil {
				b.Fatal(err)
			}
		}
	}
	c.report(b, n)
}

// BenchmarkKernelFloor reads the files a probe reads (stat twice) with raw
// syscalls into one buffer and parses nothing: what the kernel alone costs,
// the floor under any /proc reader.
func BenchmarkKernelFloor(b *testing.B) {
	dir := "/proc/" + strconv.Itoa(os.Getpid()) + "/"
	buf := make([]byte, 1<<16)
	var link [64]byte
	files := []string{"stat", "status", "mountinfo", "cgroup", "attr/current", "uid_map", "gid_map", "stat"}
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		for _, f := range files {
			_, _ = readFile(dir+f, &buf)
		}
		for _, k := range NSKinds() {
			_, _ = syscall.Readlink(dir+"ns/"+string(k), link[:])
		}
	}
	c.report(b, 1)
}

// BenchmarkKernelFloorSession makes the syscalls of a Session probe whose
// mount view, ID maps and LSM absence are cached (stat opened, read, read
// again and closed; status; cgroup; eight ns links; statx of root), of a
// sleep process, parsing nothing: the floor under a cached probe.
func BenchmarkKernelFloorSession(b *testing.B) {
	fs, err := NewFS("")
	if err != nil {
		b.Fatal(err)
	}
	pid := sleepers(b, fs, 1, false)[0]
	dir := fs.pidDir(pid)
	buf := make([]byte, 1<<16)
	var link [64]byte
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		fd, _ := openFile(dir + "stat")
		_, _ = preadAll(fd, dir+"stat", &buf)
		for _, f := range []string{"status", "cgroup"} {
			_, _ = readFile(dir+f, &buf)
		}
		for _, k := range nsKinds {
			_, _ = readlink(dir+"ns/"+string(k), link[:])
		}
		_, _, _, _ = statRoot(dir + "root")
		_, _ = preadAll(fd, dir+"stat", &buf)
		closeFile(fd)
	}
	c.report(b, 1)
}

// BenchmarkListeners reads this process's network namespace's listeners
// (the host's, in a scan with hostNetwork): TCP from sock_diag, UDP from
// /proc.
func BenchmarkListeners(b *testing.B) {
	fs, err := NewFS("")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.Listeners(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}
