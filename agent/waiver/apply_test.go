package waiver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

var (
	now       = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	calicoSHA = "sha256:" + strings.Repeat("a", 64)
	otherSHA  = "sha256:" + strings.Repeat("b", 64)
)

// mask is a capabilities finding's Expected or Actual: the runtime
// default set plus extra.
func mask(extra ...string) string {
	set, unknown := probes.ParseCapNames(append([]string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
		"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}, extra...))
	if len(unknown) > 0 {
		panic(unknown)
	}
	return fmt.Sprintf("%016x", uint64(set))
}

// The findings of fixture, by index.
const (
	fCalicoPriv    = iota // kube-system/calico-node-x/calico-node privileged
	fCalicoHostNet        // kube-system/calico-node-x/calico-node host-network
	fIstioNetAdmin        // prod/web-1/istio-init capabilities +NET_ADMIN
	fIstioSysAdmin        // prod/web-1/istio-init capabilities +NET_ADMIN,SYS_ADMIN (process)
	fApp                  // prod/web-1/app run-as-user
	fAppNsenter           // prod/web-1/app undeclared-container: processes nsenter'd into it
	fDevIstio             // dev/web-1/istio-init capabilities +NET_ADMIN
	fHidden               // a hidden process group: no container
	fTask                 // a task of containerd namespace "moby"
	fNoPod                // a CRI container with no pod
	fUndeclared           // prod/stray/app undeclared-container (cri): no declared source knows it
	fMismatch             // names app's container ID but another pod
)

func fixture() *scan.Report {
	c := func(id, ns, pod, name, image, ref string) scan.ContainerSummary {
		return scan.ContainerSummary{ID: id, Namespace: ns, Pod: pod, Container: name, Image: image, ImageRef: ref, State: "running"}
	}
	f := func(id, ns, pod, name string, check checks.ID, layer checks.Layer, expected, actual string) checks.Finding {
		return checks.Finding{Check: check, Severity: checks.High, Layer: layer, Namespace: ns, Pod: pod, Container: name, ContainerID: id, Expected: expected, Actual: actual}
	}
	return &scan.Report{
		Containers: []scan.ContainerSummary{
			c("calico", "kube-system", "calico-node-x", "calico-node", "quay.io/calico/node:v3.30.0", "quay.io/calico/node@"+calicoSHA),
			c("istio", "prod", "web-1", "istio-init", "docker.io/istio/proxyv2:1.26.0", "docker.io/istio/proxyv2@"+otherSHA),
			c("app", "prod", "web-1", "app", "nginx:1.27", otherSHA),
			c("devistio", "dev", "web-1", "istio-init", "docker.io/istio/proxyv2:1.26.0", "docker.io/istio/proxyv2@"+otherSHA),
			c("nopod", "", "", "debug", "busybox:1.37", ""),
			c("stray", "prod", "stray", "app", "nginx:1.27", otherSHA),
		},
		Findings: []checks.Finding{
			fCalicoPriv:    f("calico", "kube-system", "calico-node-x", "calico-node", checks.Privileged, checks.LayerCRI, "false", "true"),
			fCalicoHostNet: f("calico", "kube-system", "calico-node-x", "calico-node", checks.HostNetwork, checks.LayerProcess, "own", "host"),
			fIstioNetAdmin: f("istio", "prod", "web-1", "istio-init", checks.Capabilities, checks.LayerOCI, mask(), mask("NET_ADMIN")),
			fIstioSysAdmin: f("istio", "prod", "web-1", "istio-init", checks.Capabilities, checks.LayerProcess, mask(), mask("NET_ADMIN", "SYS_ADMIN")),
			fApp:           f("app", "prod", "web-1", "app", checks.RunAsUser, checks.LayerProcess, "1000", "0"),
			fAppNsenter:    f("app", "prod", "web-1", "app", checks.UndeclaredContainer, checks.LayerProcess, "a container the CRI knows", "pid:4026532"),
			fDevIstio:      f("devistio", "dev", "web-1", "istio-init", checks.Capabilities, checks.LayerOCI, mask(), mask("NET_ADMIN")),
			fHidden:        f("", "", "", "", checks.UndeclaredContainer, checks.LayerProcess, "a container the CRI knows", "pid:4026533"),
			fTask:          f("t1", "containerd:moby", "", "t1", checks.UndeclaredContainer, checks.LayerProcess, "a container the CRI knows", "host namespaces"),
			fNoPod:         f("nopod", "", "", "debug", checks.RunAsUser, checks.LayerProcess, "1000", "0"),
			fUndeclared:    f("stray", "prod", "stray", "app", checks.UndeclaredContainer, checks.LayerCRI, "manifest", "none"),
			fMismatch:      f("app", "prod", "web-2", "app", checks.RunAsUser, checks.LayerProcess, "1000", "0"),
		},
	}
}

// knownLabels knows the labels of two pods only; dev/web-1's are unknown.
func knownLabels(namespace, pod string) (map[string]string, bool) {
	switch namespace + "/" + pod {
	case "prod/web-1":
		return map[string]string{"app": "web"}, true
	case "kube-system/calico-node-x":
		return map[string]string{"k8s-app": "calico-node"}, true
	}
	return nil, false
}

// waiver builds a Waiver (ns != "") or ClusterWaiver (ns == "") from the
// YAML of its spec.
func waiver(t *testing.T, ns, name, spec string) Waiver {
	t.Helper()
	kind, meta := KindClusterWaiver, "{name: "+name+"}"
	if ns != "" {
		kind, meta = KindWaiver, "{name: "+name+", namespace: "+ns+"}"
	}
	doc := "apiVersion: rtaudit.dev/v1alpha1\nkind: " + kind + "\nmetadata: " + meta + "\nspec:\n"
	for _, l := range strings.Split(strings.TrimSpace(spec), "\n") {
		doc += "  " + strings.TrimSpace(l) + "\n"
	}
	if !strings.Contains(spec, "reason:") {
		doc += "  reason: test\n"
	}
	ws, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	return ws[0]
}

func TestApply(t *testing.T) {
	const (
		calico = `containers: [{name: calico-node, image: quay.io/calico/node:v3.30.0}]`
		istio  = `containers: [{name: istio-init, image: "docker.io/istio/proxyv2:*"}]`
	)
	type spec struct{ ns, name, spec string }
	for _, tc := range []struct {
		name    string
		waivers []spec
		labels  func(string, string) (map[string]string, bool)
		want    map[int]string // finding index → Waiver; the others stay unwaived
		notes   []string
	}{
		{name: "no waivers"},
		{name: "exact image and name",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged]"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "only the listed checks",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged, host-network]"}},
			want:    map[int]string{fCalicoPriv: "calico", fCalicoHostNet: "calico"}},
		{name: "name matches, image does not",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: quay.io/calico/node:v3.29.0}]` + "\nchecks: [privileged]"}}},
		{name: "image matches, name does not",
			waivers: []spec{{"", "calico", `containers: [{name: calico, image: quay.io/calico/node:v3.30.0}]` + "\nchecks: [privileged]"}}},
		{name: "image alone matches every container running it",
			waivers: []spec{{"", "nginx", `containers: [{image: nginx:1.27}]` + "\nchecks: [run-as-user]"}},
			want:    map[int]string{fApp: "nginx", fNoPod: ""}},
		{name: "image is not normalised",
			waivers: []spec{{"", "nginx", `containers: [{image: docker.io/library/nginx:1.27}]` + "\nchecks: [run-as-user]"}}},
		{name: "prefix pattern",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "quay.io/calico/*"}]` + "\nchecks: [privileged]"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "prefix pattern that does not match",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "quay.io/tigera/*"}]` + "\nchecks: [privileged]"}}},
		{name: "bare digest matches the ImageRef",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "` + calicoSHA + `"}]` + "\nchecks: [privileged]"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "repo digest matches the ImageRef",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "quay.io/calico/node@` + calicoSHA + `"}]` + "\nchecks: [privileged]"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "another repo's digest does not",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "docker.io/calico/node@` + calicoSHA + `"}]` + "\nchecks: [privileged]"}}},
		{name: "another digest does not",
			waivers: []spec{{"", "calico", `containers: [{name: calico-node, image: "` + otherSHA + `"}]` + "\nchecks: [privileged]"}}},
		{name: "a Waiver in prod waives prod, not dev",
			waivers: []spec{{"prod", "istio", istio + "\nchecks: [capabilities]"}},
			want:    map[int]string{fIstioNetAdmin: "prod/istio", fIstioSysAdmin: "prod/istio"}},
		{name: "a Waiver in another namespace waives none of prod and dev",
			waivers: []spec{{"kube-system", "istio", istio + "\nchecks: [capabilities]"}}},
		{name: "a ClusterWaiver's namespaces",
			waivers: []spec{{"", "istio", "namespaces: [dev]\n" + istio + "\nchecks: [capabilities]"}},
			want:    map[int]string{fDevIstio: "istio"}},
		{name: "a ClusterWaiver without namespaces waives all",
			waivers: []spec{{"", "istio", istio + "\nchecks: [capabilities]"}},
			want:    map[int]string{fIstioNetAdmin: "istio", fIstioSysAdmin: "istio", fDevIstio: "istio"}},
		{name: "podSelector matches known labels only",
			waivers: []spec{{"", "istio", istio + "\npodSelector: {matchLabels: {app: web}}\nchecks: [capabilities]"}},
			labels:  knownLabels,
			want:    map[int]string{fIstioNetAdmin: "istio", fIstioSysAdmin: "istio"}},
		{name: "podSelector that does not match",
			waivers: []spec{{"", "istio", istio + "\npodSelector: {matchLabels: {app: api}}\nchecks: [capabilities]"}},
			labels:  knownLabels},
		{name: "podSelector with expressions",
			waivers: []spec{{"", "istio", istio + "\npodSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}\nchecks: [capabilities]"}},
			labels:  knownLabels,
			want:    map[int]string{fIstioNetAdmin: "istio", fIstioSysAdmin: "istio"}},
		{name: "podSelector without labels matches nothing",
			waivers: []spec{{"", "istio", istio + "\npodSelector: {matchLabels: {app: web}}\nchecks: [capabilities]"}}},
		{name: "an empty podSelector needs known labels too",
			waivers: []spec{{"", "istio", istio + "\npodSelector: {}\nchecks: [capabilities]"}},
			labels:  knownLabels,
			want:    map[int]string{fIstioNetAdmin: "istio", fIstioSysAdmin: "istio"}},
		{name: "allow.capabilities: every added capability listed",
			waivers: []spec{{"prod", "istio", istio + "\nchecks: [capabilities]\nallow: {capabilities: [NET_ADMIN, CAP_NET_RAW]}"}},
			want:    map[int]string{fIstioNetAdmin: "prod/istio"}},
		{name: "allow.capabilities: an added capability not listed",
			waivers: []spec{{"prod", "istio", istio + "\nchecks: [capabilities]\nallow: {capabilities: [NET_RAW]}"}}},
		{name: "allow.capabilities does not narrow other checks",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged, capabilities]\nallow: {capabilities: [NET_ADMIN]}"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "allow.values",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged, host-network]\nallow: {values: [host]}"}},
			want:    map[int]string{fCalicoHostNet: "calico"}},
		{name: "expired: waives nothing, says so",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged, host-network]\nexpires: 2026-05-01T00:00:00Z"}},
			notes:   []string{"waiver calico expired at 2026-05-01T00:00:00Z: 2 finding(s) no longer waived"}},
		{name: "expires exactly now",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged]\nexpires: 2026-06-01T12:00:00Z"}},
			notes:   []string{"waiver calico expired at 2026-06-01T12:00:00Z: 1 finding(s) no longer waived"}},
		{name: "not yet expired",
			waivers: []spec{{"", "calico", calico + "\nchecks: [privileged]\nexpires: 2026-06-01T12:00:01Z"}},
			want:    map[int]string{fCalicoPriv: "calico"}},
		{name: "expired, but another waiver still waives",
			waivers: []spec{
				{"kube-system", "old", calico + "\nchecks: [privileged, host-network]\nexpires: 2026-05-01T00:00:00+02:00"},
				{"", "calico", calico + "\nchecks: [privileged]"}},
			want:  map[int]string{fCalicoPriv: "calico"},
			notes: []string{"waiver kube-system/old expired at 2026-04-30T22:00:00Z: 1 finding(s) no longer waived"}},
		{name: "Waivers before ClusterWaivers, then by name",
			waivers: []spec{
				{"", "a-cluster", istio + "\nchecks: [capabilities]"},
				{"prod", "z", istio + "\nchecks: [capabilities]"},
				{"prod", "b", istio + "\nchecks: [capabilities]\nallow: {capabilities: [NET_ADMIN]}"}},
			want: map[int]string{fIstioNetAdmin: "prod/b", fIstioSysAdmin: "prod/z", fDevIstio: "a-cluster"}},
		{name: "a hidden group, a foreign task and nsenter'd processes are never waived",
			waivers: []spec{{"", "all", "containers: [{image: nginx:1.27}, {image: \"docker.io/*\"}]\nchecks: [undeclared-container]"}},
			want:    map[int]string{fUndeclared: "all"}},
		{name: "a container with no pod: ClusterWaiver without namespaces or selector",
			waivers: []spec{{"", "debug", "containers: [{image: busybox:1.37}]\nchecks: [run-as-user]"}},
			want:    map[int]string{fNoPod: "debug"}},
		{name: "a container with no pod: not with namespaces",
			waivers: []spec{{"", "debug", "namespaces: [default]\ncontainers: [{image: busybox:1.37}]\nchecks: [run-as-user]"}}},
		{name: "a container with no pod: not with a selector",
			waivers: []spec{{"", "debug", "podSelector: {}\ncontainers: [{image: busybox:1.37}]\nchecks: [run-as-user]"}},
			labels:  func(string, string) (map[string]string, bool) { return nil, true }},
		{name: "a finding that disagrees with its container",
			waivers: []spec{{"prod", "app", "containers: [{name: app, image: nginx:1.27}]\nchecks: [run-as-user]"}},
			want:    map[int]string{fApp: "prod/app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ws []Waiver
			for _, s := range tc.waivers {
				ws = append(ws, waiver(t, s.ns, s.name, s.spec))
			}
			r := fixture()
			Apply(r, ws, tc.labels, now)
			got := map[int]string{}
			for i, f := range r.Findings {
				if f.Waiver != "" {
					got[i] = f.Waiver
				}
			}
			want := map[int]string{}
			for i, w := range tc.want {
				if w != "" {
					want[i] = w
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("waived findings (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.notes, r.Notes); d != "" {
				t.Errorf("notes (-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyIgnoresInvalidWaivers(t *testing.T) {
	w := waiver(t, "", "calico", `containers: [{name: calico-node, image: quay.io/calico/node:v3.30.0}]`+"\nchecks: [privileged]")
	w.Spec.Containers[0].Image = "" // a name alone: spoofable
	r := fixture()
	Apply(r, []Waiver{w}, nil, now)
	for _, f := range r.Findings {
		if f.Waiver != "" {
			t.Errorf("%s waived by an invalid waiver", f.Check)
		}
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "waiver calico ignored: ClusterWaiver calico: spec.containers[0].image: required") {
		t.Errorf("notes = %q", r.Notes)
	}
}

func TestApplyIsIdempotentAndKeepsInputOrder(t *testing.T) {
	ws := []Waiver{
		waiver(t, "", "b", `containers: [{image: nginx:1.27}]`+"\nchecks: [run-as-user]"),
		waiver(t, "prod", "a", `containers: [{image: nginx:1.27}]`+"\nchecks: [run-as-user]"),
	}
	r := fixture()
	Apply(r, ws, nil, now)
	Apply(r, ws[:1], nil, now)
	if got := r.Findings[fApp].Waiver; got != "b" {
		t.Errorf("after a second Apply, app is waived by %q, want b", got)
	}
	if ws[0].Name != "b" {
		t.Error("Apply reordered its argument")
	}
	if n := len(r.Findings); n != len(fixture().Findings) {
		t.Errorf("Apply changed the number of findings: %d", n)
	}
}

func TestImageMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, image, ref string
		want                bool
	}{
		{"nginx:1.27", "nginx:1.27", "", true},
		{"nginx:1.27", "nginx:1.27.1", "", false},
		{"nginx:1.27", "", "nginx:1.27", false},
		{"nginx:*", "nginx:1.27", "", true},
		{"nginx:*", "", "nginx:1.27", false},
		{"nginx:*", "nginxx:1", "", false},
		{calicoSHA, "", calicoSHA, true},
		{calicoSHA, "", "quay.io/calico/node@" + calicoSHA, true},
		{calicoSHA, calicoSHA, "", true},
		{calicoSHA, "", "", false},
		{"quay.io/calico/node@" + calicoSHA, "", "quay.io/calico/node@" + calicoSHA, true},
		{"quay.io/calico/node@" + calicoSHA, "quay.io/calico/node@" + calicoSHA, "", true},
		{"quay.io/calico/node@" + calicoSHA, "", calicoSHA, false},
		{"quay.io/calico/node@" + calicoSHA, "", "evil.io/quay.io/calico/node@" + calicoSHA, false},
	} {
		if got := imageMatches(tc.pattern, tc.image, tc.ref); got != tc.want {
			t.Errorf("imageMatches(%q, %q, %q) = %v, want %v", tc.pattern, tc.image, tc.ref, got, tc.want)
		}
	}
}
