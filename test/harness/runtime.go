package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Runtime is what a caller that runs its own pods (test/cluster's
// kubelet) needs of a lab's CRI runtime, whichever it is: a private
// containerd (StartContainerd) or CRI-O (StartCRIO).
type Runtime interface {
	// Name is RuntimeContainerd or RuntimeCRIO.
	Name() string
	// Dir is the instance directory (Attach, AttachCRIO).
	Dir() string
	// Endpoint is the CRI endpoint, unix:///….
	Endpoint() string
	// PID is the daemon's process.
	PID() int
	// Bridge is the CNI bridge of the instance's pod network.
	Bridge() string
	RuntimeService() (runtimeapi.RuntimeServiceClient, error)
	ImageService() (runtimeapi.ImageServiceClient, error)
	// ExecAs starts cmd in a running container as uid:gid, with the
	// container's own process settings otherwise (what a tenant with the
	// runtime's exec rights gets), and returns its host PID once it runs
	// cmd. The CRI cannot choose the user of an exec: each lab speaks its
	// runtime's own API.
	ExecAs(ctx context.Context, id string, uid, gid uint32, cmd ...string) (int, error)
	// Stop removes every pod and stops the daemon (idempotent).
	Stop() error
}

// The names of the runtimes a Runtime can be.
const (
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "crio"
)

var (
	_ Runtime = (*Containerd)(nil)
	_ Runtime = (*CRIO)(nil)
)

// AttachRuntime returns a handle on the runtime instance recorded in dir
// by StartContainerd or StartCRIO.
func AttachRuntime(name, dir string) (Runtime, error) {
	switch name {
	case RuntimeContainerd, "":
		return Attach(dir)
	case RuntimeCRIO:
		return AttachCRIO(dir)
	}
	return nil, fmt.Errorf("harness: unknown runtime %q (want %s or %s)", name, RuntimeContainerd, RuntimeCRIO)
}

// Name is RuntimeContainerd.
func (c *Containerd) Name() string { return RuntimeContainerd }

// Bridge is the instance's CNI bridge.
func (c *Containerd) Bridge() string { return c.opts.Bridge }

// ExecAs runs cmd in container id through containerd's task API.
func (c *Containerd) ExecAs(ctx context.Context, id string, uid, gid uint32, cmd ...string) (int, error) {
	l, err := NewLauncher(c)
	if err != nil {
		return 0, err
	}
	return l.ExecAs(ctx, id, uid, gid, cmd...)
}

// Name is RuntimeCRIO.
func (c *CRIO) Name() string { return RuntimeCRIO }

// Bridge is the instance's CNI bridge.
func (c *CRIO) Bridge() string { return c.opts.Bridge }

// ExecAs runs cmd in container id with its OCI runtime's own exec (CRI-O
// has no API for an exec's user), detached, through the lab's wrapper on
// the handler's state root that holds the container. The process is the
// container's own process spec, as CRI-O reports it, with cmd, uid:gid and
// no supplementary groups (what containerd's ExecAs does): its
// capabilities, seccomp filter and no_new_privs, as a CRI exec would get.
func (c *CRIO) ExecAs(ctx context.Context, id string, uid, gid uint32, cmd ...string) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("harness: exec in %s: empty command", id)
	}
	h, root := "", ""
	for _, handler := range []string{"crun", "runc"} {
		if _, err := os.Stat(filepath.Join(c.lay.runtimeRoot(handler), id)); err == nil {
			h, root = handler, c.lay.runtimeRoot(handler)
		}
	}
	if h == "" {
		return 0, errors.New("harness: container " + id + " is in neither runtime root of the CRI-O lab")
	}
	proc, err := c.execProcess(ctx, id, uid, gid, cmd)
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(c.opts.Dir, "exec-")
	if err != nil {
		return 0, fmt.Errorf("harness: %w", err)
	}
	defer os.RemoveAll(tmp)
	procFile, pidFile := filepath.Join(tmp, "process.json"), filepath.Join(tmp, "pid")
	if err := os.WriteFile(procFile, proc, 0o600); err != nil {
		return 0, fmt.Errorf("harness: %w", err)
	}
	// The detached process inherits the runtime's stdio: a file, not a
	// pipe, or the wait for the runtime would last as long as it.
	logf, err := os.Create(filepath.Join(tmp, "log"))
	if err != nil {
		return 0, fmt.Errorf("harness: %w", err)
	}
	defer logf.Close()
	run := exec.CommandContext(ctx, c.lay.wrapper(h), "--root", root, "exec", "--detach", "--process", procFile, "--pid-file", pidFile, id)
	run.Stdout, run.Stderr = logf, logf
	if err := run.Run(); err != nil {
		out, _ := os.ReadFile(logf.Name())
		return 0, fmt.Errorf("harness: %s exec in %s: %v: %s", h, id, err, strings.TrimSpace(string(out)))
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, fmt.Errorf("harness: %s exec in %s: %w", h, id, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("harness: %s exec in %s: pid file %q", h, id, data)
	}
	waitExecve(ctx, pid, cmd[0])
	return pid, nil
}

// execProcess is the OCI process of an exec in container id: the
// container's own (CRI-O's verbose status, runtimeSpec.process) with cmd,
// no terminal, uid:gid, no supplementary groups and no negative
// oom_score_adj.
func (c *CRIO) execProcess(ctx context.Context, id string, uid, gid uint32, cmd []string) ([]byte, error) {
	rt, err := c.RuntimeService()
	if err != nil {
		return nil, err
	}
	st, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		return nil, fmt.Errorf("harness: status of %s: %w", id, err)
	}
	var info struct {
		Spec struct {
			Process map[string]any `json:"process"`
		} `json:"runtimeSpec"`
	}
	if err := json.Unmarshal([]byte(st.Info["info"]), &info); err != nil || info.Spec.Process == nil {
		return nil, fmt.Errorf("harness: no process spec in the status of %s (%v)", id, err)
	}
	p := info.Spec.Process
	p["args"], p["terminal"] = cmd, false
	delete(p, "consoleSize")
	p["user"] = map[string]any{"uid": uid, "gid": gid}
	if adj, ok := p["oomScoreAdj"].(float64); ok && adj < 0 {
		p["oomScoreAdj"] = 0 // lowering it is denied here (the wrapper does the same on create)
	}
	return json.Marshal(p)
}
