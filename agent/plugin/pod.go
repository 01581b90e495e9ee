package plugin

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/deploy"
)

// The DaemonSet's containers, and what the plugin's pod calls them.
const (
	agentContainer  = "agent"
	filterContainer = "cri-filter"
	// Component is the app.kubernetes.io/component label of the plugin's
	// pods: not the agent's, so neither the DaemonSet nor its Service
	// selects them.
	Component = "kubectl-rtaudit"
)

// DaemonSet is the agent's DaemonSet as deploy/ ships it.
func DaemonSet() (*appsv1.DaemonSet, error) {
	ds := &appsv1.DaemonSet{}
	if err := yaml.UnmarshalStrict(deploy.DaemonSetYAML, ds); err != nil {
		return nil, fmt.Errorf("the embedded DaemonSet: %w", err)
	}
	return ds, nil
}

// PodOptions say what the short-lived pod runs, where.
type PodOptions struct {
	Node  string
	Image string // "" keeps the DaemonSet's (the release image)
	// Args are rtaudit's arguments in the agent's container (scan or
	// explain and their flags); the runtime endpoint, proc root and
	// in-cluster flags are added.
	Args []string
	// CRISocket is the runtime socket's path on the node; "" keeps the
	// DaemonSet's (containerd's default).
	CRISocket string
	// HostNetwork runs the pod in the node's network and points the
	// in-cluster client at APIHost:APIPort, for a cluster whose pod network
	// or service proxy cannot be trusted (or is absent).
	HostNetwork      bool
	APIHost, APIPort string
}

// Pod derives the plugin's pod from the agent's DaemonSet: the pod template
// as it is (service account, hostPID, volumes, security contexts, mounts),
// pinned to o.Node, run once; the agent container runs o.Args instead of
// the agent, without ports and probes; cri-filter becomes a sidecar
// (an init container that restarts always), so it stops when the scan has
// exited.
func Pod(o PodOptions) (*corev1.Pod, error) {
	ds, err := DaemonSet()
	if err != nil {
		return nil, err
	}
	spec := ds.Spec.Template.Spec.DeepCopy()
	spec.NodeName = o.Node
	spec.RestartPolicy = corev1.RestartPolicyNever
	spec.TerminationGracePeriodSeconds = new(int64(1))
	spec.NodeSelector = nil // pinned by name
	labels := map[string]string{}
	for k, v := range ds.Spec.Template.Labels {
		labels[k] = v
	}
	labels["app.kubernetes.io/component"] = Component

	var agent, filter *corev1.Container
	for i := range spec.Containers {
		switch c := &spec.Containers[i]; c.Name {
		case agentContainer:
			agent = c
		case filterContainer:
			filter = c
		}
	}
	if agent == nil || filter == nil {
		return nil, fmt.Errorf("the embedded DaemonSet lacks its %s or %s container", agentContainer, filterContainer)
	}
	endpoint, procRoot := "", ""
	for _, a := range agent.Args {
		if v, ok := strings.CutPrefix(a, "--runtime-endpoint="); ok {
			endpoint = v
		}
		if v, ok := strings.CutPrefix(a, "--proc-root="); ok {
			procRoot = v
		}
	}
	if endpoint == "" || procRoot == "" {
		return nil, fmt.Errorf("the embedded DaemonSet's agent has no --runtime-endpoint or --proc-root")
	}
	agent.Args = append(slices.Clone(o.Args), "--runtime-endpoint="+endpoint, "--proc-root="+procRoot, "--in-cluster", "--wait-runtime=60s")
	agent.Ports, agent.LivenessProbe, agent.ReadinessProbe = nil, nil, nil
	for _, c := range []*corev1.Container{agent, filter} {
		if o.Image != "" {
			c.Image = o.Image
		}
	}
	if o.CRISocket != "" {
		if err := setSocket(spec, filter, o.CRISocket); err != nil {
			return nil, err
		}
	}
	if o.HostNetwork {
		spec.HostNetwork = true
		spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
		agent.Env = append(agent.Env,
			corev1.EnvVar{Name: "KUBERNETES_SERVICE_HOST", Value: o.APIHost},
			corev1.EnvVar{Name: "KUBERNETES_SERVICE_PORT", Value: o.APIPort})
	}
	sidecar := *filter
	sidecar.RestartPolicy = new(corev1.ContainerRestartPolicyAlways)
	spec.InitContainers = append(spec.InitContainers, sidecar)
	spec.Containers = []corev1.Container{*agent}

	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "rtaudit-", Namespace: ds.Namespace, Labels: labels,
		},
		Spec: *spec,
	}, nil
}

// setSocket points cri-filter at the runtime socket path on the node, in
// the three places the overlays change: the cri-socket hostPath volume, its
// mount and the CRI_SOCKET variable.
func setSocket(spec *corev1.PodSpec, filter *corev1.Container, socket string) error {
	if !strings.HasPrefix(socket, "/") {
		return fmt.Errorf("--cri-socket %q: want an absolute path on the node", socket)
	}
	var vol string
	for i := range spec.Volumes {
		if hp := spec.Volumes[i].HostPath; hp != nil && spec.Volumes[i].Name == "cri-socket" {
			hp.Path, vol = socket, spec.Volumes[i].Name
		}
	}
	for i := range filter.VolumeMounts {
		if filter.VolumeMounts[i].Name == vol {
			filter.VolumeMounts[i].MountPath = "/host" + socket
		}
	}
	for i := range filter.Env {
		if filter.Env[i].Name == "CRI_SOCKET" {
			filter.Env[i].Value = socket
		}
	}
	if vol == "" {
		return fmt.Errorf("the embedded DaemonSet mounts no runtime socket")
	}
	// Another runtime's node may lack the template's runc state root, and
	// its type Directory would keep the pod from starting: the pod goes
	// without it (hidden groups are then named by shim or conmon only).
	spec.Volumes = slices.DeleteFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == stateVolume })
	for i := range spec.Containers {
		spec.Containers[i].VolumeMounts = slices.DeleteFunc(spec.Containers[i].VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == stateVolume })
	}
	return nil
}

// stateVolume is the DaemonSet's read-only mount of the runc state root.
const stateVolume = "runc-state"
