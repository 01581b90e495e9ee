package matrix

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Image is the test image every case runs (busybox-static with the
// setuid-root helper /usr/local/bin/escalate), imported by the harness.
const Image = "rtaudit.local/busybox:test"

// Sleeper is a containers: list entry (indented for a spec body) running
// sleep as the container "main".
const Sleeper = `  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
`

// Case is one pod of the matrix. Spec is the body of the pod's spec:,
// indented by two spaces. Every case has one ordinary container "main".
type Case struct {
	Name string
	Spec string
}

// Drift are the matrix pods whose kernel state really departs from their
// spec, with the check that must report it at the process layer on the
// init process of "main": the setuid-root helper turns UID 1000 into
// effective UID 0 in a pod that allows privilege escalation.
var Drift = map[string]string{"setuid-escalates": "run-as-user"}

// Cases are the matrix pods, in a stable order.
var Cases = []Case{
	{"defaults", "  containers:\n" + Sleeper},
	{"run-as-user-group", `  securityContext: {runAsUser: 1000, runAsGroup: 3000}
  containers:
` + Sleeper},
	{"container-overrides-pod", `  securityContext: {runAsUser: 1000, runAsGroup: 3000}
  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {runAsUser: 2000, runAsGroup: 4000}
`},
	{"supplemental-and-fs-group", `  securityContext: {runAsUser: 1000, runAsGroup: 1000, supplementalGroups: [4000, 5000], fsGroup: 6000}
  containers:
` + Sleeper},
	{"drop-all", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [ALL]}}
`},
	{"drop-all-add-one", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}
`},
	{"add-sys-admin-drop-net-raw", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {capabilities: {add: [SYS_ADMIN], drop: [NET_RAW]}}
`},
	{"no-privilege-escalation", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false}
`},
	{"setuid-blocked-by-nnp", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
  - name: main
    image: ` + Image + `
    command: [/usr/local/bin/escalate, hold]
    securityContext: {allowPrivilegeEscalation: false}
`},
	{"setuid-escalates", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
  - name: main
    image: ` + Image + `
    command: [/usr/local/bin/escalate, hold]
`},
	{"privileged", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {privileged: true}
`},
	{"read-only-root", `  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {readOnlyRootFilesystem: true}
`},
	{"host-network", "  hostNetwork: true\n  containers:\n" + Sleeper},
	{"host-pid", "  hostPID: true\n  containers:\n" + Sleeper},
	{"host-ipc", "  hostIPC: true\n  containers:\n" + Sleeper},
	{"seccomp-runtime-default", `  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
` + Sleeper},
	{"container-seccomp-overrides-pod", `  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {seccompProfile: {type: Unconfined}}
`},
	{"restricted-profile", `  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`},
}

// PodYAML wraps a spec body (indented by two spaces under spec:) into a
// Pod manifest named name, labelled app=matrix.
func PodYAML(name, spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels: {app: matrix}\nspec:\n" + spec
}

// Pod decodes PodYAML(name, spec) strictly: an unknown field is an error.
func Pod(name, spec string) (*corev1.Pod, error) {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(PodYAML(name, spec)), &pod); err != nil {
		return nil, fmt.Errorf("matrix: pod %s: %w", name, err)
	}
	return &pod, nil
}
