//go:build linux

package probes

// Exe reads the /proc/<pid>/exe link: the executable the process runs, as
// a path in the process's own mount namespace (a file a process cannot
// rename after its execve, unlike its comm or argv[0]). Reading another
// user's link needs CAP_SYS_PTRACE; a kernel thread has none (an error
// wrapping ENOENT, reported as ErrGone).
func (fs FS) Exe(pid int) (string, error) {
	buf := make([]byte, 4096)
	n, err := readlink(fs.pidDir(pid)+"exe", buf)
	if err != nil {
		return "", fs.fileErr(pid, "exe", err)
	}
	return string(buf[:n]), nil
}

// Cmdline reads /proc/<pid>/cmdline: the arguments as the process left
// them in its memory (a process may rewrite them: never proof of what it
// runs).
func (fs FS) Cmdline(pid int) ([]string, error) {
	buf := getBuf()
	defer putBuf(buf)
	b, err := readFile(fs.pidDir(pid)+"cmdline", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "cmdline", err)
	}
	return parseCmdline(b), nil
}
