package harness

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI-O as a second container runtime: a private instance (its own
// storage, state, socket, CNI network, cgroup parent and OCI runtime
// roots) beside the containerd labs. test/crio.sh builds it.

// CRIOEnv names the crio binary (test/crio.sh prints its path); pinns is
// looked up beside it.
const CRIOEnv = "RTAUDIT_CRIO"

// CRIORuntimeEnv names CRI-O's default OCI runtime handler in the lab:
// "crun" (CRI-O's own default) or "runc".
const CRIORuntimeEnv = "RTAUDIT_CRIO_RUNTIME"

// CRIOOptions configure a private CRI-O. Zero values pick working defaults.
type CRIOOptions struct {
	// Dir holds everything the instance writes. Required.
	Dir string
	// Binary is crio; default $RTAUDIT_CRIO, else "crio" on PATH.
	Binary string
	// DefaultRuntime is the handler used when a pod names none: "crun"
	// (default, $RTAUDIT_CRIO_RUNTIME) or "runc". Both handlers exist.
	DefaultRuntime string
	// Runc and Crun are the OCI runtimes; default "runc" and "crun" on
	// PATH (RTAUDIT_RUNC, RTAUDIT_CRUN).
	Runc, Crun string
	// Conmon is CRI-O's container monitor; default /usr/bin/conmon.
	Conmon string
	// CNIBinDir holds the CNI plugins; default /usr/lib/cni.
	CNIBinDir string
	// Bridge, Subnet and CgroupParent default from a claimed slot, as for
	// containerd.
	Bridge, Subnet, CgroupParent string
	// StartTimeout bounds the wait for CRI to answer; default 60s.
	StartTimeout time.Duration
	// Detach starts crio in its own session so it outlives this process
	// (clusterctl up); otherwise it gets SIGTERM when this process dies.
	Detach bool
}

func (o *CRIOOptions) complete() error {
	if o.Dir == "" {
		return errors.New("harness: CRIOOptions.Dir is required")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	o.Dir = abs
	if len(crioLayout{dir: abs}.socket()) > 100 {
		return fmt.Errorf("harness: directory %s is too long for a unix socket path", o.Dir)
	}
	o.Binary = cmp.Or(o.Binary, os.Getenv(CRIOEnv), "crio")
	o.DefaultRuntime = cmp.Or(o.DefaultRuntime, os.Getenv(CRIORuntimeEnv), "crun")
	if o.DefaultRuntime != "crun" && o.DefaultRuntime != "runc" {
		return fmt.Errorf("harness: %s=%q: want crun or runc", CRIORuntimeEnv, o.DefaultRuntime)
	}
	o.Runc = cmp.Or(o.Runc, os.Getenv(RuncEnv), "runc")
	o.Crun = cmp.Or(o.Crun, os.Getenv(CrunEnv), "crun")
	o.Conmon = cmp.Or(o.Conmon, "/usr/bin/conmon")
	o.CNIBinDir = cmp.Or(o.CNIBinDir, "/usr/lib/cni")
	o.StartTimeout = cmp.Or(o.StartTimeout, 60*time.Second)
	return nil
}

// CheckCRIOPrerequisites reports the first missing piece of a CRI-O lab,
// naming what provides it.
func CheckCRIOPrerequisites(o CRIOOptions) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("harness: CRI-O needs root (euid %d)", os.Geteuid())
	}
	if o.Dir == "" {
		o.Dir = "/var/tmp/x"
	}
	if err := o.complete(); err != nil {
		return err
	}
	bin, err := exec.LookPath(o.Binary)
	if err != nil {
		return fmt.Errorf("harness: %s not found (build it: %s=$(bash test/crio.sh))", o.Binary, CRIOEnv)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(bin), "pinns")); err != nil {
		return fmt.Errorf("harness: pinns missing beside %s (bash test/crio.sh builds both)", bin)
	}
	for _, b := range []struct{ name, pkg string }{{o.Conmon, "conmon"}, {"skopeo", "skopeo"}, {"jq", "jq"}, {o.Runc, "runc"}, {o.Crun, "crun"}, {"ip", "iproute2"}} {
		if _, err := exec.LookPath(b.name); err != nil {
			return fmt.Errorf("harness: %s not found (install %s: bash test/crio.sh)", b.name, b.pkg)
		}
	}
	return nil
}

// CRIO is one running private CRI-O.
type CRIO struct {
	opts   CRIOOptions
	lay    crioLayout
	pid    int
	exited chan struct{}
	criConn

	stopOnce sync.Once
	stopErr  error
}

