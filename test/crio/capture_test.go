package crio

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

var capture = flag.Bool("capture", false, "TestCRIOCaptureVerbose: rewrite agent/cri/testdata/cri-o-1.34.0 from the lab's CRI-O")

// criTestdata holds the verbose status fixtures of agent/cri.
const criTestdata = "../../agent/cri/testdata"

// fixturePod is the pod every runtime's fixtures of agent/cri are captured
// with (agent/cri/testdata/README.md): team-a/web, container app.
const fixturePod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team-a, uid: 8f1c2d3e-1111-2222-3333-444455556666}
spec:
%s  containers:
  - name: app
    image: ` + mx.Image + `
    command: [sleep, "3600"]
    securityContext: {runAsUser: 1000, capabilities: {add: [NET_ADMIN], drop: [MKNOD]}, readOnlyRootFilesystem: true}
    volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
  volumes: [{name: data, hostPath: {path: /tmp}}]
`

// TestCRIOCaptureVerbose captures CRI-O's real answers for the fixture
// pod into agent/cri/testdata/cri-o-<version>: Version, the non-verbose
// ContainerStatus and PodSandboxStatus, and the "info" documents of the
// verbose ones. The pod's pid namespace is CONTAINER (as the kubelet sends
// by default), so CRI-O drops its infra container: its sandbox info has
// no pid. sandbox_info_infra.json is the sandbox of the same pod with
// shareProcessNamespace (an infra container, a pause PID). Only with
// -capture.
func TestCRIOCaptureVerbose(t *testing.T) {
	if !*capture {
		t.Skip("captures the verbose status fixtures only with -capture")
	}
	lab := harness.SharedCRIOLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	v, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(criTestdata, v.RuntimeName+"-"+v.RuntimeVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeJSON := func(name string, v any) {
		t.Helper()
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		write(name, data)
	}
	writeInfo := func(name string, info map[string]string) {
		t.Helper()
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(info["info"]), "", "  "); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		write(name, b.Bytes())
	}
	writeJSON("version.json", v)

	l := launch(t, lab, fmtPod(fixturePod, ""))
	id, err := l.pod.ContainerID("app")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	writeJSON("container_status.json", cs.Status)
	writeInfo("container_info.json", cs.Info)
	ss, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: l.pod.SandboxID, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	writeJSON("sandbox_status.json", ss.Status)
	writeInfo("sandbox_info.json", ss.Info)
	if err := l.pod.Delete(ctx); err != nil {
		t.Fatal(err)
	}

	shared := launch(t, lab, fmtPod(fixturePod, "  shareProcessNamespace: true\n"))
	ss, err = rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: shared.pod.SandboxID, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	writeInfo("sandbox_info_infra.json", ss.Info)
	t.Logf("captured %s: container %s pid %d, sandbox %s", dir, id, l.pid, l.pod.SandboxID)
}
