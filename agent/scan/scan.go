package scan

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/internal/parallel"
	"github.com/rtaudit/rtaudit/probes"
)

// Options configure a Scanner.
type Options struct {
	Runtime  cri.DialOptions
	ProcRoot string // "" means /proc
	// Declared is where pod specs come from; nil judges every container
	// against its own CRI config (declaredFrom "cri").
	Declared declared.Source
	// All audits exited containers too (their CRI and OCI layers).
	All bool
	// Capabilities replaces the runtime's documented default capability set,
	// for a deliberately customised runtime; nil keeps the documented one.
	Capabilities []string
	// SeccompDefault says the kubelet runs with seccompDefault: true.
	SeccompDefault bool
	Node           string // "" means declared.NodeName("")
	Filter         Filter
	// NoHideouts skips the search for processes and containers the CRI
	// cannot see (other containerd namespaces, unshare/nsenter hideouts).
	// A filtered scan never searches.
	NoHideouts bool
	// Network configures the network-policy check (the policies, the
	// active probe).
	Network NetworkOptions
	// Encryption configures the encryption-at-rest check (control-plane
	// nodes).
	Encryption EncryptionOptions
	// Tokens configures the unused-token check (the agent's opt-in).
	Tokens TokenOptions
	// RuntimeRoots are the runc and crun state roots (glob patterns) the
	// hidden-process search reads to name who made a hidden container;
	// nil means DefaultRuntimeRoots. CRI-O's own root is found anyway.
	RuntimeRoots []string
	Logger       *slog.Logger
}

// Filter keeps the containers whose fields equal the non-empty ones and,
// when IDs is set, whose ID is one of them.
type Filter struct {
	Namespace, Pod, Container string
	IDs                       []string
}

func (f Filter) keep(c *cri.Container) bool {
	return (f.Namespace == "" || f.Namespace == c.Pod.Namespace) &&
		(f.Pod == "" || f.Pod == c.Pod.Name) &&
		(f.Container == "" || f.Container == c.Name) &&
		(len(f.IDs) == 0 || slices.Contains(f.IDs, c.ID))
}

// all reports whether f keeps every container.
func (f Filter) all() bool {
	return f.Namespace == "" && f.Pod == "" && f.Container == "" && len(f.IDs) == 0
}

// Runtime is the CRI side of a scan: *cri.Client on a node, a replayed
// capture in tests.
type Runtime interface {
	Info() cri.Info
	// Snapshot lists sandboxes and containers with their verbose status.
	Snapshot(ctx context.Context, opts cri.ListOptions) (*cri.Snapshot, error)
	// OtherTasks lists running containers the runtime holds outside the
	// CRI (containerd's other namespaces); nil when it has none.
	OtherTasks(ctx context.Context) ([]cri.Task, error)
	// ListIDs lists every sandbox and container ID, statuses unread.
	ListIDs(ctx context.Context) (map[string]bool, error)
}

// Scanner holds a runtime and a proc reader across scans.
type Scanner struct {
	opts  Options
	rt    Runtime
	fs    probes.FS
	log   *slog.Logger
	close func() error
}

// New connects to the runtime o.Runtime names and opens o.ProcRoot.
func New(ctx context.Context, o Options) (*Scanner, error) {
	fs, err := probes.OpenLive(o.ProcRoot)
	if err != nil {
		return nil, err
	}
	if o.Runtime.Timeout <= 0 {
		o.Runtime.Timeout = cri.DefaultTimeout
	}
	o.Runtime.Logger = o.Logger
	client, err := cri.Dial(ctx, o.Runtime)
	if err != nil {
		return nil, err
	}
	s := NewScanner(client, fs, o)
	s.close = client.Close
	return s, nil
}

