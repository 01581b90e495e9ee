package scan

import (
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
// sandboxes, and the pid namespaces of its containers.
type known struct {
	pids  map[int]bool
	pidNS map[uint64]ContainerRef
}

func newKnown() *known {
	return &known{pids: map[int]bool{}, pidNS: map[uint64]ContainerRef{}}
}

func (k *known) add(ref ContainerRef, procs []*probes.Process) {
	for _, p := range procs {
		k.pids[p.PID] = true
		if ns, ok := p.Namespaces[probes.NSPID]; ok {
			if _, seen := k.pidNS[ns]; !seen {
				k.pidNS[ns] = ref
			}
		}
	}
}

// hideout is a group of processes sharing a pid namespace (else a network
// namespace) that is not the host's and that no CRI container accounts for.
type hideout struct {
	key   string
	procs []*probes.Process
}

// hideouts finds the processes that live in a pid or network namespace of
// their own but belong to no container the CRI knows: an unshare or nsenter
// hideout, a container of another containerd namespace, moby or buildkit.
// Mount, UTS and cgroup namespaces alone are not enough: systemd gives many
// services a private mount or UTS namespace. Processes that vanish are
// skipped.
func (s *Scanner) hideouts(k *known, host probes.Namespaces) ([]hideout, error) {
	pids, err := s.fs.PIDs()
	if err != nil {
		return nil, err
	}
	groups := map[string]*hideout{}
	for _, pid := range pids {
		if k.pids[pid] {
			continue
		}
		p, err := s.fs.Probe(pid)
		if errors.Is(err, probes.ErrGone) {
			continue
		}
		if err != nil {
			s.log.Debug("hideout scan: skipping a process", "pid", pid, "err", err)
			continue
		}
		key := groupKey(p, host)
		if key == "" {
			continue
		}
		g := groups[key]
		if g == nil {
			g = &hideout{key: key}
			groups[key] = g
		}
		g.procs = append(g.procs, p)
	}
	out := make([]hideout, 0, len(groups))
	for _, g := range groups {
		slices.SortFunc(g.procs, func(a, b *probes.Process) int { return int(a.StartTime) - int(b.StartTime) })
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b hideout) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// groupKey names the namespace that sets p apart from the host: its pid
// namespace, else its network namespace; "" when it has neither.
func groupKey(p *probes.Process, host probes.Namespaces) string {
	switch {
	case !p.IsHost(host, probes.NSPID):
		return fmt.Sprintf("pid:%d", p.Namespaces[probes.NSPID])
	case !p.IsHost(host, probes.NSNet):
		return fmt.Sprintf("net:%d", p.Namespaces[probes.NSNet])
	}
	return ""
}

// finding turns a hideout into an undeclared-container finding on its
// oldest process, naming the CRI container whose namespaces it entered
// when there is one.
func (h hideout) finding(k *known, task ContainerRef, isTask bool) checks.Finding {
	first := h.procs[0]
	ref, inside := k.pidNS[first.Namespaces[probes.NSPID]]
	names := make([]string, 0, len(h.procs))
	for _, p := range h.procs {
		names = append(names, fmt.Sprintf("%s(%d)", p.Comm, p.PID))
	}
	f := checks.Finding{
		Check: "undeclared-container", Severity: checks.High, Layer: checks.LayerProcess,
		PID: first.PID, Field: "namespaces", Expected: "a container the CRI knows", Actual: h.key,
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
		f.Message = fmt.Sprintf("process(es) %s live in %s, not the host's, and belong to no container the CRI knows (unshare? another runtime?)", procs, h.key)
	}
	return f
}

// searchHideouts adds an undeclared-container finding for every container
// and process group the CRI cannot see.
func (s *Scanner) searchHideouts(ctx context.Context, r *Report, snap *runtime.Snapshot, k *known, host probes.Namespaces) error {
	for _, sb := range snap.Sandboxes {
		if sb.PID > 0 {
			k.addPIDs(s.fs, sb.PID)
		}
	}
	named := map[string]ContainerRef{}
	if info := snap.Runtime; info.Name == "containerd" && info.Socket != "" {
		tasks, err := foreignTasks(ctx, info.Socket, s.opts.Runtime.Timeout)
		if err != nil {
			s.log.Warn("cannot list containers outside the CRI namespace", "err", err)
		}
		for _, t := range tasks {
			p, err := s.fs.Probe(t.pid)
			if err != nil {
				continue // gone, or unreadable: the hideout search below still sees it
			}
			if p.IsHost(host, probes.NSPID) && p.IsHost(host, probes.NSNet) {
				r.Findings = append(r.Findings, hideout{key: "host namespaces", procs: []*probes.Process{p}}.finding(k, t.ref, true))
				k.addPIDs(s.fs, t.pid)
				continue
			}
			named[groupKey(p, host)] = t.ref
		}
	}
	groups, err := s.hideouts(k, host)
	if err != nil {
		return fmt.Errorf("searching for hidden processes: %w", err)
	}
	for _, g := range groups {
		ref, isTask := named[g.key]
		r.Findings = append(r.Findings, g.finding(k, ref, isTask))
	}
	return nil
}

// addPIDs marks the processes of the container whose init is pid as known.
func (k *known) addPIDs(fs probes.FS, pid int) {
	k.pids[pid] = true
	pids, _ := fs.ContainerPIDs(pid)
	for _, p := range pids {
		k.pids[p] = true
	}
}
