package groundtruth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
)

// apiserverPID finds the kube-apiserver of cluster c among the host's
// processes (several clusters may run here): the one whose command line
// names c's directory.
func apiserverPID(t *testing.T, c *cluster.Cluster) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if filepath.Base(exe) != "kube-apiserver" {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.Contains(string(cmdline), c.Dir()+"/") {
			return pid
		}
	}
	t.Fatalf("no kube-apiserver of %s", c.Dir())
	return 0
}

// atRestFindings scans with the etcd probe and returns the
// encryption-at-rest findings of c's API server as "severity field".
func atRestFindings(t *testing.T, c *cluster.Cluster) ([]string, string) {
	t.Helper()
	createSecret(t, c, "gt-atrest", "db", map[string]string{"password": secretValue})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := scan.Run(ctx, scan.Options{
		Runtime: runtimeOptions(c), Node: c.NodeName(), Filter: scan.Filter{Namespace: "gt-atrest"},
		Encryption: scan.EncryptionOptions{Judge: true, EtcdProbe: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := apiserverPID(t, c)
	var got []string
	var msgs strings.Builder
	for _, f := range r.Findings {
		if f.Check == checks.EncryptionAtRest && f.PID == pid {
			got = append(got, fmt.Sprintf("%s %s", f.Severity, f.Field))
			fmt.Fprintf(&msgs, "\n  %s %s: %s", f.Severity, f.Field, f.Message)
			if f.Pod != "" || strings.Contains(f.Message, secretValue) {
				t.Errorf("a node-level finding with a pod, or a secret value: %+v", f)
			}
		}
	}
	return got, msgs.String()
}

// TestEncryptionAtRest: the shared cluster's API server has no encryption
// config (high) and etcd, read with the API server's access, holds the
// secret in plaintext (critical, which says it all); a cluster started
// with an aescbc config writes the secret with the k8s:enc:aescbc prefix:
// no finding.
func TestEncryptionAtRest(t *testing.T) {
	c := cluster.Shared(t)
	got, msgs := atRestFindings(t, c)
	if len(got) != 1 || !strings.HasPrefix(got[0], "critical etcd:/registry/secrets/") {
		t.Errorf("unencrypted: %v, want one critical etcd finding:%s", got, msgs)
	}
	enc := cluster.Extra(t, cluster.Options{EncryptSecrets: true})
	if got, msgs := atRestFindings(t, enc); len(got) != 0 {
		t.Errorf("encrypted: %v, want none:%s", got, msgs)
	}
}
