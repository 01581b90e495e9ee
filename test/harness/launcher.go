package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Launcher creates pods through CRI as the kubelet would.
type Launcher struct {
	rt   runtimeapi.RuntimeServiceClient
	img  runtimeapi.ImageServiceClient
	cd   *Containerd // for root exec through the containerd client; may be nil
	node Node
	// volumes holds emptyDir directories, one subdirectory per pod UID.
	volumes string
	// pods holds the kubelet's per-pod files (managed hosts file,
	// termination-message files), one subdirectory per pod UID.
	pods string
	// userns hands out host ID blocks to hostUsers: false pods; nil
	// without an instance directory.
	userns *usernsAllocator
}

// NewLauncher returns a launcher on a running instance.
func NewLauncher(c *Containerd) (*Launcher, error) {
	rt, err := c.RuntimeService()
	if err != nil {
		return nil, err
	}
	img, err := c.ImageService()
	if err != nil {
		return nil, err
	}
	return &Launcher{
		rt:  rt,
		img: img,
		cd:  c,
		node: Node{
			CgroupParent:   c.opts.CgroupParent,
			PodLogsDir:     c.lay.podLogs(),
			MemoryCapacity: memoryCapacity(),
		},
		volumes: filepath.Join(c.opts.Dir, "volumes"),
		pods:    filepath.Join(c.opts.Dir, "pods"),
		userns:  newUsernsAllocator(c, rt),
	}, nil
}

// Node returns the kubelet settings the launcher applies.
func (l *Launcher) Node() Node { return l.node }

// Option changes how one pod is launched.
type Option func(*runOptions) error

type runOptions struct {
	mis     *Mistranslation
	timeout time.Duration
}

// WithMistranslation mistranslates one named field on purpose (see
// MistranslationFields) for every container of the pod.
func WithMistranslation(field string) Option {
	return func(o *runOptions) error {
		m, err := LookupMistranslation(field)
		if err != nil {
			return err
		}
		o.mis = &m
		return nil
	}
}

// WithInitTimeout bounds how long init containers may run; default 60s.
func WithInitTimeout(d time.Duration) Option {
	return func(o *runOptions) error { o.timeout = d; return nil }
}

// Pod is a launched pod.
type Pod struct {
	// Spec is the manifest as declared, defaulted (namespace, UID).
	Spec          *corev1.Pod
	SandboxID     string
	SandboxConfig *runtimeapi.PodSandboxConfig
	// Containers maps container name (init and regular) to its CRI ID.
	Containers map[string]string
	// Configs holds the ContainerConfig sent for each container.
	Configs map[string]*runtimeapi.ContainerConfig
	// Mistranslated names the field mistranslated on purpose, "" if none.
	Mistranslated string

	l    *Launcher
	node Node     // the launcher's, with this pod's user namespace
	ips  []string // the sandbox's IPs, as PodSandboxStatus reports them
}

