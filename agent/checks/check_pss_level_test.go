package checks

import (
	"strings"
	"testing"
)

// pss-level judges levels agent/pss computed; its fixtures set them.
func init() {
	levels := func(declared, effective, enforce string, allowed bool) func(*testing.T, *Subject) {
		return func(t *testing.T, s *Subject) {
			s.PodSecurity = &PodSecurity{Declared: declared, Effective: effective, Enforce: enforce, EnforceAllowed: allowed, Layer: LayerProcess, PID: 4242,
				Why: []string{`runAsNonRoot != true (container "app" must not set securityContext.runAsNonRoot=false)`}}
		}
	}
	fixtures[PSSLevel] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "a container subject: no levels"},
			{name: "effective equals declared", mut: levels("restricted", "restricted", "", false)},
			{name: "effective stronger than declared", mut: levels("baseline", "restricted", "", false)},
			{name: "weaker than declared, unknown", mut: levels("", "baseline", "", false)},
			{name: "the namespace's enforce level holds", mut: levels("baseline", "baseline", "baseline", true)},
		},
		fail: []fixture{
			{name: "restricted declared, baseline effective", mut: levels("restricted", "baseline", "", false), layer: LayerProcess, severity: High, pid: 4242},
			{name: "baseline effective in a restricted namespace", mut: levels("restricted", "baseline", "restricted", false), layer: LayerProcess, severity: High, pid: 4242},
			{name: "declared baseline, namespace labelled restricted since", mut: func(t *testing.T, s *Subject) {
				s.PodSecurity = &PodSecurity{Declared: "baseline", Effective: "baseline", Enforce: "restricted", EnforceVersion: "v1.30"}
			}, layer: LayerCRI, severity: High},
		},
	}
}

func TestPSSLevelMessages(t *testing.T) {
	for _, tc := range []struct {
		ps          PodSecurity
		field, want string
	}{
		{PodSecurity{Declared: "restricted", Effective: "privileged", Why: []string{"privileged"}}, "effectiveLevel", `"privileged", weaker than the "restricted" its spec declares: privileged`},
		{PodSecurity{Declared: "restricted", Effective: "baseline", Enforce: "baseline", EnforceAllowed: true}, "effectiveLevel", `(the namespace's enforce level baseline still holds)`},
		{PodSecurity{Declared: "restricted", Effective: "baseline", Enforce: "restricted", EnforceVersion: "v1.30"}, "effectiveLevel", `and than the namespace's enforce level restricted at v1.30`},
		{PodSecurity{Declared: "baseline", Effective: "baseline", Enforce: "restricted"}, "pod-security.kubernetes.io/enforce", "admitted before the label"},
	} {
		s := &Subject{Namespace: "prod", Pod: "web", Container: "app", PodSecurity: &tc.ps}
		fs := evalPSSLevel(s)
		if len(fs) != 1 {
			t.Fatalf("%+v: want one finding, got %+v", tc.ps, fs)
		}
		if f := fs[0]; f.Field != tc.field || !strings.Contains(f.Message, tc.want) || f.Actual != tc.ps.Effective || f.Container != "app" {
			t.Errorf("%+v: got %+v, want field %s and a message with %q", tc.ps, f, tc.field, tc.want)
		}
	}
}
