package harness

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Options configure a private containerd. Zero values pick working defaults.
type Options struct {
	// Dir holds everything the instance writes (root, state, socket, config,
	// CNI config and IPAM data). Required.
	Dir string
	// Binary is the containerd executable; default $RTAUDIT_CONTAINERD,
	// else "containerd" on PATH.
	Binary string
	// Runc is the OCI runtime binary; default $RTAUDIT_RUNC, else "runc"
	// on PATH.
	Runc string
	// Crun is the second OCI runtime, behind the CrunHandler runtime
	// handler; default $RTAUDIT_CRUN, else "crun" on PATH. A started
	// instance holds its absolute path, or "" when it was not found: the
	// lab then has no crun handler (test/setup.sh installs Debian's crun).
	Crun string
	// CNIBinDir holds the CNI plugins; default /usr/lib/cni.
	CNIBinDir string
	// Bridge, Subnet and CgroupParent default to values of a free instance
	// number N claimed under /run/rtaudit-harness ("rta<N>",
	// "10.231.<N>.0/24", "/rtaudit-<N>"), so concurrent instances don't clash.
	Bridge       string
	Subnet       string
	CgroupParent string
	// StartTimeout bounds the wait for CRI to answer; default 60s.
	StartTimeout time.Duration
	// Detach starts containerd in its own session so it outlives this process
	// (labctl up); otherwise it gets SIGTERM when this process dies.
	Detach bool
	// KeepDir leaves Dir in place on Stop (logs stay readable).
	KeepDir bool
}

// Containerd is one running private containerd.
type Containerd struct {
	opts   Options
	lay    layout
	pid    int
	exited chan struct{} // closed when a child we started exits; nil when attached
	criConn

	mu sync.Mutex

	stopOnce sync.Once
	stopErr  error

	// Launches in flight finish before Stop removes the pods, so a pod
	// created during Stop (SIGINT mid-test) is not leaked.
	closing  bool
	inflight sync.WaitGroup
}

// ContainerdEnv names another containerd binary for the harness, such as a
// v2 built from the module proxy (its shim beside it).
const ContainerdEnv = "RTAUDIT_CONTAINERD"

// RuncEnv names another runc binary for the harness, such as the v1.5.2
// test/runc.sh builds (user-namespaced pods need runc 1.2 or later).
const RuncEnv = "RTAUDIT_RUNC"

// CrunEnv names another crun binary for the CrunHandler runtime handler.
const CrunEnv = "RTAUDIT_CRUN"

func (o *Options) complete() error {
	if o.Dir == "" {
		return errors.New("harness: Options.Dir is required")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	o.Dir = abs
	if len(filepath.Join(o.Dir, "containerd.sock")) > 100 {
		return fmt.Errorf("harness: directory %s is too long for a unix socket path", o.Dir)
	}
	if o.Binary == "" {
		o.Binary = os.Getenv(ContainerdEnv)
	}
	if o.Binary == "" {
		o.Binary = "containerd"
	}
	if o.Runc == "" {
		o.Runc = os.Getenv(RuncEnv)
	}
	if o.Runc == "" {
		o.Runc = "runc"
	}
	if o.Crun == "" {
		o.Crun = cmp.Or(os.Getenv(CrunEnv), "crun")
	}
	if o.CNIBinDir == "" {
		o.CNIBinDir = "/usr/lib/cni"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	return nil
}

// CheckPrerequisites reports the first missing binary the harness needs,
// naming the package that provides it.
func CheckPrerequisites(o Options) error {
	if err := o.complete(); err != nil && o.Dir != "" {
		return err
	}
	if o.Binary == "" { // no Dir: complete stopped before the defaults
		o.Binary, o.Runc, o.CNIBinDir = cmp.Or(os.Getenv(ContainerdEnv), "containerd"), cmp.Or(os.Getenv(RuncEnv), "runc"), "/usr/lib/cni"
	}
	bins := []struct{ name, pkg string }{
		{o.Binary, "containerd"},
		{"containerd-shim-runc-v2", "containerd"},
		{o.Runc, "runc"},
		{"ip", "iproute2"},
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b.name); err != nil {
			return fmt.Errorf("harness: %s not found (install %s: run test/setup.sh)", b.name, b.pkg)
		}
	}
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(o.CNIBinDir, p)); err != nil {
			return fmt.Errorf("harness: CNI plugin %s missing in %s (install containernetworking-plugins: run test/setup.sh)", p, o.CNIBinDir)
		}
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		return errors.New("harness: /bin/busybox missing (install busybox-static: run test/setup.sh)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		return errors.New("harness: go toolchain not found on PATH (needed to build the pause and escalate helpers)")
	}
	return nil
}

