package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// nodeOptions are the flags `rtaudit scan` and `rtaudit agent` share: where
// the runtime, the kernel and the API server are, and how this node's
// runtime and kubelet are configured.
type nodeOptions struct {
	endpoint, hostRoot, procRoot string
	timeout                      time.Duration
	kubeconfig, kubeContext      string
	node                         string
	defaultCaps                  string
	seccompDefault               bool
	runtimeRoots                 []string
}

func (o *nodeOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.endpoint, "runtime-endpoint", "", "CRI endpoint, e.g. unix:///run/containerd/containerd.sock (default: try containerd's, CRI-O's and k3s's sockets under --host-root)")
	fs.StringVar(&o.hostRoot, "host-root", "", "where the host's root is mounted, for the runtime socket (the DaemonSet uses /host)")
	fs.StringVar(&o.procRoot, "proc-root", "/proc", "the host's proc filesystem (with hostPID, a pod's own /proc)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each CRI call")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "declared pods from the API server of this kubeconfig (in-cluster config when running in a pod)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context")
	fs.StringVar(&o.node, "node-name", "", "this node's name in the cluster (default: $NODE_NAME, else the host name)")
	fs.StringVar(&o.defaultCaps, "default-capabilities", "", "comma-separated capability set the runtime grants by default, for a deliberately customised runtime (default: the runtime's documented set)")
	fs.BoolVar(&o.seccompDefault, "seccomp-default", false, "the kubelet runs with seccompDefault: true (unset seccomp means RuntimeDefault)")
	fs.Func("runtime-root", "a runc or crun state root (a glob; repeatable) whose state files name the containers hidden from the CRI; replaces the defaults "+strings.Join(scan.DefaultRuntimeRoots, ", ")+" (CRI-O's own roots are found anyway)", o.addRuntimeRoot)
}

// addRuntimeRoot takes one --runtime-root: an absolute path or glob.
func (o *nodeOptions) addRuntimeRoot(v string) error {
	if !filepath.IsAbs(v) {
		return fmt.Errorf("%q is not an absolute path", v)
	}
	if _, err := filepath.Match(v, ""); err != nil {
		return fmt.Errorf("%q: %v", v, err)
	}
	o.runtimeRoots = append(o.runtimeRoots, v)
	return nil
}

func (o *nodeOptions) Validate() error {
	if o.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	return nil
}

// scanOptions are the scan's options these flags decide.
func (o *nodeOptions) scanOptions() scan.Options {
	so := scan.Options{ProcRoot: o.procRoot, SeccompDefault: o.seccompDefault, Node: declared.NodeName(o.node)}
	so.Runtime.Endpoint, so.Runtime.HostRoot, so.Runtime.Timeout = o.endpoint, o.hostRoot, o.timeout
	if o.defaultCaps != "" {
		so.Capabilities = strings.Split(o.defaultCaps, ",")
	}
	so.RuntimeRoots = o.runtimeRoots // nil: the defaults
	return so
}

// kubeAPI names the API server the flags select.
func (o *nodeOptions) kubeAPI() declared.KubeAPIOptions {
	return declared.KubeAPIOptions{Kubeconfig: o.kubeconfig, Context: o.kubeContext, Node: declared.NodeName(o.node)}
}
