package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
)

func TestParseRuntimeStates(t *testing.T) {
	root := t.TempDir()
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// runc 1.1.5's state.json (trimmed) and crun 1.8.1's status.
	write("k8s.io/rtb1/state.json", `{"id":"rtb1","init_process_pid":8798,"init_process_start":1251689,"created":"2026-12-03T12:07:25.058569504Z","config":{"labels":["bundle=/tmp/rtb"]}}`)
	write("k8s.io/c2/status", `{"pid":9001,"process-start-time":1300000,"cgroup-path":"/x","bundle":"/b/c2","created":"2026-12-03T12:08:00Z","owner":"root"}`)
	write("k8s.io/bad/state.json", `{"id":"bad","init_process_pid":0}`)
	write("k8s.io/junk/state.json", `not json`)
	got := loadStates([]string{filepath.Join(root, "*"), filepath.Join(root, "*")})
	want := map[int]stateEntry{
		8798: {owner: checks.RuntimeOwner{Runtime: "runc", Instance: filepath.Join(root, "k8s.io"), ID: "rtb1", Bundle: "/tmp/rtb", Created: "2026-12-03T12:07:25.058569504Z", Evidence: "state.json"}, pid: 8798, start: 1251689},
		9001: {owner: checks.RuntimeOwner{Runtime: "crun", Instance: filepath.Join(root, "k8s.io"), ID: "c2", Bundle: "/b/c2", Created: "2026-12-03T12:08:00Z", Evidence: "status file"}, pid: 9001, start: 1300000},
	}
	if len(got) != len(want) {
		t.Fatalf("states %+v, want %+v", got, want)
	}
	for pid, w := range want {
		if got[pid] != w {
			t.Errorf("pid %d: %+v, want %+v", pid, got[pid], w)
		}
	}
	if len(loadStates([]string{"/nonexistent/*", "["})) != 0 {
		t.Error("a missing root or a bad pattern gives states")
	}
}

func TestParseShimAndConmon(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want checks.RuntimeOwner
		ok   bool
	}{
		{[]string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "5ad", "-address", "/run/other/containerd.sock"},
			checks.RuntimeOwner{Runtime: "containerd", Instance: "/run/other/containerd.sock", Namespace: "k8s.io", ID: "5ad", Evidence: "shim containerd-shim-runc-v2"}, true},
		{[]string{"containerd-shim-runc-v2", "-namespace=moby", "-id=abc"},
			checks.RuntimeOwner{Runtime: "containerd", Namespace: "moby", ID: "abc", Evidence: "shim containerd-shim-runc-v2"}, true},
		{[]string{"/usr/bin/conmon", "-b", "/run/c/userdata", "-c", "662a", "--exit-dir", "/x", "-r", "/usr/bin/runc", "--runtime-arg", "--root=/run/crio-runc", "-u", "662a"},
			checks.RuntimeOwner{Runtime: "cri-o (runc)", Instance: "/run/crio-runc", ID: "662a", Bundle: "/run/c/userdata", Evidence: "conmon"}, true},
		{[]string{"conmon", "--cid=77", "--runtime-arg", "--root", "--runtime-arg", "/run/crun"},
			checks.RuntimeOwner{Runtime: "cri-o", Instance: "/run/crun", ID: "77", Evidence: "conmon"}, true},
		{[]string{"containerd-shim-runc-v2", "-namespace", "k8s.io"}, checks.RuntimeOwner{}, false}, // no ID
		{[]string{"sleep", "-c", "1"}, checks.RuntimeOwner{}, false},
		{nil, checks.RuntimeOwner{}, false},
	} {
		o, ok := parseShim(tc.args)
		if !ok {
			o, ok = parseConmon(tc.args)
		}
		if ok != tc.ok || (ok && o != tc.want) {
			t.Errorf("%q: %+v %v, want %+v %v", tc.args, o, ok, tc.want, tc.ok)
		}
	}
}
