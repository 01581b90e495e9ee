package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
	"k8s.io/client-go/kubernetes"
)

// Options configure a cluster. Zero values pick working defaults.
type Options struct {
	// Dir holds everything the cluster writes: etcd data, certificates,
	// kubeconfigs, logs, the kubelet root and the private containerd.
	// Required; the unix socket path inside it limits it to ~80 bytes.
	Dir string
	// CacheDir holds the built Kubernetes binaries; default DefaultCacheDir.
	// Start builds them when missing (minutes).
	CacheDir string
	// ImageCacheDir holds the harness's OCI archives; default
	// harness.DefaultCacheDir().
	ImageCacheDir string
	// Runtime is the kubelet's container runtime: "containerd" (default)
	// or "crio"; empty means $RTAUDIT_CLUSTER_RUNTIME (runtime.go).
	Runtime string
	// Containerd and Runc pick the runtime binaries of the private
	// containerd (harness defaults: containerd and runc on PATH); Runc is
	// also CRI-O's runc handler.
	Containerd string
	Runc       string
	// CRIO is the crio binary (harness default: $RTAUDIT_CRIO, else crio
	// on PATH).
	CRIO string
	// Etcd is the etcd binary; default "etcd" on PATH (Debian etcd-server).
	Etcd string
	// NodeName defaults to "rtaudit-node".
	NodeName string
	// Timeout bounds the whole start-up once binaries are built; default 3m.
	Timeout time.Duration
	// Detach starts the daemons in their own sessions so they outlive this
	// process (clusterctl up); otherwise they get SIGTERM when it dies.
	Detach bool
	// KeepDir leaves Dir (logs) in place on Stop.
	KeepDir bool
	// SeccompDefault sets the kubelet's seccompDefault: a container with
	// no seccompProfile gets RuntimeDefault instead of Unconfined.
	SeccompDefault bool
	// EncryptSecrets starts the API server with an encryption provider
	// config that encrypts secrets at rest (aescbc; encryption.go).
	EncryptSecrets bool
}

// DefaultNodeName is the node's name unless Options.NodeName says otherwise.
const DefaultNodeName = "rtaudit-node"

// record is what a cluster writes to Dir/cluster.json, so another process
// (clusterctl down, a later test run) can find and stop it.
type record struct {
	Options    Options
	Owner      int // the process that started the cluster
	NodeIP     string
	Interface  string
	EtcdPort   int
	APIPort    int
	KubeletPP  int
	Etcd       proc
	APIServer  proc
	Kubelet    proc
	Containerd string // the harness instance directory (containerd)
	Runtime    string // "containerd" (also when empty: older records) or "crio"
	RuntimeDir string // the harness instance directory (CRI-O)
	Secrets    secrets
}

// Cluster is one running single-node Kubernetes.
type Cluster struct {
	lay    layout
	rec    record
	cd     *harness.Containerd // nil unless the runtime is containerd
	rt     harness.Runtime
	bins   Binaries
	client kubernetes.Interface

	// UpTime is how long Start took (binaries already built).
	UpTime time.Duration
	// ReadyTime is the part of UpTime from starting the kubelet to the
	// node turning Ready.
	ReadyTime time.Duration

	stopOnce sync.Once
	stopErr  error
}

