package harness

// User-namespaced pods (hostUsers: false), as the kubelet v1.37 runs them
// (pkg/kubelet/userns/userns_manager.go GetOrCreateUserNamespaceMappings,
// kubelet_getters.go HandlerSupportsUserNamespaces): the runtime handler
// must say it supports user namespaces in the CRI Status; each pod then
// gets its own block of UsernsLength host IDs starting at a multiple of
// UsernsLength, mapped to IDs 0..UsernsLength-1 inside, the same block for
// UIDs and GIDs, in mode POD for the sandbox and every container.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const (
	// UsernsLength is the number of IDs each pod gets (the kubelet's
	// default idsPerPod).
	UsernsLength = 65536
	// UsernsBase is the lowest host ID the lab hands out: far above the
	// host's users and the kubelet's own default (65536), so that lab pods
	// never share IDs with anything else on the node.
	UsernsBase = 1 << 20
	// usernsPerLab blocks per lab instance; each instance slot has its
	// own range, so concurrent labs never hand out the same IDs.
	usernsPerLab = 64
)

// ErrNoUserNamespaces is the kubelet's refusal of hostUsers: false on a
// runtime handler without user namespace support (containerd 1.6).
var ErrNoUserNamespaces = errors.New("can't set `spec.hostUsers: false`, runtime does not support user namespaces")

// wantsUserNamespace reports hostUsers: false.
func wantsUserNamespace(pod *corev1.Pod) bool {
	return pod.Spec.HostUsers != nil && !*pod.Spec.HostUsers
}

// usernsAllocator hands out one block of host IDs per pod UID, recorded as
// a file per block under dir (as the kubelet keeps its allocations on
// disk), so that labctl processes attached to the same lab agree.
type usernsAllocator struct {
	dir   string
	first uint32 // host ID of block 0
	rt    runtimeapi.RuntimeServiceClient

	mu sync.Mutex
}

func newUsernsAllocator(c *Containerd, rt runtimeapi.RuntimeServiceClient) *usernsAllocator {
	return &usernsAllocator{
		dir:   filepath.Join(c.opts.Dir, "userns"),
		first: UsernsBase + uint32(labIndex(c.opts))*usernsPerLab*UsernsLength,
		rt:    rt,
	}
}

// labIndex is the instance slot (0..slots-1) behind the bridge name
// "rta<N>", else a hash of the directory.
func labIndex(o Options) int {
	if n, err := strconv.Atoi(strings.TrimPrefix(o.Bridge, "rta")); err == nil && n >= 20 && n < 20+slots {
		return n - 20
	}
	return instanceIndex(o.Dir) - 20
}

// mappings is GetOrCreateUserNamespaceMappings: NODE unless hostUsers is
// false; then the pod's block in mode POD, refused when the pod's runtime
// handler does not support user namespaces.
func (a *usernsAllocator) mappings(ctx context.Context, pod *corev1.Pod) (*runtimeapi.UserNamespace, error) {
	if !wantsUserNamespace(pod) {
		return &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}, nil
	}
	handler := ""
	if pod.Spec.RuntimeClassName != nil {
		handler = *pod.Spec.RuntimeClassName
	}
	if err := HandlerSupportsUserNamespaces(ctx, a.rt, handler); err != nil {
		return nil, err
	}
	first, err := a.allocate(ctx, string(pod.UID))
	if err != nil {
		return nil, err
	}
	return PodUserNamespace(first), nil
}

// PodUserNamespace is the CRI user namespace of a pod whose block starts
// at host ID first.
func PodUserNamespace(first uint32) *runtimeapi.UserNamespace {
	m := func() []*runtimeapi.IDMapping {
		return []*runtimeapi.IDMapping{{HostId: first, ContainerId: 0, Length: UsernsLength}}
	}
	return &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: m(), Gids: m()}
}

// HandlerSupportsUserNamespaces asks the runtime, as the kubelet does
// through CRI Status: a runtime that lists no handlers (containerd 1.6)
// supports none; an unknown handler is an error.
func HandlerSupportsUserNamespaces(ctx context.Context, rt runtimeapi.RuntimeServiceClient, handler string) error {
	st, err := rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return fmt.Errorf("runtime status: %w", err)
	}
	hs := st.GetRuntimeHandlers()
	if len(hs) == 0 {
		return ErrNoUserNamespaces
	}
	for _, h := range hs {
		if h.GetName() == handler {
			if !h.GetFeatures().GetUserNamespaces() {
				if handler != "" {
					return fmt.Errorf("%w (RuntimeClass handler %q)", ErrNoUserNamespaces, handler)
				}
				return ErrNoUserNamespaces
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the handler %q is not known", ErrNoUserNamespaces, handler)
}

// allocate returns the first host ID of uid's block, claiming the lowest
// free one (the kubelet's allocateOne) when uid has none.
func (a *usernsAllocator) allocate(ctx context.Context, uid string) (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return 0, fmt.Errorf("user namespace: %w", err)
	}
	if i, ok := a.find(uid); ok {
		return a.first + uint32(i)*UsernsLength, nil
	}
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < usernsPerLab; i++ {
			f, err := os.OpenFile(a.claim(i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				continue
			}
			_, werr := f.WriteString(uid)
			if err := errors.Join(werr, f.Close()); err != nil {
				return 0, fmt.Errorf("user namespace: %w", err)
			}
			return a.first + uint32(i)*UsernsLength, nil
		}
		a.pruneStale(ctx)
	}
	return 0, fmt.Errorf("user namespace: all %d ID blocks of the lab are in use", usernsPerLab)
}

func (a *usernsAllocator) claim(i int) string { return filepath.Join(a.dir, strconv.Itoa(i)) }

// find is the block uid holds.
func (a *usernsAllocator) find(uid string) (int, bool) {
	for i := 0; i < usernsPerLab; i++ {
		if owner, err := os.ReadFile(a.claim(i)); err == nil && string(owner) == uid {
			return i, true
		}
	}
	return 0, false
}

// release frees uid's block (the kubelet's Release).
func (a *usernsAllocator) release(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.find(uid); ok {
		_ = os.Remove(a.claim(i))
	}
}

// pruneStale frees the blocks of pods that no longer have a sandbox (the
// kubelet's CleanupOrphanedPodUsernsAllocations).
func (a *usernsAllocator) pruneStale(ctx context.Context) {
	list, err := a.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, sb := range list.GetItems() {
		live[sb.GetMetadata().GetUid()] = true
	}
	for i := 0; i < usernsPerLab; i++ {
		if owner, err := os.ReadFile(a.claim(i)); err == nil && !live[string(owner)] {
			_ = os.Remove(a.claim(i))
		}
	}
}

// idmapMounts gives every mount of a user-namespaced container the pod's
// ID mappings (idmapped mounts), as applyPlatformSpecificContainerConfig
// does.
func idmapMounts(mounts []*runtimeapi.Mount, ns *runtimeapi.NamespaceOption) {
	u := ns.GetUsernsOptions()
	if u == nil || u.GetMode() != runtimeapi.NamespaceMode_POD {
		return
	}
	for _, m := range mounts {
		m.UidMappings, m.GidMappings = u.GetUids(), u.GetGids()
	}
}
