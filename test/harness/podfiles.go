package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The files the kubelet keeps in its pod directory and mounts into every
// container (pkg/kubelet/kubelet_pods.go makeMounts, makeHostsMount;
// kuberuntime/kuberuntime_container.go makeMounts): the managed hosts file
// and a termination-message file per container. The launcher keeps them
// in <instance>/pods/<pod UID>, removed by Pod.Delete.

const (
	etcHosts             = "/etc/hosts"
	clusterDomain        = "cluster.local"
	managedHosts         = "# Kubernetes-managed hosts file.\n"
	managedHostsHostNet  = "# Kubernetes-managed hosts file (host network).\n"
	terminationFileMode  = 0o666
	managedHostsFileMode = 0o644
)

// podDir is the pod's directory, as the kubelet's <root>/pods/<uid>.
func (l *Launcher) podDir(pod *corev1.Pod) string {
	return filepath.Join(l.pods, string(pod.UID))
}

// sandboxIPs returns the pod IPs the runtime reports for the sandbox, as
// the kubelet takes them from PodSandboxStatus.
func (l *Launcher) sandboxIPs(ctx context.Context, id string) ([]string, error) {
	st, err := l.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		return nil, fmt.Errorf("PodSandboxStatus %.12s: %w", id, err)
	}
	n := st.GetStatus().GetNetwork()
	var ips []string
	if ip := n.GetIp(); ip != "" {
		ips = append(ips, ip)
	}
	for _, a := range n.GetAdditionalIps() {
		if a.GetIp() != "" {
			ips = append(ips, a.GetIp())
		}
	}
	return ips, nil
}

// hostsMount is the kubelet's managed /etc/hosts for container c, read-write
// with SELinux relabelling, or nil when the kubelet sends none: the pod has
// no IP and is not on the host network, or c mounts a volume at /etc/hosts.
func (l *Launcher) hostsMount(pod *corev1.Pod, c *corev1.Container, ips []string) (*runtimeapi.Mount, error) {
	if len(ips) == 0 && !pod.Spec.HostNetwork {
		return nil, nil
	}
	for _, vm := range c.VolumeMounts {
		if vm.MountPath == etcHosts {
			return nil, nil
		}
	}
	content, err := hostsFileContent(pod, ips, etcHosts)
	if err != nil {
		return nil, err
	}
	dir := l.podDir(pod)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "etc-hosts")
	if err := os.WriteFile(path, content, managedHostsFileMode); err != nil {
		return nil, err
	}
	if err := os.Chmod(path, managedHostsFileMode); err != nil {
		return nil, err
	}
	return &runtimeapi.Mount{ContainerPath: etcHosts, HostPath: path, SelinuxRelabel: true}, nil
}

// hostsFileContent is the managed hosts file the kubelet writes
// (ensureHostsFile): on the host network a copy of the node's hosts file
// (read from nodeHosts), else localhost entries, the pod's IPs under its
// host name, and the pod's hostAliases either way.
func hostsFileContent(pod *corev1.Pod, ips []string, nodeHosts string) ([]byte, error) {
	var b bytes.Buffer
	if pod.Spec.HostNetwork {
		node, err := os.ReadFile(nodeHosts)
		if err != nil {
			return nil, err
		}
		b.WriteString(managedHostsHostNet)
		b.Write(node)
	} else {
		b.WriteString(managedHosts)
		b.WriteString("127.0.0.1\tlocalhost\n")
		b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
		b.WriteString("fe00::0\tip6-localnet\n")
		b.WriteString("fe00::0\tip6-mcastprefix\n")
		b.WriteString("fe00::1\tip6-allnodes\n")
		b.WriteString("fe00::2\tip6-allrouters\n")
		name := podHostname(pod)
		for _, ip := range ips {
			if pod.Spec.Subdomain != "" {
				fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", ip, name, pod.Spec.Subdomain, pod.Namespace, clusterDomain, name)
			} else {
				fmt.Fprintf(&b, "%s\t%s\n", ip, name)
			}
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
		}
	}
	return b.Bytes(), nil
}

// podHostname is the pod's host name as the kubelet generates it: the
// hostname field, else the pod name, cut to 63 characters.
func podHostname(pod *corev1.Pod) string {
	host := pod.Name
	if pod.Spec.Hostname != "" {
		host = pod.Spec.Hostname
	}
	if len(host) > 63 {
		host = strings.TrimRight(host[:63], "-.")
	}
	return host
}

// terminationMount is the kubelet's termination-message mount for c: a
// fresh empty file, mode 0666, under the pod directory, bind-mounted
// read-write at terminationMessagePath (defaulted as the API server does).
func (l *Launcher) terminationMount(pod *corev1.Pod, c *corev1.Container) (*runtimeapi.Mount, error) {
	target := c.TerminationMessagePath
	if target == "" {
		target = corev1.TerminationMessagePathDefault
	}
	dir := filepath.Join(l.podDir(pod), "containers", c.Name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, hex.EncodeToString(id[:]))
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(path, terminationFileMode); err != nil {
		return nil, err
	}
	return &runtimeapi.Mount{ContainerPath: target, HostPath: path}, nil
}
