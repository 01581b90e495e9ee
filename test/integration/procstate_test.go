package integration

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// kstate is the kernel's view of one process, read independently of the
// product's probes.
type kstate struct {
	status map[string]string // /proc/<pid>/status
	ns     map[string]string // readlink /proc/<pid>/ns/*
	mounts []mountLine       // /proc/<pid>/mountinfo
}

type mountLine struct {
	point string
	opts  []string
}

func readState(t *testing.T, pid int) kstate {
	t.Helper()
	s := kstate{status: map[string]string{}, ns: map[string]string{}}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			s.status[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	for _, kind := range []string{"ipc", "mnt", "net", "pid", "uts", "user", "cgroup"} {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind)); err == nil {
			s.ns[kind] = l
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		s.mounts = append(s.mounts, mountLine{point: fields[4], opts: strings.Split(fields[5], ",")})
	}
	return s
}

func (s kstate) hex(t *testing.T, key string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s.status[key], 16, 64)
	if err != nil {
		t.Fatalf("status %s=%q: %v", key, s.status[key], err)
	}
	return v
}

// rootReadOnly reports the ro flag of the last mount stacked on "/".
func (s kstate) rootReadOnly() bool {
	ro := false
	for _, m := range s.mounts {
		if m.point == "/" {
			ro = contains(m.opts, "ro")
		}
	}
	return ro
}

func (s kstate) hasMount(point string) (mountLine, bool) {
	var found mountLine
	ok := false
	for _, m := range s.mounts {
		if m.point == point {
			found, ok = m, true
		}
	}
	return found, ok
}

func (s kstate) groups() []string {
	return strings.Fields(s.status["Groups"])
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestReadStateSelf(t *testing.T) {
	s := readState(t, os.Getpid())
	if s.status["Uid"] == "" || len(s.ns) == 0 || len(s.mounts) == 0 {
		t.Fatalf("empty state for self: %+v", s)
	}
	if _, ok := s.hasMount("/"); !ok {
		t.Fatal("no / mount in own mountinfo")
	}
}
