// Command rusage runs a command and writes its wall time, user+system CPU
// time and peak RSS (wait4's rusage) as JSON to the file -o names.
//
// The scan bench times its programs through it rather than from the go
// test process itself: a child exec'd straight from a large process reports
// that process's peak RSS as its own (Linux records the old address space's
// high-water mark in ru_maxrss at execve, and Go starts children with
// vfork semantics). This wrapper is small, so the figure is the child's.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "write the figures to this file")
	flag.Parse()
	if flag.NArg() == 0 || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: rusage -o FILE COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(2)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	data, _ := json.Marshal(map[string]int64{
		"wallNs":   wall.Nanoseconds(),
		"cpuNs":    ru.Utime.Nano() + ru.Stime.Nano(),
		"maxRSSKB": ru.Maxrss,
	})
	if werr := os.WriteFile(*out, data, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "rusage:", werr)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
