package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/probes"
)

// known is what the CRI accounts for: the processes of its containers and
// sandboxes, the namespaces of its containers and sandboxes by key
// ("pid:N", "net:N"), and the IDs of the CRI objects whose processes were
// not audited (sandboxes; containers gone, unreadable or not running),
// which own the processes in the cgroups named after them.
type known struct {
	pids     map[int]bool
	ns       map[string]ContainerRef
	unjudged map[string]bool
}

func newKnown() *known {
	return &known{pids: map[int]bool{}, ns: map[string]ContainerRef{}, unjudged: map[string]bool{}}
}

// ownedByCRI reports whether p runs in the cgroup of a CRI object whose
// processes were not audited: a container the runtime could not describe,
// or that exited or was reused mid-scan, is never evidence of a hidden
// one. (A process in the cgroup of an audited container but outside its
// pid namespace stays suspect.)
func (k *known) ownedByCRI(p *probes.Process) bool {
	for _, cg := range p.Cgroups {
		if k.unjudged[cgroupID(cg.Path)] {
			return true
		}
	}
	return false
}

// cgroupID is the CRI object ID a cgroup path names in its last element:
// cgroupfs ".../<id>", systemd "cri-containerd-<id>.scope",
// "crio-<id>.scope", "crio-conmon-<id>.scope".
func cgroupID(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	base = strings.TrimSuffix(base, ".scope")
	for _, prefix := range []string{"cri-containerd-", "crio-conmon-", "crio-", "docker-"} {
		if rest, ok := strings.CutPrefix(base, prefix); ok {
			return rest
		}
	}
	return base
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

// hideouts finds the processes that live in a pid or network namespace of
// their own but belong to no container the CRI knows: an unshare or nsenter
// hideout, a container of another containerd namespace, moby or buildkit.
// Mount, UTS and cgroup namespaces alone are not enough: systemd gives many
// services a private mount or UTS namespace. Processes sharing such a
// namespace form one hideout. Processes that vanish are skipped.
func (s *pass) hideouts() ([]hideout, error) {
	k, host := s.k, s.host
	listing, err := s.sess.Listing()
	if err != nil {
		return nil, err
	}
	var cands []*probes.Process
	for _, l := range listing {
		if k.pids[l.PID] {
			continue
		}
		// Most processes are the host's: the pid and network namespaces
		// the listing read decide it.
		if l.Namespaces != nil && len(foreignNS(&probes.Process{Namespaces: l.Namespaces}, host)) == 0 {
			continue
		}
		p, err := s.sess.Probe(l.PID)
		if errors.Is(err, probes.ErrGone) {
			continue
		}
		if err != nil {
			s.log.Debug("hideout search: skipping a process", "pid", l.PID, "err", err)
			continue
		}
		if k.ownedByCRI(p) {
			continue
		}
		if subj := s.containerOf(p); subj != nil {
			// The container's, though outside its pid namespace or
			// started after the listing: judged with it, unless still in
			// the runtime's init stage (an exec under way), as processes
			// does.
			if !strings.HasPrefix(p.Comm, "runc:[") {
				subj.Processes = append(subj.Processes, p)
				s.nestedIn[subj] = true
			}
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

// finding turns a hideout into an undeclared-container finding, naming the
// CRI container whose namespaces it entered when there is one, else the
// task of another containerd namespace it belongs to (task non-nil), else
// the runtime container that made it (made non-nil).
func (h hideout) finding(k *known, task *ContainerRef, made *checks.RuntimeOwner) checks.Finding {
	g := checks.HiddenGroup{Namespaces: h.keys, Processes: h.procs, Task: owner(task)}
	if task == nil {
		g.Made = made
	}
	for _, key := range h.keys {
		if ref, inside := k.ns[key]; inside {
			g.Entered, g.Task, g.Made = owner(&ref), nil, nil
			break
		}
	}
	return checks.UndeclaredGroup(g)
}

func owner(r *ContainerRef) *checks.Owner {
	if r == nil {
		return nil
	}
	return &checks.Owner{ID: r.ID, Namespace: r.Namespace, Pod: r.Pod, Container: r.Container}
}

// searchHideouts adds an undeclared-container finding for every container
// and process group the CRI cannot see.
func (s *pass) searchHideouts(ctx context.Context, snap *cri.Snapshot) error {
	r, k, host := s.r, s.k, s.host
	for _, id := range snap.Others {
		k.unjudged[id] = true
	}
	for _, sb := range snap.Sandboxes {
		k.unjudged[sb.ID] = true
		if sb.PID > 0 {
			s.addSandbox(sb)
		}
	}
	named := map[string]ContainerRef{}
	tasks, err := s.rt.OtherTasks(ctx)
	if err != nil {
		s.log.Warn("cannot list containers outside the CRI namespace", "err", err)
	}
	for _, t := range tasks {
		ref := ContainerRef{ID: t.ID, Namespace: t.Namespace, Container: t.ID}
		p, err := s.sess.Probe(t.PID)
		if err != nil {
			continue // gone, or unreadable: the hideout search below still sees it
		}
		if p.IsHost(host, probes.NSPID) && p.IsHost(host, probes.NSNet) {
			r.Findings = append(r.Findings, hideout{keys: []string{"host namespaces"}, procs: []*probes.Process{p}}.finding(k, &ref, nil))
			k.addPIDs(s.sess, p)
			continue
		}
		for _, key := range foreignNS(p, host) {
			named[key] = ref
		}
	}
	groups, err := s.hideouts()
	if err != nil {
		return fmt.Errorf("searching for hidden processes: %w", err)
	}
	s.judgeNested()
	if len(groups) > 0 {
		groups = s.settle(ctx, s.createdMeanwhile(ctx, groups))
	}
	for _, g := range groups {
		var task *ContainerRef
		for _, key := range g.keys {
			if ref, ok := named[key]; ok {
				task = &ref
				break
			}
		}
		var made *checks.RuntimeOwner
		if task == nil {
			made = s.ownerOf(g)
		}
		r.Findings = append(r.Findings, g.finding(k, task, made))
	}
	return nil
}

// addSandbox marks the processes of a sandbox (its pause process, when it
// has one) as known, and its pid and network namespaces as the pod's. Of
// the sandbox's process only the cgroup is read: its namespaces are the
// session's listing's.
func (s *pass) addSandbox(sb cri.Sandbox) {
	k := s.k
	k.pids[sb.PID] = true
	listing, err := s.sess.Listing()
	if err != nil {
		return
	}
	i, found := slices.BinarySearchFunc(listing, sb.PID, func(l probes.Listed, pid int) int { return cmp.Compare(l.PID, pid) })
	if !found || listing[i].Namespaces == nil {
		return // gone, or unreadable
	}
	cgroups, err := s.fs.Cgroups(sb.PID)
	if err != nil {
		return
	}
	p := &probes.Process{PID: sb.PID, Namespaces: listing[i].Namespaces, Cgroups: cgroups}
	k.addPIDs(s.sess, p)
	if inContainerCgroup(p, sb.ID) {
		k.add(ContainerRef{ID: sb.ID, Namespace: sb.Pod.Namespace, Pod: sb.Pod.Name}, []*probes.Process{p})
	}
}

// addPIDs marks the processes of the container p belongs to as known.
func (k *known) addPIDs(sess *probes.Session, p *probes.Process) {
	k.pids[p.PID] = true
	pids, _ := sess.ContainerPIDsOf(p)
	for _, q := range pids {
		k.pids[q] = true
	}
}

// creating reports a runtime's init stage ("runc:[2:INIT]") in a cgroup
// named after a container ID: a container being created, which containerd's
// CRI lists only once its task exists. The name alone would prove nothing
// (a process chooses it); a fresh cgroup named like a container ID takes
// the host's root.
func creating(p *probes.Process) bool {
	return strings.HasPrefix(p.Comm, "runc:[") && inIDCgroup(p)
}

// createdMeanwhile drops the processes of groups that belong to sandboxes
// and containers the runtime created after the snapshot (a pod starting
// during the scan: its runtime init and pause process are in cgroups named
// after IDs the snapshot did not have), and the groups left empty. Only a
// fresh listing of IDs tells; a process's name, which it chooses, never
// does.
func (s *pass) createdMeanwhile(ctx context.Context, groups []hideout) []hideout {
	ids, err := s.rt.ListIDs(ctx)
	if err != nil {
		s.log.Debug("cannot list the runtime's IDs again", "err", err)
		return groups
	}
	// An audited container is not new: its processes were found by its
	// pid namespace and cgroups, so one in only some of its cgroups was put
	// there from outside, not by the runtime.
	audited := make(map[string]bool, len(s.subjects))
	for _, subj := range s.subjects {
		audited[subj.ContainerID] = true
	}
	for id := range ids {
		if !audited[id] {
			s.k.unjudged[id] = true
		}
	}
	out := groups[:0]
	for _, g := range groups {
		g.procs = slices.DeleteFunc(g.procs, func(p *probes.Process) bool { return s.k.ownedByCRI(p) || creating(p) || s.newborn(p) })
		if len(g.procs) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// containerOf is the audited container p belongs to although it is not in
// the container's pid namespace: a process in the container's cgroups
// that made a pid namespace of its own below the container's (unshare
// --pid, a sandbox). It is the container's, to be judged with it, not a
// hidden one nor one that entered from outside.
func (s *pass) containerOf(p *probes.Process) *checks.Subject {
	for _, subj := range s.subjects {
		for _, q := range subj.Processes {
			if q != nil && q.PID == subj.InitPID {
				if p.WithinCgroupsOf(q) {
					return subj
				}
				break
			}
		}
	}
	return nil
}

// judgeNested judges again the containers the hidden-process search found
// processes of in nested namespaces, with those processes: their findings
// replace the container's.
func (s *pass) judgeNested() {
	r := s.r
	for subj := range s.nestedIn {
		r.Findings = slices.DeleteFunc(r.Findings, func(f checks.Finding) bool { return f.ContainerID == subj.ContainerID })
		r.Findings = append(r.Findings, checks.Evaluate(subj)...)
		for i := range r.Containers {
			if r.Containers[i].ID == subj.ContainerID {
				r.Containers[i].Processes = len(subj.Processes)
			}
		}
	}
}
