package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/runtime"
	"github.com/rtaudit/rtaudit/probes"
)

// known is what the CRI accounts for: the processes of its containers and
// sandboxes, and the namespaces of its containers by key ("pid:N", "net:N").
type known struct {
	pids map[int]bool
	ns   map[string]ContainerRef
}

func newKnown() *known {
	return &known{pids: map[int]bool{}, ns: map[string]ContainerRef{}}
}

func (k *known) add(ref ContainerRef, procs []*probes.Process) {
	for _, p := range procs {
		k.pids[p.PID] = true
		for _, kind := range []probes.NSKind{probes.NSPID, probes.NSNet} {
			if ino, ok := p.Namespaces[kind]; ok {
				if key := nsKey(kind, ino); k.ns[key] == (ContainerRef{}) {
					k.ns[key] = ref
				}
			}
		}
	}
}

func nsKey(kind probes.NSKind, ino uint64) string { return fmt.Sprintf("%s:%d", kind, ino) }

// hideout is a set of processes the CRI does not account for, joined by the
// non-host pid and network namespaces they share.
type hideout struct {
	keys  []string // the non-host namespaces, sorted ("net:N", "pid:N")
	procs []*probes.Process
}

// label names the hideout by its pid namespace, else its network one.
func (h hideout) label() string {
	for _, k := range h.keys {
		if strings.HasPrefix(k, "pid:") {
			return k
		}
	}
	return h.keys[0]
}

// hideouts finds the processes that live in a pid or network namespace of
// their own but belong to no container the CRI knows: an unshare or nsenter
// hideout, a container of another containerd namespace, moby or buildkit.
// Mount, UTS and cgroup namespaces alone are not enough: systemd gives many
// services a private mount or UTS namespace. Processes sharing such a
// namespace form one hideout. Processes that vanish are skipped.
func (s *pass) hideouts() ([]hideout, error) {
	k, host := s.k, s.host
	pids, err := s.fs.PIDs()
	if err != nil {
		return nil, err
	}
	var cands []*probes.Process
	for _, pid := range pids {
		if k.pids[pid] {
			continue
		}
		// Most processes are the host's: read their namespaces only.
		ns, err := s.fs.Namespaces(pid)
		if err == nil && len(foreignNS(&probes.Process{Namespaces: ns}, host)) == 0 {
			continue
		}
		p, err := s.sess.Probe(pid)
		if errors.Is(err, probes.ErrGone) {
			continue
		}
		if err != nil {
			s.log.Debug("hideout search: skipping a process", "pid", pid, "err", err)
			continue
		}
		cands = append(cands, p)
	}
	return groupHideouts(cands, host), nil
}

// groupHideouts joins the processes that live in a pid or network
// namespace not the host's into hideouts: processes sharing any such
// namespace are one hideout (union-find over the namespace keys). A
// systemd service's private network namespace alone is not a hideout.
func groupHideouts(procs []*probes.Process, host probes.Namespaces) []hideout {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == x {
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	var cands []*probes.Process
	for _, p := range procs {
		keys := foreignNS(p, host)
		if len(keys) == 0 || (p.IsHost(host, probes.NSPID) && systemdService(p)) {
			continue
		}
		for _, key := range keys {
			if _, ok := parent[key]; !ok {
				parent[key] = key
			}
		}
		parent[find(keys[0])] = find(keys[len(keys)-1])
		cands = append(cands, p)
	}
	groups := map[string]*hideout{}
	for _, p := range cands {
		keys := foreignNS(p, host)
		root := find(keys[0])
		g := groups[root]
		if g == nil {
			g = &hideout{}
			groups[root] = g
		}
		g.procs = append(g.procs, p)
		for _, key := range keys {
			if !slices.Contains(g.keys, key) {
				g.keys = append(g.keys, key)
			}
		}
	}
	out := make([]hideout, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.keys)
		slices.SortFunc(g.procs, func(a, b *probes.Process) int {
			return cmp.Or(cmp.Compare(a.StartTime, b.StartTime), cmp.Compare(a.PID, b.PID))
		})
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b hideout) int { return cmp.Compare(a.procs[0].PID, b.procs[0].PID) })
	return out
}

