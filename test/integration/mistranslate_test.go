package integration

import (
	"testing"

	"github.com/rtaudit/rtaudit/test/harness"
)

// TestMistranslation launches, for every field the launcher can mistranslate,
// a pod that declares the restrictive value, and checks that the kernel shows
// the more privileged one. The pod matrix proves the faithful translation of
// the same declarations.
func TestMistranslation(t *testing.T) {
	lab := harness.SharedLab(t)
	node := nodeState(t, lab)
	restricted := `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`
	rootDropAll := `  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [ALL]}}
`
	cases := map[string]struct {
		spec  string
		check func(t *testing.T, s kstate)
	}{
		"runAsUser": {restricted, func(t *testing.T, s kstate) { want(t, s.status["Uid"], "0 0 0 0") }},
		"runAsNonRoot": {"  securityContext: {runAsNonRoot: true}\n  containers:\n" + sleeper, func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "0 0 0 0")
		}},
		"runAsGroup": {restricted, func(t *testing.T, s kstate) { want(t, s.status["Gid"], "0 0 0 0") }},
		"supplementalGroups": {restricted, func(t *testing.T, s kstate) {
			if !contains(s.groups(), "0") {
				t.Errorf("Groups %v lack 0", s.groups())
			}
		}},
		"capabilities": {rootDropAll, func(t *testing.T, s kstate) {
			wantHex(t, s, "CapEff", containerdDefaultCaps|capSysAdmin)
		}},
		"allowPrivilegeEscalation": {restricted, func(t *testing.T, s kstate) { want(t, s.status["NoNewPrivs"], "0") }},
		"privileged": {rootDropAll, func(t *testing.T, s kstate) {
			wantHex(t, s, "CapEff", node.hex(t, "CapBnd"))
		}},
		"readOnlyRootFilesystem": {restricted, func(t *testing.T, s kstate) {
			if s.rootReadOnly() {
				t.Error("root is read-only")
			}
		}},
		"hostNetwork": {restricted, func(t *testing.T, s kstate) { want(t, s.ns["net"], node.ns["net"]) }},
		"hostPID":     {restricted, func(t *testing.T, s kstate) { want(t, s.ns["pid"], node.ns["pid"]) }},
		"hostIPC":     {restricted, func(t *testing.T, s kstate) { want(t, s.ns["ipc"], node.ns["ipc"]) }},
		"seccomp":     {restricted, func(t *testing.T, s kstate) { want(t, s.status["Seccomp"], "0") }},
		"procMount": {restricted, func(t *testing.T, s kstate) {
			if _, ok := s.hasMount("/proc/keys"); ok {
				t.Error("/proc/keys is still masked")
			}
		}},
	}
	for _, field := range harness.MistranslationFields() {
		tc, ok := cases[field]
		if !ok {
			t.Errorf("mistranslation %q has no test case", field)
			continue
		}
		t.Run(field, func(t *testing.T) {
			t.Parallel()
			p, s := launch(t, lab, podYAML("mis-"+lower(field), tc.spec), harness.WithMistranslation(field))
			want(t, p.Mistranslated, field)
			tc.check(t, s)
		})
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