func (o *Options) complete() error {
	if o.Dir == "" {
		return errors.New("cluster: Options.Dir is required")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	o.Dir = abs
	if len(filepath.Join(abs, "containerd", "containerd.sock")) > 100 {
		return fmt.Errorf("cluster: directory %s is too long for a unix socket path", abs)
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.ImageCacheDir == "" {
		o.ImageCacheDir = harness.DefaultCacheDir()
	}
	if o.Etcd == "" {
		o.Etcd = "etcd"
	}
	if o.NodeName == "" {
		o.NodeName = DefaultNodeName
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	return completeRuntime(o)
}

// Available reports why a cluster cannot start here, or nil. Missing
// Kubernetes binaries are not a reason: Start builds them.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("cluster: needs root (euid %d)", os.Geteuid())
	}
	if err := runtimeAvailable(Options{}); err != nil {
		return err
	}
	if _, err := exec.LookPath("etcd"); err != nil {
		return errors.New("cluster: etcd not found (install etcd-server: run test/cluster/setup.sh)")
	}
	return nil
}

// Start stops whatever a previous cluster left in o.Dir, then brings up
// containerd (harness, test images imported), etcd, kube-apiserver and the
// kubelet, and returns once the node is Ready and the "default" namespace
// can run pods. On error nothing is left running.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("cluster: needs root")
	}
	if err := o.complete(); err != nil {
		return nil, err
	}
	if etcd, err := exec.LookPath(o.Etcd); err != nil {
		return nil, fmt.Errorf("cluster: %s not found (install etcd-server: run test/cluster/setup.sh)", o.Etcd)
	} else {
		o.Etcd = etcd
	}
	bins, _, err := Build(ctx, o.CacheDir)
	if err != nil {
		return nil, err
	}
	if prev, err := Attach(o.Dir); err == nil {
		prev.rec.Options.KeepDir = true
		_ = prev.Stop()
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c := &Cluster{lay: layout{dir: o.Dir}, bins: bins}
	c.rec.Options = o
	c.rec.Owner = os.Getpid()
	err = c.start(ctx)
	if err != nil && ctx.Err() == nil {
		// A daemon that dies during start-up (seen rarely when two
		// clusters start side by side: a port taken between choosing and
		// binding it) gets one more try, on fresh ports.
		fmt.Fprintf(os.Stderr, "cluster: start-up failed, trying once more: %v\n", err)
		c.rec.Options.KeepDir = true
		_ = c.Stop()
		c = &Cluster{lay: layout{dir: o.Dir}, bins: bins}
		c.rec.Options = o
		c.rec.Owner = os.Getpid()
		if err2 := c.start(ctx); err2 != nil {
			err = fmt.Errorf("%w (first try: %v)", err2, err)
		} else {
			err = nil
		}
	}
	if err != nil {
		if serr := c.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, err
	}
	c.UpTime = time.Since(start)
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	o := c.rec.Options
	for _, d := range []string{o.Dir, c.lay.podLogs(), c.lay.kubeletRoot()} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	// A user-namespaced container's root (an unprivileged host ID) must
	// traverse Dir to reach its rootfs under the containerd state: a
	// directory from os.MkdirTemp (0700) fails runc with "remount-propagation
	// ... permission denied".
	if err := os.Chmod(o.Dir, 0o711); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := c.save(); err != nil { // from here on, Stop (or Attach+Stop) can clean up
		return err
	}
	if err := saveSysctls(); err != nil {
		return err
	}
	err := c.startRuntime(ctx)
	if err := errors.Join(err, c.save()); err != nil {
		return err
	}
	c.rec.Interface, c.rec.NodeIP = nodeAddress(c.rt.Bridge(), o.Dir)
	if err := c.save(); err != nil {
		return err
	}
	if err := addNodeInterface(c.rec.Interface, c.rec.NodeIP); err != nil {
		return err
	}
	if c.rec.Secrets, err = writePKI(c.lay.pki(), o.NodeName); err != nil {
		return err
	}
	if err := writeKubeletClientPKI(c.lay.pki()); err != nil {
		return err
	}
	ports, err := FreePorts(4)
	if err != nil {
		return err
	}
	c.rec.EtcdPort, c.rec.APIPort, c.rec.KubeletPP = ports[0], ports[2], ports[3]
	if err := c.startEtcd(ctx, ports[0], ports[1]); err != nil {
		return err
	}
	if err := c.startAPIServer(ctx); err != nil {
		return err
	}
	if err := c.bootstrap(ctx); err != nil {
		return err
	}
	kstart := time.Now()
	if err := c.startKubelet(); err != nil {
		return err
	}
	if err := c.waitNodeReady(ctx); err != nil {
		return err
	}
	c.ReadyTime = time.Since(kstart)
	return nil
}

func (c *Cluster) startEtcd(ctx context.Context, clientPort, peerPort int) error {
	p, err := startProc(c.lay.dir, "etcd", c.rec.Options.Detach, c.lay.etcdData(), c.rec.Options.Etcd, etcdArgs(c.lay, clientPort, peerPort)...)
	if err != nil {
		return err
	}
	c.rec.Etcd = p
	if err := c.save(); err != nil {
		return err
	}
	return waitHTTP(ctx, p, "http://127.0.0.1:"+strconv.Itoa(clientPort)+"/health", "", c.lay.log("etcd"))
}

