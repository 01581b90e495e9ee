package groundtruth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// secretValue is the value of every test secret: it must never appear in
// a report.
const secretValue = "s3cr3t-v4lue-never-printed"

// legacyJWT is shaped like a legacy service-account token secret's token:
// a JWT whose payload has no exp claim.
func legacyJWT() string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","kid":"x"}`)) + "." +
		enc.EncodeToString([]byte(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"gt-secrets","sub":"system:serviceaccount:gt-secrets:default","pw":"`+secretValue+`"}`)) + ".c2lnbmF0dXJl"
}

func createSecret(t *testing.T, c *cluster.Cluster, ns, name string, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data}
	if _, err := c.Client().CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// findingsOfCheck lists one check's non-info findings of a pod as
// "container/layer/pid".
func findingsOfCheck(r *scan.Report, pod string, id checks.ID) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Pod == pod && f.Check == id && f.Severity != checks.Info {
			out = append(out, fmt.Sprintf("%s/%s/%d", f.Container, f.Layer, f.PID))
		}
	}
	slices.Sort(out)
	return out
}

// TestSecretsAtRuntime, under the real kubelet: a secretKeyRef variable in
// a pod sharing its process namespace with a same-UID sidecar is readable
// by the sidecar (secret-env, naming it), not in a pod of its own; the
// kubelet's secret volume and projected token are read-only tmpfs mounts
// whose token expires (no finding); a secret holding a never-expiring JWT
// is reported (service-account-token); a hostPath of /var reaches the
// kubelet's pod volumes (secret-host-paths). No secret value is in the
// report.
func TestSecretsAtRuntime(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-secrets"
	createSecret(t, c, ns, "db", map[string]string{"password": secretValue})
	createSecret(t, c, ns, "legacy-token", map[string]string{"token": legacyJWT()})
	envSpec := func(share bool) string {
		return fmt.Sprintf(`  shareProcessNamespace: %v
  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
  - name: main
    image: %s
    command: [sleep, "3600"]
    env:
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
  - name: side
    image: %s
    command: [sleep, "3600"]
`, share, matrix.Image, matrix.Image)
	}
	shared := runIn(t, c, ns, "env-shared", envSpec(true), "main")
	runIn(t, c, ns, "env-private", envSpec(false), "main")
	runIn(t, c, ns, "volumes", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  volumes:
  - name: creds
    secret: {secretName: db}
  - name: legacy
    secret: {secretName: legacy-token}
  containers:
  - name: main
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    volumeMounts:
    - {name: creds, mountPath: /etc/creds}
    - {name: legacy, mountPath: /var/run/secrets/legacy}
`, "main")
	// CRI-O forces HostToContainer propagation on a hostPath holding its
	// storage root (here under /var/tmp) and refuses it on this host's
	// private / (crioRefusesHostRoot): there, /var/lib, another ancestor
	// of /var/lib/kubelet.
	varPath := "/var"
	if c.RuntimeName() == harness.RuntimeCRIO {
		varPath = "/var/lib"
	}
	hp := runIn(t, c, ns, "host-var", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  volumes:
  - name: var
    hostPath: {path: `+varPath+`, type: Directory}
  containers:
  - name: main
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    volumeMounts:
    - {name: var, mountPath: /host/var, readOnly: true}
`, "main")

	r := scanNamespace(t, c, ns)
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), secretValue) || strings.Contains(string(js), legacyJWT()[:20]) {
		t.Fatalf("a secret value is in the report")
	}
	if got, want := findingsOfCheck(r, "env-shared", checks.SecretEnv), []string{fmt.Sprintf("main/process/%d", shared.pid)}; !slices.Equal(got, want) {
		t.Errorf("env-shared: secret-env %v, want %v:%s", got, want, dump(r, "env-shared"))
	}
	for _, f := range r.Findings {
		if f.Pod == "env-shared" && f.Check == checks.SecretEnv {
			if f.Severity != checks.High || !strings.Contains(f.Message, "DB_PASSWORD") || !strings.Contains(f.Message, ns+"/env-shared/side") || !strings.Contains(f.Message, "same UID 1000") {
				t.Errorf("env-shared: finding does not say what and who: %s %s", f.Severity, f.Message)
			}
		}
	}
	if got := findingsOfCheck(r, "env-private", checks.SecretEnv); len(got) != 0 {
		t.Errorf("env-private: no other container sees the process, got %v:%s", got, dump(r, "env-private"))
	}
	for _, pod := range []string{"env-shared", "env-private", "volumes", "host-var"} {
		if got := findingsOfCheck(r, pod, checks.SecretVolumes); len(got) != 0 {
			t.Errorf("%s: the kubelet's secret and projected volumes are read-only tmpfs, got %v:%s", pod, got, dump(r, pod))
		}
	}
	if got, want := findingsOfCheck(r, "volumes", checks.ServiceAccountToken), []string{"main/process/" + fmt.Sprint(pidOf(r, "volumes"))}; !slices.Equal(got, want) {
		t.Errorf("volumes: service-account-token %v, want %v (the legacy secret only; the projected token expires):%s", got, want, dump(r, "volumes"))
	}
	if got, want := findingsOfCheck(r, "host-var", checks.SecretHostPaths), []string{fmt.Sprintf("main/process/%d", hp.pid)}; !slices.Equal(got, want) {
		t.Errorf("host-var: secret-host-paths %v, want %v:%s", got, want, dump(r, "host-var"))
	}
}

// pidOf is the init PID of a pod's container "main" in the report.
func pidOf(r *scan.Report, pod string) int {
	for _, c := range r.Containers {
		if c.Pod == pod && c.Container == "main" {
			return c.PID
		}
	}
	return -1
}

// TestHostPortListeners, under the real kubelet: a hostNetwork pod
// serving its declared port and, from a second process, an undeclared one
// gives one host-port finding, on that process and port.
func TestHostPortListeners(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-hostport"
	ports, err := cluster.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	declared, undeclared := ports[0], ports[1]
	runIn(t, c, ns, "hostnet-listen", fmt.Sprintf(`  hostNetwork: true
  containers:
  - name: main
    image: %s
    command: [sh, -c, "httpd -p 127.0.0.1:%d; exec httpd -f -p 127.0.0.1:%d"]
    ports:
    - {containerPort: %d}
`, matrix.Image, declared, undeclared, declared), "main")
	var r *scan.Report
	deadline := time.Now().Add(30 * time.Second)
	for { // both servers listening
		r = scanNamespace(t, c, ns)
		if len(findingsOfCheck(r, "hostnet-listen", checks.HostPort)) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	var got []string
	for _, f := range r.Findings {
		if f.Pod == "hostnet-listen" && f.Check == checks.HostPort {
			got = append(got, f.Field)
		}
	}
	if want := []string{fmt.Sprintf("listen:tcp 127.0.0.1:%d", undeclared)}; !slices.Equal(got, want) {
		t.Errorf("host-port findings %v, want %v:%s", got, want, dump(r, "hostnet-listen"))
	}
}
