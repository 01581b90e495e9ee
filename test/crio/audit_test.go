package crio

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// TestCRIOCompliantMatrix: every pod of the launcher matrix, run by CRI-O
// with its default OCI runtime (some with their kernel state asserted,
// crioKernel) and declared by its own manifest, gives the audit no finding
// but info, except the matrix pods that are real drift, which give
// exactly their check — as on containerd.
func TestCRIOCompliantMatrix(t *testing.T) {
	lab := harness.SharedCRIOLab(t)
	kernelChecks := crioKernel(readKernel(t, lab.PID()))
	for _, c := range mx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			l := launch(t, lab, podYAML("crio-"+c.Name, c.Spec))
			id, err := l.pod.ContainerID("main")
			if err != nil {
				t.Fatal(err)
			}
			ranUnder(t, lab, id, l.pid)
			if check, ok := kernelChecks[c.Name]; ok {
				check(t, readKernel(t, l.pid))
			}
			r := scanOf(t, lab, l)
			if len(r.Containers) != 1 || r.Containers[0].DeclaredFrom != expect.OriginManifest {
				t.Fatalf("containers = %+v, want the pod's one container declared from the manifest", r.Containers)
			}
			logInfo(t, r)
			var want []string
			if check, ok := mx.Drift[c.Name]; ok {
				want = []string{fmt.Sprintf("%s/process/%d", check, l.pid)}
			}
			if got := drifts(r); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r))
			}
		})
	}
}

// TestCRIOMistranslation: a node component that mistranslates one field
// of the pod spec on its way to CRI-O is caught by that field's check at
// the first layer CRI-O shows. CRI-O's verbose ContainerStatus carries no
// copy of the CRI container config (containerd's does), so a container
// field is first seen at the oci layer; the sandbox's namespace options
// are in PodSandboxStatus, so host namespaces are still caught at the cri
// layer. An extra supplemental group is visible only under
// supplementalGroupsPolicy: Strict (CRI-O supports it): with Merge the
// runtime may add the image's groups, so without the CRI config the OCI
// spec bounds nothing.
//
// A mistranslation that makes the pod's effective Pod Security Standards
// level weaker than the declared one also gives pss-level at its layer.
func TestCRIOMistranslation(t *testing.T) {
	lab := harness.SharedCRIOLab(t)
	restricted := `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + mx.Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`
	rootDropAll := "  containers:\n  - name: main\n    image: " + mx.Image + "\n    command: [sleep, \"3600\"]\n    securityContext: {capabilities: {drop: [ALL]}}\n"
	nonRoot := "  securityContext: {runAsNonRoot: true}\n  containers:\n" + mx.Sleeper
	strict := strings.Replace(restricted, "supplementalGroups: [4000],", "supplementalGroups: [4000], supplementalGroupsPolicy: Strict,", 1)
	cases := map[string]struct {
		spec  string
		check checks.ID
		layer string
	}{
		"runAsUser":                {restricted, checks.RunAsUser, "oci"},
		"runAsNonRoot":             {nonRoot, checks.RunAsNonRoot, "oci"},
		"runAsGroup":               {restricted, checks.RunAsGroup, "oci"},
		"supplementalGroups":       {strict, checks.SupplementalGroups, "oci"},
		"capabilities":             {rootDropAll, checks.Capabilities, "oci"},
		"allowPrivilegeEscalation": {restricted, checks.NoNewPrivs, "oci"},
		"privileged":               {rootDropAll, checks.Privileged, "oci"},
		"readOnlyRootFilesystem":   {restricted, checks.ReadonlyRootfs, "oci"},
		"hostNetwork":              {restricted, checks.HostNetwork, "cri"},
		"hostPID":                  {restricted, checks.HostPID, "cri"},
		"hostIPC":                  {restricted, checks.HostIPC, "cri"},
		"seccomp":                  {restricted, checks.Seccomp, "oci"},
		"procMount":                {restricted, checks.ProcMount, "oci"},
	}
	for _, field := range harness.MistranslationFields() {
		tc, ok := cases[field]
		if !ok {
			t.Errorf("mistranslation %q has no CRI-O case", field)
			continue
		}
		t.Run(field, func(t *testing.T) {
			t.Parallel()
			l := launch(t, lab, podYAML("crio-mis-"+strings.ToLower(field), tc.spec), harness.WithMistranslation(field))
			r := scanOf(t, lab, l)
			want := []string{string(tc.check) + "/" + tc.layer + "/0"}
			if lowersLevel[field] { // the drift also lowers the pod's PSS level
				want = append(want, "pss-level/"+tc.layer+"/0")
				slices.Sort(want)
			}
			if got := drifts(r); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r))
			}
		})
	}
}

// lowersLevel are the mistranslations that weaken a pod's Pod Security
// Standards level (as in test/integration).
var lowersLevel = map[string]bool{"hostNetwork": true, "hostPID": true, "hostIPC": true, "seccomp": true, "procMount": true, "privileged": true, "capabilities": true}