// defaultPod applies the API server defaults the translation depends on.
func defaultPod(in *corev1.Pod) *corev1.Pod {
	pod := in.DeepCopy()
	if pod.Namespace == "" {
		pod.Namespace = "default"
	}
	if pod.UID == "" {
		pod.UID = types.UID(uuid.NewString())
	}
	if pod.Spec.SecurityContext == nil {
		pod.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	return pod
}

// Run creates the sandbox, runs init containers to completion in order, then
// creates and starts the regular containers. On failure it removes what it
// created.
func (l *Launcher) Run(ctx context.Context, in *corev1.Pod, opts ...Option) (*Pod, error) {
	ro := runOptions{timeout: 60 * time.Second}
	for _, o := range opts {
		if err := o(&ro); err != nil {
			return nil, err
		}
	}
	if in == nil || in.Name == "" {
		return nil, errors.New("harness: pod has no name")
	}
	if len(in.Spec.Containers) == 0 {
		return nil, fmt.Errorf("harness: pod %s has no containers", in.Name)
	}
	if l.cd != nil {
		if err := l.cd.begin(); err != nil {
			return nil, err
		}
		defer l.cd.end()
	}
	pod := defaultPod(in)
	if id, err := l.FindSandbox(ctx, pod.Namespace, pod.Name); err == nil {
		return nil, fmt.Errorf("harness: pod %s/%s already runs (sandbox %.12s)", pod.Namespace, pod.Name, id)
	}
	translated := pod
	if ro.mis != nil && ro.mis.Field == "runAsNonRoot" {
		translated = withoutRunAsNonRoot(pod)
	}
	node, err := l.podNode(ctx, pod)
	if err != nil {
		return nil, fmt.Errorf("harness: pod %s: %w", pod.Name, err)
	}
	sb, err := SandboxConfig(translated, node)
	if err != nil {
		l.releaseUserns(pod)
		return nil, fmt.Errorf("harness: pod %s: %w", pod.Name, err)
	}
	p := &Pod{Spec: pod, SandboxConfig: sb, Containers: map[string]string{}, Configs: map[string]*runtimeapi.ContainerConfig{}, l: l, node: node}
	if ro.mis != nil {
		p.Mistranslated = ro.mis.Field
		if sandboxLevel[ro.mis.Field] {
			ro.mis.apply(sb, nil)
		}
	}
	if err := os.MkdirAll(sb.LogDirectory, 0o755); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	// The kubelet resolves the RuntimeClass to its handler; in the lab a
	// RuntimeClass is named after its handler (DriftHandler, CrunHandler).
	handler := ""
	if pod.Spec.RuntimeClassName != nil {
		handler = *pod.Spec.RuntimeClassName
	}
	resp, err := l.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: sb, RuntimeHandler: handler})
	if err != nil {
		l.releaseUserns(pod)
		return nil, fmt.Errorf("harness: RunPodSandbox %s: %w", pod.Name, err)
	}
	p.SandboxID = resp.PodSandboxId
	fail := func(err error) (*Pod, error) {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = p.Delete(dctx)
		return nil, err
	}
	if p.ips, err = l.sandboxIPs(ctx, p.SandboxID); err != nil {
		return fail(fmt.Errorf("harness: pod %s: %w", pod.Name, err))
	}
	for i := range translated.Spec.InitContainers {
		c := &translated.Spec.InitContainers[i]
		id, err := l.startContainer(ctx, p, translated, c, sb, ro.mis)
		if err != nil {
			return fail(err)
		}
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if !sidecar {
			if err := l.waitExited(ctx, id, c.Name, ro.timeout); err != nil {
				return fail(err)
			}
		}
	}
	for i := range translated.Spec.Containers {
		c := &translated.Spec.Containers[i]
		if _, err := l.startContainer(ctx, p, translated, c, sb, ro.mis); err != nil {
			return fail(err)
		}
	}
	return p, nil
}

// podNode is the launcher's node settings with the pod's user namespace
// resolved once (ID block claimed, runtime support checked), so the
// sandbox and every container get the same mappings.
func (l *Launcher) podNode(ctx context.Context, pod *corev1.Pod) (Node, error) {
	node := l.node
	if !wantsUserNamespace(pod) || l.userns == nil {
		return node, nil
	}
	userns, err := l.userns.mappings(ctx, pod)
	if err != nil {
		return node, err
	}
	node.UserNamespace = func(*corev1.Pod) (*runtimeapi.UserNamespace, error) { return userns, nil }
	return node, nil
}

func (l *Launcher) releaseUserns(pod *corev1.Pod) {
	if l.userns != nil && wantsUserNamespace(pod) {
		l.userns.release(string(pod.UID))
	}
}

func withoutRunAsNonRoot(pod *corev1.Pod) *corev1.Pod {
	out := pod.DeepCopy()
	if out.Spec.SecurityContext != nil {
		out.Spec.SecurityContext.RunAsNonRoot = nil
	}
	for _, list := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range list {
			if list[i].SecurityContext != nil {
				list[i].SecurityContext.RunAsNonRoot = nil
			}
		}
	}
	return out
}

func (l *Launcher) startContainer(ctx context.Context, p *Pod, pod *corev1.Pod, c *corev1.Container, sb *runtimeapi.PodSandboxConfig, mis *Mistranslation) (string, error) {
	ref, user, err := l.resolveImage(ctx, c.Image)
	if err != nil {
		return "", fmt.Errorf("harness: container %s: %w", c.Name, err)
	}
	mounts, err := l.mounts(pod, c, p.ips)
	if err != nil {
		return "", fmt.Errorf("harness: container %s: %w", c.Name, err)
	}
	if err := l.setRecursiveReadOnly(ctx, pod, c, mounts); err != nil {
		return "", fmt.Errorf("harness: container %s: %w", c.Name, err)
	}
	cfg, err := ContainerConfig(pod, c, ref, user, p.node, mounts)
	if err != nil {
		return "", fmt.Errorf("harness: container %s: %w", c.Name, err)
	}
	if mis != nil {
		mis.apply(sb, cfg)
	}
	if err := os.MkdirAll(filepath.Join(sb.LogDirectory, c.Name), 0o755); err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	cr, err := l.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: p.SandboxID, Config: cfg, SandboxConfig: sb})
	if err != nil {
		return "", fmt.Errorf("harness: CreateContainer %s/%s: %w", pod.Name, c.Name, err)
	}
	p.Containers[c.Name] = cr.ContainerId
	p.Configs[c.Name] = cfg
	if _, err := l.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: cr.ContainerId}); err != nil {
		return "", fmt.Errorf("harness: StartContainer %s/%s: %w", pod.Name, c.Name, err)
	}
	return cr.ContainerId, nil
}