// systemdService reports whether p runs in a systemd service's cgroup:
// PrivateNetwork= gives such services a network namespace of their own,
// which is not a hideout. (A pid namespace of its own still is.)
func systemdService(p *probes.Process) bool {
	for _, cg := range p.Cgroups {
		if strings.HasSuffix(cg.Path, ".service") {
			return true
		}
	}
	return false
}

// foreignNS are the keys of p's pid and network namespaces that are not the
// host's.
func foreignNS(p *probes.Process, host probes.Namespaces) []string {
	var keys []string
	for _, kind := range []probes.NSKind{probes.NSNet, probes.NSPID} {
		if !p.IsHost(host, kind) {
			keys = append(keys, nsKey(kind, p.Namespaces[kind]))
		}
	}
	return keys
}

// finding turns a hideout into an undeclared-container finding on its
// oldest process, naming the CRI container whose namespaces it entered
// when there is one.
func (h hideout) finding(k *known, task ContainerRef, isTask bool) checks.Finding {
	first := h.procs[0]
	var ref ContainerRef
	inside := false
	for _, key := range h.keys {
		if ref, inside = k.ns[key]; inside {
			break
		}
	}
	names := make([]string, 0, len(h.procs))
	for _, p := range h.procs {
		names = append(names, fmt.Sprintf("%s(%d)", p.Comm, p.PID))
	}
	f := checks.Finding{
		Check: "undeclared-container", Severity: checks.High, Layer: checks.LayerProcess,
		PID: first.PID, Field: "namespaces", Expected: "a container the CRI knows", Actual: strings.Join(h.keys, ","),
	}
	procs := strings.Join(names, ", ")
	switch {
	case inside:
		f.Namespace, f.Pod, f.Container, f.ContainerID = ref.Namespace, ref.Pod, ref.Container, ref.ID
		f.Message = fmt.Sprintf("process(es) %s entered the namespaces of this container but not its cgroup: started behind the runtime's back (nsenter?)", procs)
	case isTask:
		f.Namespace, f.Container, f.ContainerID = task.Namespace, task.Container, task.ID
		f.Message = fmt.Sprintf("container %s of containerd namespace %q, invisible to the CRI and the kubelet: process(es) %s", task.ID, strings.TrimPrefix(task.Namespace, "containerd:"), procs)
	default:
		f.Message = fmt.Sprintf("process(es) %s live in %s, not the host's, and belong to no container the CRI knows (unshare? another runtime?)", procs, h.label())
	}
	return f
}

// searchHideouts adds an undeclared-container finding for every container
// and process group the CRI cannot see.
func (s *pass) searchHideouts(ctx context.Context, snap *runtime.Snapshot) error {
	r, k, host := s.r, s.k, s.host
	for _, sb := range snap.Sandboxes {
		if sb.PID > 0 {
			k.addPIDs(s.sess, sb.PID)
		}
	}
	named := map[string]ContainerRef{}
	if info := snap.Runtime; info.Name == "containerd" && info.Socket != "" {
		tasks, err := foreignTasks(ctx, info.Socket, s.opts.Runtime.Timeout)
		if err != nil {
			s.log.Warn("cannot list containers outside the CRI namespace", "err", err)
		}
		for _, t := range tasks {
			p, err := s.sess.Probe(t.pid)
			if err != nil {
				continue // gone, or unreadable: the hideout search below still sees it
			}
			if p.IsHost(host, probes.NSPID) && p.IsHost(host, probes.NSNet) {
				r.Findings = append(r.Findings, hideout{keys: []string{"host namespaces"}, procs: []*probes.Process{p}}.finding(k, t.ref, true))
				k.addPIDs(s.sess, t.pid)
				continue
			}
			for _, key := range foreignNS(p, host) {
				named[key] = t.ref
			}
		}
	}
	groups, err := s.hideouts()
	if err != nil {
		return fmt.Errorf("searching for hidden processes: %w", err)
	}
	for _, g := range groups {
		var ref ContainerRef
		isTask := false
		for _, key := range g.keys {
			if ref, isTask = named[key]; isTask {
				break
			}
		}
		r.Findings = append(r.Findings, g.finding(k, ref, isTask))
	}
	return nil
}

// addPIDs marks the processes of the container whose init is pid as known.
func (k *known) addPIDs(sess *probes.Session, pid int) {
	k.pids[pid] = true
	pids, _ := sess.ContainerPIDs(pid)
	for _, p := range pids {
		k.pids[p] = true
	}
}