// StartCRIO cleans o.Dir, writes the config and wrappers, imports the test
// images into CRI-O's storage (skopeo), starts crio and waits until CRI
// answers. On error nothing is left running.
func StartCRIO(ctx context.Context, o CRIOOptions, cacheDir string) (*CRIO, error) {
	if err := CheckCRIOPrerequisites(o); err != nil {
		return nil, err
	}
	if err := o.complete(); err != nil {
		return nil, err
	}
	for _, p := range []*string{&o.Binary, &o.Runc, &o.Crun} {
		abs, err := exec.LookPath(*p)
		if err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
		*p = abs
	}
	if err := os.MkdirAll(o.Dir, 0o711); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if err := os.Chmod(o.Dir, 0o711); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if o.Bridge == "" || o.Subnet == "" || o.CgroupParent == "" {
		n, err := claimSlot(o.Dir)
		if err != nil {
			return nil, err
		}
		o.Bridge = cmp.Or(o.Bridge, "rta"+strconv.Itoa(n))
		o.Subnet = cmp.Or(o.Subnet, fmt.Sprintf("10.231.%d.0/24", n))
		o.CgroupParent = cmp.Or(o.CgroupParent, fmt.Sprintf("/rtaudit-%d", n))
	}
	c := &CRIO{opts: o, lay: crioLayout{dir: o.Dir}}
	c.endpoint = c.Endpoint
	if err := fixedMACBridge(o.Bridge); err != nil {
		_ = c.Stop()
		return nil, err
	}
	if err := writeCRIOConfig(c.lay, o); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("harness: CRI-O config: %w", err)
	}
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	if err := c.importImages(ctx, cacheDir); err != nil {
		_ = c.Stop()
		return nil, err
	}
	logf, err := os.OpenFile(c.lay.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(o.Binary, "--config", c.lay.config(), "--config-dir", c.lay.dropIns())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = o.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if o.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := StartDaemon(cmd); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("harness: start %s: %w", o.Binary, err)
	}
	c.pid = cmd.Process.Pid
	c.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(c.exited) }()
	if err := c.saveInstance(); err != nil {
		_ = c.Stop()
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *CRIO) alive() bool {
	if c.exited == nil { // attached: the recorded crio, if it still serves this instance
		return c.pid > 0 && c.running()
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

func (c *CRIO) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	var last error
	for {
		if !c.alive() {
			return fmt.Errorf("harness: crio exited during start-up: %s", tail(c.lay.logFile(), 15))
		}
		if _, err := os.Stat(c.lay.socket()); err == nil {
			rt, err := c.RuntimeService()
			if err == nil {
				cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
				_, err = rt.Status(cctx, &runtimeapi.StatusRequest{})
				ccancel()
				if err == nil {
					return nil
				}
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: CRI-O not ready after %s (last error: %v): %s", c.opts.StartTimeout, last, tail(c.lay.logFile(), 15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Dir is the instance directory.
func (c *CRIO) Dir() string { return c.opts.Dir }

// Endpoint is the CRI endpoint, unix:///…/crio.sock.
func (c *CRIO) Endpoint() string { return "unix://" + c.lay.socket() }

// PID is the crio process.
func (c *CRIO) PID() int { return c.pid }

// Options returns the completed options of this instance.
func (c *CRIO) Options() CRIOOptions { return c.opts }

// LogFile is crio's log.
func (c *CRIO) LogFile() string { return c.lay.logFile() }

// RuntimeRoot is the state root (--root) CRI-O gives handler ("runc" or
// "crun"): one directory per container, as each runtime keeps it.
func (c *CRIO) RuntimeRoot(handler string) string { return c.lay.runtimeRoot(handler) }

// RuntimeWrapper is the runtime_path of handler: the lab's wrapper around
// the OCI runtime (writeCRIOWrapper), which accepts the same commands.
func (c *CRIO) RuntimeWrapper(handler string) string { return c.lay.wrapper(handler) }

// NewLauncher returns a launcher creating pods on this CRI-O as the
// kubelet would. It has no containerd client: ExecAs is refused.
func (c *CRIO) NewLauncher() (*Launcher, error) {
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
		node: Node{
			CgroupParent:   c.opts.CgroupParent,
			PodLogsDir:     c.lay.podLogs(),
			MemoryCapacity: memoryCapacity(),
		},
		volumes: filepath.Join(c.opts.Dir, "volumes"),
		pods:    filepath.Join(c.opts.Dir, "pods"),
		userns: &usernsAllocator{
			dir:   filepath.Join(c.opts.Dir, "userns"),
			first: UsernsBase + uint32(labIndex(Options{Dir: c.opts.Dir, Bridge: c.opts.Bridge}))*usernsPerLab*UsernsLength,
			rt:    rt,
		},
	}, nil
}

// fixedMACBridge creates the lab's CNI bridge with an address of its own
// before CRI-O's first pod. The bridge plugin would create it with a
// random one, which the kernel then replaces by the lowest of its ports'
// as pods join; CRI-O checks each new sandbox's network (CNI CHECK)
// against the bridge address its ADD returned, and failed the sandbox
// ("Bridge interface ... Mac doesn't match") when a concurrent pod's port
// joined in between.
func fixedMACBridge(name string) error {
	if _, err := net.InterfaceByName(name); err == nil {
		return nil // left by an earlier run: Stop deletes it
	}
	sum := sha256.Sum256([]byte(name))
	mac := net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]} // locally administered, unicast
	for _, args := range [][]string{
		{"link", "add", "name", name, "address", mac.String(), "type", "bridge"},
		{"link", "set", "dev", name, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("harness: ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}