// resolveImage returns the image ID and the image's user, as the kubelet's
// EnsureImageExists and getImageUser would (no pulls: imagePullPolicy is
// effectively Never).
func (l *Launcher) resolveImage(ctx context.Context, image string) (string, ImageUser, error) {
	resp, err := l.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: image}})
	if err != nil {
		return "", ImageUser{}, fmt.Errorf("image status %s: %w", image, err)
	}
	st := resp.GetImage()
	if st == nil {
		return "", ImageUser{}, fmt.Errorf("image %s is not present (no registry is reachable; use %s or %s)", image, BusyboxImage, PauseImage)
	}
	u := ImageUser{Username: st.Username}
	if st.Uid != nil {
		v := st.Uid.Value
		u.UID, u.Username = &v, ""
	} else if st.Username == "" {
		zero := int64(0)
		u.UID = &zero
	}
	return st.Id, u, nil
}

// mounts provides emptyDir (a host directory per pod) and hostPath volumes
// (other volume types are refused), then, as the kubelet, its managed
// /etc/hosts (see hostsMount; ips are the pod's) and the termination-message
// file.
func (l *Launcher) mounts(pod *corev1.Pod, c *corev1.Container, ips []string) ([]*runtimeapi.Mount, error) {
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		vols[v.Name] = v
	}
	var out []*runtimeapi.Mount
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %s: no such volume", vm.Name)
		}
		var host string
		switch {
		case v.EmptyDir != nil:
			host = filepath.Join(l.volumes, string(pod.UID), v.Name)
			if err := os.MkdirAll(host, 0o777); err != nil {
				return nil, err
			}
			if err := os.Chmod(host, 0o777); err != nil {
				return nil, err
			}
		case v.HostPath != nil:
			host = v.HostPath.Path
		default:
			return nil, fmt.Errorf("volume %s: only emptyDir and hostPath are supported by the harness", v.Name)
		}
		out = append(out, &runtimeapi.Mount{
			ContainerPath:  vm.MountPath,
			HostPath:       host,
			Readonly:       vm.ReadOnly,
			SelinuxRelabel: false,
			Propagation:    runtimeapi.MountPropagation_PROPAGATION_PRIVATE,
		})
	}
	hosts, err := l.hostsMount(pod, c, ips)
	if err != nil {
		return nil, fmt.Errorf("hosts file: %w", err)
	}
	if hosts != nil {
		out = append(out, hosts)
	}
	term, err := l.terminationMount(pod, c)
	if err != nil {
		return nil, fmt.Errorf("termination message file: %w", err)
	}
	return append(out, term), nil
}

func (l *Launcher) waitExited(ctx context.Context, id, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := l.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			return fmt.Errorf("harness: init container %s: %w", name, err)
		}
		if s := st.GetStatus(); s.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
			if s.ExitCode != 0 {
				return fmt.Errorf("harness: init container %s exited with %d: %s", name, s.ExitCode, s.Message)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("harness: init container %s still running after %s", name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Delete stops and removes the sandbox and its containers.
func (p *Pod) Delete(ctx context.Context) error {
	if p.SandboxID == "" {
		return nil
	}
	// Containers first, with no grace period, as the kubelet kills a pod
	// deleted with --grace-period=0: CRI-O's StopPodSandbox would give each
	// container (a sleep as PID 1 ignores SIGTERM) its full timeout.
	for _, id := range p.Containers {
		_, _ = p.l.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 0})
	}
	if _, err := p.l.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.SandboxID}); err != nil {
		return fmt.Errorf("harness: stop sandbox %s: %w", p.Spec.Name, err)
	}
	if _, err := p.l.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.SandboxID}); err != nil {
		return fmt.Errorf("harness: remove sandbox %s: %w", p.Spec.Name, err)
	}
	_ = os.RemoveAll(filepath.Join(p.l.volumes, string(p.Spec.UID)))
	_ = os.RemoveAll(p.l.podDir(p.Spec))
	p.l.releaseUserns(p.Spec)
	p.SandboxID = ""
	return nil
}

// memoryCapacity reads MemTotal for the burstable oom_score_adj heuristic.
func memoryCapacity() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb int64
	if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err != nil {
		return 0
	}
	return kb * 1024
}
