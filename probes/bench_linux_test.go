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

// BenchmarkProbe1000Children probes 1,000 live sleep processes per
// operation.
func BenchmarkProbe1000Children(b *testing.B) {
	fs, err := NewFS("")
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	pids := make([]int, 0, n)
	for range n {
		cmd := exec.Command("sleep", "600")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
	}
	for _, pid := range pids { // wait until each has exec'd sleep
		for {
			p, err := fs.Probe(pid)
			if err != nil {
				b.Fatal(err)
			}
			if p.Comm == "sleep" {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportAllocs()
	c := startCPU()
	for b.Loop() {
		for _, pid := range pids {
			if _, err := fs.Probe(pid); err != nil {
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