func (c *Cluster) startAPIServer(ctx context.Context) error {
	args, err := c.encryptionArgs(apiserverArgs(c.lay, c.rec.EtcdPort, c.rec.APIPort, c.rec.NodeIP))
	if err != nil {
		return err
	}
	p, err := startProc(c.lay.dir, "kube-apiserver", c.rec.Options.Detach, c.lay.apiserverCerts(), c.bins.APIServer, args...)
	if err != nil {
		return err
	}
	c.rec.APIServer = p
	if err := c.save(); err != nil {
		return err
	}
	if err := waitHTTP(ctx, p, c.server()+"/readyz", c.rec.Secrets.AdminToken, c.lay.log("kube-apiserver")); err != nil {
		return err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return err
	}
	client, err := newClient(c.lay.kubeconfig())
	if err != nil {
		return err
	}
	c.client = client
	return nil
}

func (c *Cluster) startKubelet() error {
	if err := writeFile(c.lay.kubeletConfig(), kubeletConfig(c.lay, c.rt.Endpoint(), c.rec.KubeletPP, c.rec.Options.SeccompDefault), 0o644); err != nil {
		return err
	}
	p, err := startProc(c.lay.dir, "kubelet", c.rec.Options.Detach, c.lay.kubeletConfig(), c.bins.Kubelet,
		kubeletArgs(c.lay, c.rec.Options.NodeName, c.rec.NodeIP)...)
	if err != nil {
		return err
	}
	c.rec.Kubelet = p
	return c.save()
}

func (c *Cluster) save() error {
	data, err := json.MarshalIndent(c.rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.lay.record() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return os.Rename(tmp, c.lay.record())
}

// Attach returns a handle on a cluster started earlier in dir, possibly by
// another process (clusterctl). Its daemons may have died; Stop still
// cleans up.
func Attach(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	lay := layout{dir: abs}
	data, err := os.ReadFile(lay.record())
	if err != nil {
		return nil, fmt.Errorf("cluster: no cluster in %s: %w", abs, err)
	}
	c := &Cluster{lay: lay, bins: binariesIn(DefaultCacheDir())}
	if err := json.Unmarshal(data, &c.rec); err != nil {
		return nil, fmt.Errorf("cluster: %s: %w", lay.record(), err)
	}
	c.bins = binariesIn(c.rec.Options.CacheDir)
	c.attachRuntime()
	if _, err := os.Stat(lay.kubeconfig()); err == nil {
		if client, err := newClient(lay.kubeconfig()); err == nil {
			c.client = client
		}
	}
	return c, nil
}

// Running tells whether every daemon of the cluster is alive.
func (c *Cluster) Running() bool {
	return c.rec.Etcd.alive() && c.rec.APIServer.alive() && c.rec.Kubelet.alive() &&
		c.rt != nil && c.rt.PID() > 0 && processRunning(c.rt.PID())
}

func processRunning(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}

// Dir is the cluster directory.
func (c *Cluster) Dir() string { return c.lay.dir }

// Kubeconfig is the path of an admin kubeconfig (group system:masters).
func (c *Cluster) Kubeconfig() string { return c.lay.kubeconfig() }

// Client is an admin clientset.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// Endpoint is the CRI endpoint of the cluster's own runtime.
func (c *Cluster) Endpoint() string {
	if c.rt == nil {
		return ""
	}
	return c.rt.Endpoint()
}

// Containerd is the harness handle on the cluster's containerd (CRI
// clients, containerd client), nil when the runtime is CRI-O (Runtime).
// Never launch pods on it with the harness launcher: the kubelet removes
// sandboxes it did not create.
func (c *Cluster) Containerd() *harness.Containerd { return c.cd }

// NodeName is the name of the single node.
func (c *Cluster) NodeName() string { return c.rec.Options.NodeName }

// NodeIP is the node's InternalIP (a local address nothing routes to).
func (c *Cluster) NodeIP() string { return c.rec.NodeIP }

// Binaries are the Kubernetes programs the cluster runs (kubectl included).
func (c *Cluster) Binaries() Binaries { return c.bins }

// Log is the path of a daemon's log: "etcd", "kube-apiserver", "kubelet".
func (c *Cluster) Log(name string) string { return c.lay.log(name) }

// server is the apiserver URL.
func (c *Cluster) server() string { return "https://127.0.0.1:" + strconv.Itoa(c.rec.APIPort) }

// APIPort is the port kube-apiserver serves on, on 127.0.0.1.
func (c *Cluster) APIPort() int { return c.rec.APIPort }
