package harness

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// usernsNode hands every pod the block at first, as the launcher would.
func usernsNode(first uint32) Node {
	return Node{UserNamespace: func(*corev1.Pod) (*runtimeapi.UserNamespace, error) { return PodUserNamespace(first), nil }}
}

const usernsPod = `
metadata: {name: p, uid: u}
spec:
  hostUsers: false
  containers: [{name: c, image: i}]
`

func TestUserNamespaceTranslation(t *testing.T) {
	pod := mustPod(t, usernsPod)
	node := usernsNode(UsernsBase)
	sb, err := SandboxConfig(pod, node)
	if err != nil {
		t.Fatal(err)
	}
	want := &runtimeapi.UserNamespace{
		Mode: runtimeapi.NamespaceMode_POD,
		Uids: []*runtimeapi.IDMapping{{HostId: 1 << 20, ContainerId: 0, Length: 65536}},
		Gids: []*runtimeapi.IDMapping{{HostId: 1 << 20, ContainerId: 0, Length: 65536}},
	}
	if diff := cmp.Diff(want, sb.Linux.SecurityContext.NamespaceOptions.UsernsOptions, protocmp.Transform()); diff != "" {
		t.Errorf("sandbox userns_options (-want +got):\n%s", diff)
	}
	mounts := []*runtimeapi.Mount{{ContainerPath: "/data", HostPath: "/tmp/data"}}
	c, err := ContainerConfig(pod, &pod.Spec.Containers[0], "img", rootImage, node, mounts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, c.Linux.SecurityContext.NamespaceOptions.UsernsOptions, protocmp.Transform()); diff != "" {
		t.Errorf("container userns_options (-want +got):\n%s", diff)
	}
	if m := c.Mounts[0]; !proto.Equal(m.UidMappings[0], want.Uids[0]) || !proto.Equal(m.GidMappings[0], want.Gids[0]) {
		t.Errorf("mount %v lacks the pod's ID mappings (idmapped mount)", m)
	}

	// hostUsers unset or true: NODE, and plain mounts.
	pod.Spec.HostUsers = nil
	c, err = ContainerConfig(pod, &pod.Spec.Containers[0], "img", rootImage, node, []*runtimeapi.Mount{{ContainerPath: "/data", HostPath: "/tmp/data"}})
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Linux.SecurityContext.NamespaceOptions.UsernsOptions; u.Mode != runtimeapi.NamespaceMode_NODE || len(u.Uids) != 0 || c.Mounts[0].UidMappings != nil {
		t.Errorf("hostUsers unset: userns %v, mount %v", u, c.Mounts[0])
	}
}

func TestUserNamespaceForbidsHostNamespaces(t *testing.T) {
	for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		pod := mustPod(t, strings.Replace(usernsPod, "hostUsers: false", "hostUsers: false\n  "+f+": true", 1))
		_, err := SandboxConfig(pod, usernsNode(UsernsBase))
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%s with hostUsers: false: %v, want it forbidden", f, err)
		}
	}
}

func TestUsernsMistranslation(t *testing.T) {
	if got := UsernsMistranslationFields(); !cmp.Equal(got, []string{"hostUsers"}) {
		t.Fatalf("UsernsMistranslationFields = %v", got)
	}
	for _, f := range MistranslationFields() {
		if f == "hostUsers" {
			t.Error("hostUsers listed among the fields every runtime can launch")
		}
	}
	pod := mustPod(t, usernsPod)
	node := usernsNode(UsernsBase)
	sb, err := SandboxConfig(pod, node)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ContainerConfig(pod, &pod.Spec.Containers[0], "img", rootImage, node, []*runtimeapi.Mount{{ContainerPath: "/d", HostPath: "/d"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LookupMistranslation("hostUsers")
	if err != nil {
		t.Fatal(err)
	}
	if !m.NeedsUserNamespaces || !sandboxLevel["hostUsers"] {
		t.Errorf("hostUsers: NeedsUserNamespaces %v, sandbox level %v", m.NeedsUserNamespaces, sandboxLevel["hostUsers"])
	}
	m.apply(sb, nil)
	m.apply(sb, c)
	for what, u := range map[string]*runtimeapi.UserNamespace{"sandbox": sb.Linux.SecurityContext.NamespaceOptions.UsernsOptions, "container": c.Linux.SecurityContext.NamespaceOptions.UsernsOptions} {
		if u.Mode != runtimeapi.NamespaceMode_NODE || len(u.Uids) != 0 {
			t.Errorf("%s userns_options %v, want NODE", what, u)
		}
	}
	if c.Mounts[0].UidMappings != nil || c.Mounts[0].GidMappings != nil {
		t.Errorf("mount keeps ID mappings without a user namespace: %v", c.Mounts[0])
	}
}

func TestUsernsAllocator(t *testing.T) {
	a := &usernsAllocator{dir: t.TempDir(), first: UsernsBase}
	x, err := a.allocate(t.Context(), "pod-x")
	if err != nil {
		t.Fatal(err)
	}
	y, err := a.allocate(t.Context(), "pod-y")
	if err != nil {
		t.Fatal(err)
	}
	if x != UsernsBase || y != UsernsBase+UsernsLength {
		t.Errorf("blocks %d and %d, want the lowest free ones %d and %d", x, y, UsernsBase, UsernsBase+UsernsLength)
	}
	if again, _ := a.allocate(t.Context(), "pod-x"); again != x {
		t.Errorf("pod-x got %d on its second call, want its block %d", again, x)
	}
	a.release("pod-x")
	if z, _ := a.allocate(t.Context(), "pod-z"); z != x {
		t.Errorf("pod-z got %d, want the freed block %d", z, x)
	}
	if n := labIndex(Options{Bridge: "rta25", Dir: "/x"}); n != 5 {
		t.Errorf("labIndex(rta25) = %d, want 5", n)
	}
	if last := UsernsBase + uint64(slots*usernsPerLab)*UsernsLength; last > 1<<32 {
		t.Errorf("the labs' ID ranges end at %d, beyond 32-bit IDs", last)
	}
}
