package scan

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// errPIDReused means the PID the runtime reported now belongs to a process
// outside the container.
var errPIDReused = errors.New("pid no longer in the container's cgroup")

// audited is what auditing one container adds to the report: a summary
// and its findings, or why it was not audited (gone, or an error). Scan
// collects containers concurrently and records the results in the
// snapshot's order.
type audited struct {
	ref      ContainerRef
	summary  ContainerSummary
	findings []checks.Finding
	gone     bool
	err      string // why the container could not be audited; "" when it was
	// procs are the container's live processes (none when not audited).
	procs []*probes.Process
	// subj is what the checks judged, kept to judge again with processes
	// the hidden-process search finds nested below the container.
	subj *checks.Subject
	// pod is the declared pod spec of the container; nil when none.
	pod *corev1.Pod
}

// audit collects one container, evaluates it and records it in the report.
// It returns the container's live processes.
func (s *pass) audit(c *cri.Container, sb *cri.Sandbox) []*probes.Process {
	a := s.collect(c, sb)
	s.record(a)
	return a.procs
}

// record adds a to the report, and its processes and namespaces to what
// the CRI accounts for. Not safe for concurrent use.
func (s *pass) record(a audited) {
	r := s.r
	switch {
	case a.err != "":
		r.Errors = append(r.Errors, ContainerError{a.ref, a.err})
	case a.gone:
		r.Gone = append(r.Gone, a.ref)
	default:
		r.Containers = append(r.Containers, a.summary)
		r.Findings = append(r.Findings, a.findings...)
		s.subjects = append(s.subjects, a.subj)
		if a.pod != nil {
			s.pods[a.ref.ID] = a.pod
		}
	}
	s.k.add(a.ref, a.procs)
	if len(a.procs) == 0 {
		s.k.unjudged[a.ref.ID] = true
	}
}

// collect probes one container's processes and evaluates the checks on
// them. Safe for concurrent use.
func (s *pass) collect(c *cri.Container, sb *cri.Sandbox) audited {
	host, d := s.host, s.defaults
	a := audited{ref: ContainerRef{ID: c.ID, Namespace: c.Pod.Namespace, Pod: c.Pod.Name, Container: c.Name}}
	if c.StatusError != nil {
		a.err = c.StatusError.Error()
		return a
	}
	procs, bounding, err := s.processes(c)
	switch {
	case errors.Is(err, probes.ErrGone), errors.Is(err, errPIDReused):
		s.log.Debug("container gone mid-scan", "id", c.ID, "err", err)
		a.gone = true
		return a
	case err != nil:
		a.err = err.Error()
		return a
	}
	d.AllCaps &= bounding
	subj := &checks.Subject{
		Namespace: c.Pod.Namespace, Pod: c.Pod.Name, Container: c.Name, ContainerID: c.ID,
		CRI: c.Config, OCI: c.Spec, Processes: procs, InitPID: c.PID, Host: host, Defaults: d,
	}
	if sb != nil {
		subj.SandboxNamespaces = sb.NamespaceOptions
	}
	subj.HostRoot = s.hostRoot
	subj.HostPaths = s.hostPathsFor(subj.MaskedPathCandidates())
	a.pod = s.declare(subj, c, d)
	s.sysctls(subj, c, sb)
	s.expose(subj)
	sum := ContainerSummary{
		ID: c.ID, Namespace: c.Pod.Namespace, Pod: c.Pod.Name, PodUID: c.Pod.UID, Container: c.Name,
		Image: cmp.Or(c.Config.GetImage().GetUserSpecifiedImage(), c.Image), ImageRef: c.ImageRef, State: c.State, PID: c.PID, Processes: len(procs), DeclaredFrom: subj.DeclaredFrom,
	}
	if subj.Declared == nil {
		sum.DeclaredFrom = expect.OriginCRI // undeclared: judged against its own CRI config
	} else {
		sum.Problems = subj.Declared.Problems
	}
	a.summary, a.findings, a.procs, a.subj = sum, checks.Evaluate(subj), procs, subj
	return a
}

// declare sets the subject's declared expectation from the configured
// source and returns the declared pod; a source that does not know the
// container leaves it nil (the pod is returned all the same when known).
func (s *Scanner) declare(subj *checks.Subject, c *cri.Container, d expect.RuntimeDefaults) *corev1.Pod {
	src := s.opts.Declared
	if src == nil {
		subj.DeclaredFrom = expect.OriginCRI
		return nil
	}
	subj.DeclaredFrom = src.Name()
	pod, ok := src.Lookup(c.Pod.UID, c.Pod.Namespace, c.Pod.Name)
	if !ok {
		return nil
	}
	exp, err := expect.FromPod(pod, c.Name, d)
	if err != nil {
		s.log.Debug("pod does not declare the container", "pod", c.Pod.Namespace+"/"+c.Pod.Name, "container", c.Name, "err", err)
		return pod
	}
	subj.Declared = exp // exp.Problems reach the report's container summary
	return pod
}

// processes probes every live process of a running container, and returns
// them with the bounding set of the runtime process that started it. A
// process that exits meanwhile is skipped; the container's init exiting
// means the container is gone. A process still in the runtime's init stage
// (runc's "runc:[2:INIT]", before the execve of the container's command)
// is skipped too: its credentials are not yet the container's.
func (s *pass) processes(c *cri.Container) ([]*probes.Process, probes.CapSet, error) {
	all := ^probes.CapSet(0)
	if c.State != "running" || c.PID <= 0 {
		return nil, all, nil
	}
	init, err := s.sess.Probe(c.PID)
	if err != nil {
		return nil, all, err
	}
	if !inContainerCgroup(init, c.ID) {
		return nil, all, fmt.Errorf("pid %d: %w", c.PID, errPIDReused)
	}
	pids, err := s.sess.ContainerPIDsOf(init)
	if err != nil {
		return nil, all, err
	}
	var procs []*probes.Process
	for _, pid := range pids {
		p := init
		if pid != c.PID {
			p, err = s.sess.Probe(pid)
			if errors.Is(err, probes.ErrGone) {
				continue
			}
			if err != nil {
				return nil, all, err
			}
		}
		if strings.HasPrefix(p.Comm, "runc:[") {
			s.log.Debug("process still in the runtime's init stage: not judged", "pid", p.PID, "container", c.ID)
			continue
		}
		procs = append(procs, p)
	}
	return procs, s.runtimeBounding(init), nil
}

// runtimeBounding is the bounding set of the process that started the
// container (containerd's shim, CRI-O's conmon): what the runtime can grant
// at most, and so what "privileged" and "ALL" mean for this container. A
// host whose init runs with a reduced bounding set gives its runtime, and
// every privileged container, less than the kernel knows. When the parent
// cannot be read, every capability. Only the parent's status is read.
func (s *pass) runtimeBounding(init *probes.Process) probes.CapSet {
	if init.PPID > 0 {
		if p, err := s.fs.Status(init.PPID); err == nil {
			return p.Caps.Bounding
		}
	}
	return ^probes.CapSet(0)
}

// inContainerCgroup guards against PID reuse between the runtime's answer
// and the probe: every runtime names the container's cgroup after its ID
// (cgroupfs ".../<id>", systemd "cri-containerd-<id>.scope", "crio-<id>.scope").
// A process that reports no cgroup at all is given the benefit of the doubt.
func inContainerCgroup(p *probes.Process, id string) bool {
	if len(p.Cgroups) == 0 || id == "" {
		return true
	}
	for _, cg := range p.Cgroups {
		if strings.Contains(cg.Path, id) {
			return true
		}
	}
	return false
}
