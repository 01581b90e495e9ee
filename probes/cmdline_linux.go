//go:build linux

package probes

import "fmt"

// Cmdline returns the arguments of pid from /proc/<pid>/cmdline (NUL
// separated; empty for a kernel thread or a zombie). The process chose
// them: they name nothing unless something the kernel keeps backs them
// (its namespaces, cgroups, start time). A vanished process is ErrGone.
func (fs FS) Cmdline(pid int) ([]string, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	buf := getBuf()
	defer putBuf(buf)
	data, err := readFile(fs.pidDir(pid)+"cmdline", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "cmdline", err)
	}
	return ParseCmdline(data), nil
}
