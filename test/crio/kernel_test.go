package crio

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// kernel is what /proc says of a container's init: the status fields and
// the namespace links.
type kernel struct {
	status map[string]string
	ns     map[string]string
}

func readKernel(t *testing.T, pid int) kernel {
	t.Helper()
	k := kernel{status: map[string]string{}, ns: map[string]string{}}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if key, v, ok := strings.Cut(line, ":"); ok {
			k.status[key] = strings.Join(strings.Fields(v), " ")
		}
	}
	for _, kind := range []string{"pid", "net", "ipc"} {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind)); err == nil {
			k.ns[kind] = l
		}
	}
	return k
}

// crioKernel are the kernel facts CRI-O must produce for some matrix
// pods, so that "the audit finds nothing" is not "both are wrong": CRI-O's
// 9 default capabilities, the seccomp filter, no_new_privs, host
// namespaces. (The runc lab's full assertions are test/integration's.)
func crioKernel(node kernel) map[string]func(t *testing.T, k kernel) {
	want := func(t *testing.T, k kernel, key, v string) {
		t.Helper()
		if k.status[key] != v {
			t.Errorf("%s = %q, want %q", key, k.status[key], v)
		}
	}
	return map[string]func(t *testing.T, k kernel){
		"defaults": func(t *testing.T, k kernel) {
			want(t, k, "CapBnd", "00000000000005fb")
			want(t, k, "CapEff", "00000000000005fb")
			want(t, k, "Seccomp", "0")
			for _, kind := range []string{"pid", "net", "ipc"} {
				if k.ns[kind] == node.ns[kind] {
					t.Errorf("ns/%s is the node's", kind)
				}
			}
		},
		"drop-all": func(t *testing.T, k kernel) { want(t, k, "CapBnd", "0000000000000000") },
		"drop-all-add-one": func(t *testing.T, k kernel) {
			want(t, k, "CapBnd", "0000000000000400") // NET_BIND_SERVICE
		},
		"no-privilege-escalation": func(t *testing.T, k kernel) { want(t, k, "NoNewPrivs", "1") },
		"seccomp-runtime-default": func(t *testing.T, k kernel) { want(t, k, "Seccomp", "2") },
		"restricted-profile": func(t *testing.T, k kernel) {
			want(t, k, "Uid", "1000 1000 1000 1000")
			want(t, k, "CapEff", "0000000000000000")
			want(t, k, "NoNewPrivs", "1")
			want(t, k, "Seccomp", "2")
		},
		"host-pid": func(t *testing.T, k kernel) {
			if k.ns["pid"] != node.ns["pid"] {
				t.Errorf("ns/pid %s, want the node's %s", k.ns["pid"], node.ns["pid"])
			}
		},
		"host-network": func(t *testing.T, k kernel) {
			if k.ns["net"] != node.ns["net"] {
				t.Errorf("ns/net %s, want the node's %s", k.ns["net"], node.ns["net"])
			}
		},
	}
}
