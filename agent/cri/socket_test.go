package cri

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSocketPath(t *testing.T) {
	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{in: "unix:///run/containerd/containerd.sock", want: "/run/containerd/containerd.sock"},
		{in: "/var/run/crio/crio.sock", want: "/var/run/crio/crio.sock"},
		{in: "unix:///run//x/../crio.sock", want: "/run/crio.sock"},
		{in: "tcp://127.0.0.1:1234", wantErr: "only unix sockets"},
		{in: "npipe:////./pipe/containerd", wantErr: "only unix sockets"},
		{in: "unix://run/x.sock", wantErr: "absolute socket path"},
		{in: "containerd.sock", wantErr: "absolute socket path"},
	} {
		got, err := socketPath(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("socketPath(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("socketPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestInRootFollowsSymlinksInsideRoot(t *testing.T) {
	root := t.TempDir()
	mustMkdir(t, filepath.Join(root, "run/crio"))
	mustMkdir(t, filepath.Join(root, "var"))
	// As on Debian: /var/run -> /run (absolute: must stay inside root).
	mustSymlink(t, "/run", filepath.Join(root, "var/run"))
	// A relative link and a link to a link.
	mustSymlink(t, "crio", filepath.Join(root, "run/crio-link"))
	mustSymlink(t, "/var/run/crio-link", filepath.Join(root, "run/chain"))
	mustSymlink(t, "loop", filepath.Join(root, "run/loop"))

	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{in: "/var/run/crio/crio.sock", want: "/run/crio/crio.sock"},
		{in: "/run/crio-link/crio.sock", want: "/run/crio/crio.sock"},
		{in: "/run/chain/crio.sock", want: "/run/crio/crio.sock"},
		{in: "/run/missing/x.sock", want: "/run/missing/x.sock"},
		{in: "/../../etc/x", want: "/etc/x"},
		{in: "/run/loop/x", wantErr: "too many symlinks"},
	} {
		got, err := inRoot(root, tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("inRoot(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tc.want) {
			t.Errorf("inRoot(%q) = %q, %v; want %q", tc.in, got, err, filepath.Join(root, tc.want))
		}
	}
}

func TestCandidates(t *testing.T) {
	root := t.TempDir()
	mustMkdir(t, filepath.Join(root, "run"))
	mustMkdir(t, filepath.Join(root, "var"))
	mustSymlink(t, "/run", filepath.Join(root, "var/run"))

	got, err := candidates("", root)
	if err != nil {
		t.Fatal(err)
	}
	// /var/run/crio/crio.sock is /run/crio/crio.sock on this host: tried once.
	want := []candidate{
		{"unix:///run/containerd/containerd.sock", root + "/run/containerd/containerd.sock"},
		{"unix:///run/crio/crio.sock", root + "/run/crio/crio.sock"},
		{"unix:///run/k3s/containerd/containerd.sock", root + "/run/k3s/containerd/containerd.sock"},
		{"unix:///run/cri-dockerd.sock", root + "/run/cri-dockerd.sock"},
	}
	if len(got) != len(want) {
		t.Fatalf("candidates = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("candidate %d = %v, want %v", i, got[i], want[i])
		}
	}

	got, err = candidates("unix:///var/run/crio/crio.sock", "/host-does-not-exist")
	if err != nil || len(got) != 1 || got[0].socket != "/host-does-not-exist/var/run/crio/crio.sock" || got[0].endpoint != "unix:///var/run/crio/crio.sock" {
		t.Errorf("explicit endpoint candidates = %v, %v", got, err)
	}
	if _, err := candidates("tcp://x:1", ""); err == nil {
		t.Error("tcp endpoint accepted")
	}
}

func TestCheckSocket(t *testing.T) {
	dir := sockDir(t)
	sock := filepath.Join(dir, "ok.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkSocket(sock); err != nil {
		t.Errorf("real socket: %v", err)
	}
	if err := checkSocket(filepath.Join(dir, "missing.sock")); !errors.Is(err, errNoSocket) || !strings.Contains(err.Error(), "missing.sock") {
		t.Errorf("missing socket: %v", err)
	}
	if err := checkSocket(file); err == nil || !strings.Contains(err.Error(), "not a unix socket") {
		t.Errorf("regular file: %v", err)
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