// StartContainerd cleans up whatever a previous instance left in o.Dir,
// writes the config, starts containerd and waits until CRI answers.
func StartContainerd(ctx context.Context, o Options) (*Containerd, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("harness: containerd needs root")
	}
	if err := o.complete(); err != nil {
		return nil, err
	}
	if err := CheckPrerequisites(o); err != nil {
		return nil, err
	}
	if runc, err := exec.LookPath(o.Runc); err == nil {
		o.Runc = runc
	}
	// crun is optional: without it the lab has no crun handler and only
	// the tests that select it cannot run.
	if crun, err := exec.LookPath(o.Crun); err == nil {
		o.Crun = crun
	} else {
		o.Crun = ""
	}
	lay := layout{dir: o.Dir}
	if prev, err := Attach(o.Dir); err == nil {
		prev.opts.KeepDir = true
		_ = prev.Stop()
	}
	if o.Bridge == "" || o.Subnet == "" || o.CgroupParent == "" {
		if err := os.MkdirAll(o.Dir, 0o711); err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
		n, err := claimSlot(o.Dir)
		if err != nil {
			return nil, err
		}
		if o.Bridge == "" {
			o.Bridge = "rta" + strconv.Itoa(n)
		}
		if o.Subnet == "" {
			o.Subnet = fmt.Sprintf("10.231.%d.0/24", n)
		}
		if o.CgroupParent == "" {
			o.CgroupParent = fmt.Sprintf("/rtaudit-%d", n)
		}
	}
	// Traversable by all (as /run/containerd is): the root of a
	// user-namespaced pod is an unprivileged host UID that must reach its
	// rootfs under state/. os.MkdirTemp makes 0700 directories.
	if err := os.MkdirAll(o.Dir, 0o711); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if err := os.Chmod(o.Dir, 0o711); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if err := writeConfig(lay, o); err != nil {
		return nil, fmt.Errorf("harness: write config: %w", err)
	}
	logf, err := os.OpenFile(lay.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(o.Binary, "--config", lay.config(), "--root", lay.root(), "--state", lay.state(), "--address", lay.socket())
	// The shim is looked up on PATH: the one built with this containerd
	// (beside it) must come first.
	if strings.ContainsRune(o.Binary, filepath.Separator) {
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(o.Binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = o.Dir
	if o.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Own process group: a ^C in the terminal reaches the test, which
		// cleans up, not containerd directly.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	}
	if err := StartDaemon(cmd); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", o.Binary, err)
	}
	c := &Containerd{opts: o, lay: lay, pid: cmd.Process.Pid, exited: make(chan struct{})}
	c.endpoint = c.Endpoint
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

type instanceRecord struct {
	PID     int
	Options Options
}

func (c *Containerd) saveInstance() error {
	data, err := json.Marshal(instanceRecord{PID: c.pid, Options: c.opts})
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.lay.pidFile(), []byte(strconv.Itoa(c.pid)+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(c.lay.instanceFile(), data, 0o644)
}

// Attach returns a handle on an instance started earlier in dir, possibly by
// another process (labctl). The daemon may have died; Stop still cleans up.
func Attach(dir string) (*Containerd, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(layout{dir: abs}.instanceFile())
	if err != nil {
		return nil, fmt.Errorf("harness: no instance in %s: %w", abs, err)
	}
	var rec instanceRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("harness: %s: %w", layout{dir: abs}.instanceFile(), err)
	}
	c := &Containerd{opts: rec.Options, lay: layout{dir: rec.Options.Dir}, pid: rec.PID}
	c.endpoint = c.Endpoint
	return c, nil
}

func (c *Containerd) alive() bool {
	if c.exited != nil {
		select {
		case <-c.exited:
			return false
		default:
			return true
		}
	}
	return processIsContainerd(c.pid, c.lay.socket())
}

func (c *Containerd) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	var last error
	for {
		if !c.alive() {
			return fmt.Errorf("harness: containerd exited during start-up: %s", tail(c.lay.logFile(), 15))
		}
		if _, err := os.Stat(c.lay.socket()); err == nil {
			rt, err := c.RuntimeService()
			if err == nil {
				cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
				_, err = rt.Version(cctx, &runtimeapi.VersionRequest{})
				ccancel()
				if err == nil {
					return nil
				}
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: containerd CRI not ready after %s (last error: %v): %s", c.opts.StartTimeout, last, tail(c.lay.logFile(), 15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Dir is the instance directory.
func (c *Containerd) Dir() string { return c.opts.Dir }

// Address is the containerd socket path.
func (c *Containerd) Address() string { return c.lay.socket() }

// Endpoint is the CRI endpoint, unix:///…/containerd.sock.
func (c *Containerd) Endpoint() string { return "unix://" + c.lay.socket() }

// PID is the containerd process.
func (c *Containerd) PID() int { return c.pid }

// Options returns the completed options of this instance.
func (c *Containerd) Options() Options { return c.opts }

// LogFile is containerd's log.
func (c *Containerd) LogFile() string { return c.lay.logFile() }

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "log tail:\n" + strings.Join(lines, "\n")
}

// begin registers a launch; it fails once Stop has begun.
func (c *Containerd) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return errors.New("harness: containerd is stopping")
	}
	c.inflight.Add(1)
	return nil
}

func (c *Containerd) end() { c.inflight.Done() }

// drain refuses new launches and waits (bounded) for those in flight.
func (c *Containerd) drain(timeout time.Duration) {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}
