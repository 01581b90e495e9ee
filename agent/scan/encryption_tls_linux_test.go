//go:build linux

package scan_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/internal/etcdtest"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

// fakeAPIServerEnv makes this test binary, copied as kube-apiserver, sleep
// (TestHelperAPIServer): a host process the scan takes for an API server.
const fakeAPIServerEnv = "RTAUDIT_FAKE_APISERVER"

// TestHelperAPIServer is the fake kube-apiserver's body, not a test.
func TestHelperAPIServer(t *testing.T) {
	if os.Getenv(fakeAPIServerEnv) != "1" {
		t.Skip("the body of the fake kube-apiserver process of TestEtcdProbeOverTLS")
	}
	time.Sleep(10 * time.Minute)
}

// noRuntime lists nothing: the scan judges only host processes.
type noRuntime struct{}

func (noRuntime) Info() cri.Info { return cri.Info{Name: "containerd", Version: "1.6.20"} }
func (noRuntime) Snapshot(context.Context, cri.ListOptions) (*cri.Snapshot, error) {
	return &cri.Snapshot{Runtime: cri.Info{Name: "containerd", Version: "1.6.20"}}, nil
}
func (noRuntime) OtherTasks(context.Context) ([]cri.Task, error)   { return nil, nil }
func (noRuntime) ListIDs(context.Context) (map[string]bool, error) { return map[string]bool{}, nil }

// TestEtcdProbeOverTLS: --etcd-probe's whole path over TLS. A host process
// named kube-apiserver whose command line gives a real TLS etcd (client
// certificates required) and its --etcd-certfile, --etcd-keyfile and
// --etcd-cafile: the scan reads the three files inside its root and
// samples etcd with them. A plaintext secret is critical; with an aescbc
// config and an encrypted value, no finding; with the client key missing
// from the command line, etcd refuses and the probe is inconclusive (info).
func TestEtcdProbeOverTLS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading another process's root needs root")
	}
	p := etcdtest.NewPKI(t)
	url, hc := etcdtest.Start(t, p)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cert, key, ca := write("etcd-client.crt", p.ClientCert), write("etcd-client.key", p.ClientKey), write("etcd-ca.crt", p.CA)
	enc := write("encryption.yaml", []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc: {keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==}]}
  - identity: {}
`))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kube-apiserver")
	copyFile(t, self, bin)

	run := func(args ...string) []checks.Finding {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-test.run=^TestHelperAPIServer$", "serve"}, args...)...)
		cmd.Env = append(os.Environ(), fakeAPIServerEnv+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		fs, err := probes.OpenLive("")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out []checks.Finding
		for range 50 { // until the copy runs as kube-apiserver (after exec)
			r, err := scan.NewScanner(noRuntime{}, fs, scan.Options{Node: "n", RuntimeRoots: []string{}, Filter: scan.Filter{Namespace: "none"},
				Encryption: scan.EncryptionOptions{Judge: true, EtcdProbe: true}}).Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = out[:0]
			seen := false
			for _, f := range r.Findings {
				if f.Check == checks.EncryptionAtRest && f.PID == cmd.Process.Pid {
					out = append(out, f)
					seen = true
				}
			}
			if seen {
				return out
			}
			time.Sleep(100 * time.Millisecond)
		}
		return out
	}
	describe := func(fs []checks.Finding) string {
		var b strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&b, "\n  %s %s: %s", f.Severity, f.Field, f.Message)
		}
		return b.String()
	}
	tls := []string{"--etcd-servers=" + url, "--etcd-certfile", cert, "--etcd-keyfile=" + key, "--etcd-cafile=" + ca}

	etcdtest.Put(t, hc, url, "/registry/secrets/default/db", "k8s\x00\n\x0c\n\x02v1\x12\x06Secret hunter2")
	got := run(tls...)
	if len(got) != 1 || got[0].Severity != checks.Critical || got[0].Field != "etcd:/registry/secrets/default/db" || strings.Contains(got[0].Message, "hunter2") {
		t.Errorf("plaintext over TLS: want one critical etcd finding:%s", describe(got))
	}

	etcdtest.Put(t, hc, url, "/registry/secrets/default/db", "k8s:enc:aescbc:v1:key1:\x8a\x01binary")
	if got := run(append(tls, "--encryption-provider-config="+enc)...); len(got) != 0 {
		t.Errorf("encrypted over TLS: want none:%s", describe(got))
	}

	noKey := []string{"--etcd-servers=" + url, "--etcd-cafile=" + ca, "--encryption-provider-config=" + enc}
	got = run(noKey...)
	if len(got) != 1 || got[0].Severity != checks.Info {
		t.Errorf("no client certificate: want one info (inconclusive):%s", describe(got))
	}
	t.Logf("no client certificate:%s", describe(got))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