// NewScanner audits what rt lists against the kernel fs reads (a fixture
// tree in tests). o.Runtime and o.ProcRoot are not used.
func NewScanner(rt Runtime, fs probes.FS, o Options) *Scanner {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Node = declared.NodeName(o.Node)
	return &Scanner{opts: o, rt: rt, fs: fs, log: o.Logger, close: func() error { return nil }}
}

// SetDeclared changes the declared source for the scans that follow (the
// agent swaps in its pod informer once it has synced); nil judges every
// container against its own CRI config. Not safe during a Scan.
func (s *Scanner) SetDeclared(src declared.Source) { s.opts.Declared = src }

// Close releases the runtime connection New opened.
func (s *Scanner) Close() error { return s.close() }

// Runtime is the runtime the scanner talks to.
func (s *Scanner) Runtime() cri.Info { return s.rt.Info() }

// Run is New, Scan and Close in one call.
func Run(ctx context.Context, o Options) (*Report, error) {
	s, err := New(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Scan(ctx)
}

// Scan audits every container the runtime lists (filtered) and returns the
// report. A container that vanishes mid-scan is listed as gone; one that
// cannot be read is listed as an error; neither sinks the scan.
func (s *Scanner) Scan(ctx context.Context) (*Report, error) {
	p, err := s.run(ctx, s.opts.Filter)
	if err != nil {
		return nil, err
	}
	return p.r, nil
}

// ScanFiltered audits only the containers f keeps (no search for hidden
// processes): the agent's audit of the containers that just started. It
// also returns the IDs of every container the runtime listed as running,
// kept or not.
func (s *Scanner) ScanFiltered(ctx context.Context, f Filter) (*Report, map[string]bool, error) {
	p, err := s.run(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	return p.r, p.running, nil
}

// run is one scan of the containers f keeps; the pass keeps what was
// judged (Explain returns it).
func (s *Scanner) run(ctx context.Context, f Filter) (*pass, error) {
	listedAt, _ := s.fs.Uptime() // 0 (unknown) on a tree without uptime
	snap, err := s.rt.Snapshot(ctx, cri.ListOptions{All: s.opts.All})
	if err != nil {
		return nil, err
	}
	host, err := s.fs.HostNamespaces()
	if err != nil {
		return nil, fmt.Errorf("reading the host's namespaces (PID 1 of %s): %w", s.fs.Root(), err)
	}
	defaults, err := s.defaults(snap.Runtime)
	if err != nil {
		return nil, err
	}
	r := &Report{
		APIVersion: APIVersion, Kind: KindReport, Node: s.opts.Node,
		Runtime:    RuntimeInfo{Name: snap.Runtime.Name, Version: snap.Runtime.Version, Endpoint: snap.Runtime.Endpoint},
		Containers: []ContainerSummary{}, Findings: []checks.Finding{},
	}
	sandboxes := make(map[string]*cri.Sandbox, len(snap.Sandboxes))
	for i := range snap.Sandboxes {
		sandboxes[snap.Sandboxes[i].ID] = &snap.Sandboxes[i]
	}
	p := &pass{Scanner: s, sess: s.fs.NewSession(), r: r, k: newKnown(), host: host, defaults: defaults, hostPaths: map[string]bool{}, nestedIn: map[*checks.Subject]bool{}, pods: map[string]*corev1.Pod{}, listedAt: listedAt, running: map[string]bool{}}
	if _, root, err := s.fs.Mounts(1); err == nil {
		p.hostRoot = root
	} else {
		s.log.Warn("cannot read the host's root mount: host-mounts will not judge host filesystem mounts", "err", err)
	}
	var ctrs []*cri.Container
	for i := range snap.Containers {
		if snap.Containers[i].State == "running" {
			p.running[snap.Containers[i].ID] = true
		}
		if c := &snap.Containers[i]; f.keep(c) {
			ctrs = append(ctrs, c)
		}
	}
	// Probing is mostly the kernel generating proc files: on 2 cores with
	// 110 pods the audits took 78–85 ms on one goroutine, 56–64 ms on two.
	// The report is recorded in the snapshot's order.
	audits := make([]audited, len(ctrs))
	parallel.ForEach(len(ctrs), runtime.GOMAXPROCS(0), func(i int) {
		audits[i] = p.collect(ctrs[i], sandboxes[ctrs[i].SandboxID])
	})
	for _, a := range audits {
		p.record(a)
	}
	p.exposeReaders()
	if len(f.IDs) == 0 {
		// Not in the agent's audits of a few containers: a pod's
		// policies and the node's API server are judged in a CLI scan
		// filtered on a namespace or pod too (what its user asked for).
		p.judgeNetworkPolicies(ctx)
		p.judgeEncryption(ctx)
	}
	p.judgeTokenUse(f)
	if f.all() {
		if !s.opts.NoHideouts {
			if err := p.searchHideouts(ctx, snap); err != nil {
				return nil, err
			}
			p.noteNewborns()
		}
	}
	p.judgePods(audits)
	checks.Sort(r.Findings)
	return p, nil
}

// pass is the state of one scan. Its Session caches what processes share
// (mountinfo of a mount namespace, the list of processes) for this scan
// only. Containers are collected concurrently (collect, hostPathsFor); the
// rest of a pass runs on one goroutine.
type pass struct {
	// subjects are the audited containers, as judged; nestedIn those the
	// hidden-process search found processes of nested namespaces in.
	subjects []*checks.Subject
	nestedIn map[*checks.Subject]bool
	// pods are the declared pods of the audited containers, by ID.
	pods map[string]*corev1.Pod
	*Scanner
	sess     *probes.Session
	r        *Report
	k        *known
	host     probes.Namespaces
	defaults expect.RuntimeDefaults
	hostRoot probes.Mount
	// listedAt is the time since boot just before the runtime was listed
	// (0 when unknown): see newborn.
	listedAt time.Duration
	newborns int
	// running are the IDs of the containers the runtime listed running.
	running map[string]bool

	hostListen hostListeners      // read once, when a container needs it
	states     map[int]stateEntry // the runtimes' state roots, read once (hidden_owner.go)

	mu sync.Mutex // guards hostPaths
	// hostPaths caches which paths exist on the host (nil when the host's
	// root cannot be read: absence then proves nothing).
	hostPaths map[string]bool
}

// hostPathsFor says which of paths exist in the host's root (PID 1's root
// under the proc root), or returns nil when that cannot be read. Safe for
// concurrent use.
func (s *pass) hostPathsFor(paths []string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hostPaths == nil {
		return nil
	}
	root := filepath.Join(s.fs.Root(), "1", "root")
	if _, err := os.Stat(root); err != nil {
		s.log.Debug("cannot read the host's root: missing masks are not judged", "err", err)
		s.hostPaths = nil
		return nil
	}
	out := make(map[string]bool, len(paths))
	for _, p := range paths {
		exists, seen := s.hostPaths[p]
		if !seen {
			_, err := os.Lstat(filepath.Join(root, p))
			exists = err == nil
			s.hostPaths[p] = exists
		}
		out[p] = exists
	}
	return out
}

// defaults are the runtime's documented defaults, with the kernel's full
// capability set and the operator's overrides.
func (s *Scanner) defaults(info cri.Info) (expect.RuntimeDefaults, error) {
	d := expect.DefaultsFor(info.Name, info.Version)
	all, err := s.fs.AllCaps()
	if err != nil {
		return d, fmt.Errorf("reading the kernel's capabilities: %w", err)
	}
	d.AllCaps = all
	if s.opts.Capabilities != nil {
		d.Capabilities = s.opts.Capabilities
		if _, unknown := d.DefaultCaps(); len(unknown) > 0 {
			return d, fmt.Errorf("unknown capability in the default set: %v", unknown)
		}
	}
	d.SeccompDefault = s.opts.SeccompDefault
	return d, nil
}
