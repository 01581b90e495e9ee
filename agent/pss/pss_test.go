package pss

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// restrictedPod is deploy/examples/restricted.yaml: restricted as declared.
const restrictedPod = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, uid: u1}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
`

func pod(t *testing.T, doc string) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func caps(t *testing.T, names ...string) probes.CapSet {
	t.Helper()
	s, unknown := probes.ParseCapNames(names)
	if len(unknown) > 0 {
		t.Fatal(unknown)
	}
	return s
}

// container is app of the restricted pod with one process (uid 1000, no
// capability) and findings of the given checks at the process layer.
func container(t *testing.T, mut func(*probes.Process), ids ...checks.ID) Container {
	p := &probes.Process{PID: 4242, Comm: "sleep", UID: probes.IDs{1000, 1000, 1000, 1000}, NoNewPrivs: true, Seccomp: probes.SeccompFilter}
	if mut != nil {
		mut(p)
	}
	s := &checks.Subject{Namespace: "prod", Pod: "web", Container: "app", ContainerID: "c1", InitPID: 4242,
		Processes: []*probes.Process{p}, Defaults: expect.DefaultsFor("containerd", "v2.4.2"), Declared: &expect.Expectation{}}
	var fs []checks.Finding
	for _, id := range ids {
		fs = append(fs, checks.Finding{Check: id, Severity: checks.High, Layer: checks.LayerProcess, Container: "app", ContainerID: "c1", PID: 4242, Actual: "/"})
	}
	return Container{Subject: s, Findings: fs}
}

func TestJudge(t *testing.T) {
	def := expect.DefaultsFor("containerd", "v2.4.2")
	defCaps, _ := def.DefaultCaps()
	for _, tc := range []struct {
		name      string
		ctr       Container
		effective string
		why       string // in Why
		layer     checks.Layer
	}{
		{name: "as declared", ctr: container(t, nil), effective: Restricted, layer: checks.LayerCRI},
		{name: "info findings change nothing", ctr: func() Container {
			c := container(t, nil, checks.Seccomp)
			c.Findings[0].Severity = checks.Info
			return c
		}(), effective: Restricted, layer: checks.LayerCRI},
		{name: "a root exec", ctr: container(t, func(p *probes.Process) { p.UID = probes.IDs{0, 0, 0, 0} }, checks.RunAsNonRoot),
			effective: Baseline, why: "runAsNonRoot != true", layer: checks.LayerProcess},
		{name: "another non-root user: nothing the policy reads", ctr: container(t, func(p *probes.Process) { p.UID = probes.IDs{1001, 1001, 1001, 1001} }, checks.RunAsUser),
			effective: Restricted, layer: checks.LayerCRI},
		{name: "no_new_privs lost", ctr: container(t, func(p *probes.Process) { p.NoNewPrivs = false }, checks.NoNewPrivs),
			effective: Baseline, why: "allowPrivilegeEscalation != false"},
		{name: "the runtime's default capabilities kept", ctr: container(t, func(p *probes.Process) { p.Caps.Bounding = defCaps }, checks.Capabilities),
			effective: Baseline, why: "unrestricted capabilities"},
		{name: "CAP_SYS_ADMIN added", ctr: container(t, func(p *probes.Process) { p.Caps.Bounding = defCaps | caps(t, "SYS_ADMIN") }, checks.Capabilities),
			effective: Privileged, why: `must not include "SYS_ADMIN" in securityContext.capabilities.add`},
		{name: "NET_BIND_SERVICE only", ctr: container(t, func(p *probes.Process) { p.Caps.Bounding = caps(t, "NET_BIND_SERVICE") }, checks.Capabilities),
			effective: Restricted},
		{name: "seccomp lost", ctr: container(t, func(p *probes.Process) { p.Seccomp = probes.SeccompDisabled }, checks.Seccomp),
			effective: Privileged, why: "seccompProfile"},
		{name: "privileged", ctr: container(t, nil, checks.Privileged), effective: Privileged, why: "privileged"},
		{name: "host network", ctr: container(t, nil, checks.HostNetwork), effective: Privileged, why: "host namespaces"},
		{name: "host pid", ctr: container(t, nil, checks.HostPID), effective: Privileged, why: "host namespaces"},
		{name: "host ipc", ctr: container(t, nil, checks.HostIPC), effective: Privileged, why: "host namespaces"},
		{name: "unmasked /proc", ctr: container(t, nil, checks.ProcMount), effective: Privileged, why: "procMount"},
		{name: "the host's root mounted", ctr: container(t, nil, checks.HostMounts), effective: Privileged, why: `volume "rtaudit-observed-0" uses restricted volume type "hostPath"`},
		{name: "AppArmor unconfined", ctr: func() Container {
			c := container(t, nil, checks.AppArmor)
			c.Findings[0].Actual = "unconfined"
			return c
		}(), effective: Privileged, why: "forbidden AppArmor profile"},
		{name: "AppArmor in complain mode: nothing the policy reads", ctr: func() Container {
			c := container(t, nil, checks.AppArmor)
			c.Findings[0].Actual = "k8s-nginx (complain)"
			return c
		}(), effective: Restricted},
		{name: "an SELinux type outside the baseline's", ctr: func() Container {
			c := container(t, nil, checks.SELinux)
			c.Findings[0].Actual = "unconfined_u:unconfined_r:spc_t:s0"
			return c
		}(), effective: Privileged, why: "seLinuxOptions"},
		{name: "an unsafe sysctl the runtime adds", ctr: func() Container {
			c := container(t, nil, checks.Sysctls)
			c.Findings[0].Field, c.Findings[0].Expected, c.Findings[0].Actual = "sysctls[net.core.somaxconn]", "unset", "4096"
			return c
		}(), effective: Privileged, why: "forbidden sysctls (net.core.somaxconn)"},
		{name: "a declared sysctl with another value: names only", ctr: func() Container {
			c := container(t, nil, checks.Sysctls)
			c.Findings[0].Field, c.Findings[0].Expected, c.Findings[0].Actual = "sysctls[net.ipv4.tcp_syncookies]", "1", "0"
			return c
		}(), effective: Restricted},
		{name: "groups: nothing the policy reads", ctr: container(t, nil, checks.RunAsGroup, checks.SupplementalGroups, checks.ReadonlyRootfs), effective: Restricted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			declared := pod(t, restrictedPod)
			ps, err := Judge(Pod{Declared: declared, Containers: []Container{tc.ctr}})
			if err != nil {
				t.Fatal(err)
			}
			if ps.Declared != Restricted || ps.Effective != tc.effective {
				t.Fatalf("levels %s/%s, want restricted/%s (why %v)", ps.Declared, ps.Effective, tc.effective, ps.Why)
			}
			if tc.why != "" && !strings.Contains(strings.Join(ps.Why, "; "), tc.why) {
				t.Errorf("why %q, want %q in it", ps.Why, tc.why)
			}
			if tc.layer != "" && ps.Layer != tc.layer {
				t.Errorf("layer %s, want %s", ps.Layer, tc.layer)
			}
			if fresh := pod(t, restrictedPod); !equalPods(declared, fresh) {
				t.Error("Judge modified the declared pod")
			}
		})
	}
}

func equalPods(a, b *corev1.Pod) bool {
	ja, _ := yaml.Marshal(a)
	jb, _ := yaml.Marshal(b)
	return string(ja) == string(jb)
}

func TestJudgeEnforce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   map[string]string
		ctr      Container
		enforce  string
		version  string
		allowed  bool
		errMatch string
	}{
		{name: "no labels", ctr: container(t, nil), allowed: false},
		{name: "restricted, held", labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}, ctr: container(t, nil), enforce: Restricted, allowed: true},
		{name: "restricted, broken by a root exec", labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30"},
			ctr: container(t, func(p *probes.Process) { p.UID = probes.IDs{0, 0, 0, 0} }, checks.RunAsNonRoot), enforce: Restricted, version: "v1.30"},
		{name: "baseline still holds", labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"},
			ctr: container(t, func(p *probes.Process) { p.UID = probes.IDs{0, 0, 0, 0} }, checks.RunAsNonRoot), enforce: Baseline, allowed: true},
		{name: "a malformed label is read as admission reads it", labels: map[string]string{"pod-security.kubernetes.io/enforce": "strict"},
			ctr: container(t, nil), enforce: Restricted, allowed: true, errMatch: "enforce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Judge(Pod{Declared: pod(t, restrictedPod), Containers: []Container{tc.ctr}, NamespaceLabels: tc.labels})
			if (err != nil) != (tc.errMatch != "") || err != nil && !strings.Contains(err.Error(), tc.errMatch) {
				t.Fatalf("err %v, want one with %q", err, tc.errMatch)
			}
			if ps.Enforce != tc.enforce || ps.EnforceVersion != tc.version || ps.EnforceAllowed != tc.allowed {
				t.Errorf("enforce %q %q allowed %v, want %q %q %v", ps.Enforce, ps.EnforceVersion, ps.EnforceAllowed, tc.enforce, tc.version, tc.allowed)
			}
		})
	}
}

func TestLevelOfDeclared(t *testing.T) {
	base := pod(t, restrictedPod)
	base.Spec.Containers[0].SecurityContext = nil
	priv := pod(t, restrictedPod)
	priv.Spec.HostPID = true
	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{{pod(t, restrictedPod), Restricted}, {base, Baseline}, {priv, Privileged}} {
		got, _, err := LevelOf(tc.pod, api.LatestVersion())
		if err != nil || got != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.pod.Name, got, err, tc.want)
		}
	}
}

func TestObservedCaps(t *testing.T) {
	def := expect.DefaultsFor("containerd", "v2.4.2")
	defCaps, _ := def.DefaultCaps()
	c := container(t, func(p *probes.Process) { p.Caps.Bounding = defCaps&^caps(t, "NET_RAW") | caps(t, "SYS_ADMIN") }, checks.Capabilities)
	out, used := Observed(pod(t, restrictedPod), []Container{c})
	got := out.Spec.Containers[0].SecurityContext.Capabilities
	if !slices.Equal(got.Add, []corev1.Capability{"SYS_ADMIN"}) || !slices.Equal(got.Drop, []corev1.Capability{"NET_RAW"}) || len(used) != 1 {
		t.Errorf("add %v drop %v used %d; want add SYS_ADMIN, drop NET_RAW, one finding used", got.Add, got.Drop, len(used))
	}
}
