package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

// collectSubject gathers the facts of one container at every layer, as
// agent/scan does before it judges it, through exported APIs only
// (agent/cri, probes, expect, the declared source).
//
// It is a stopgap: agent/scan judges exactly such a *checks.Subject but
// returns only the Report. Once scan exposes it
// (Scanner.Explain(ctx, scan.ContainerRef) (*checks.Subject, *corev1.Pod,
// error), collected by the same code path as Scan), explain calls that and
// this file goes. Until then the values are read a moment after the scan
// and, where scan refines a fact this does not (the host's paths for
// proc-mount, the host's root mount), only the findings carry it.
func collectSubject(ctx context.Context, rt *cri.Client, fsys probes.FS, so scan.Options, target scan.ContainerSummary) (*checks.Subject, *corev1.Pod, error) {
	snap, err := rt.Snapshot(ctx, cri.ListOptions{All: so.All})
	if err != nil {
		return nil, nil, err
	}
	var c *cri.Container
	for i := range snap.Containers {
		if snap.Containers[i].ID == target.ID {
			c = &snap.Containers[i]
		}
	}
	if c == nil {
		return nil, nil, fmt.Errorf("container %s exited after the scan", report.Inert(short(target.ID)))
	}
	if c.StatusError != nil {
		return nil, nil, fmt.Errorf("container %s: %s", report.Inert(short(c.ID)), report.Inert(c.StatusError.Error()))
	}
	host, err := fsys.HostNamespaces()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the host's namespaces (PID 1 of %s): %w", fsys.Root(), err)
	}
	d := expect.DefaultsFor(snap.Runtime.Name, snap.Runtime.Version)
	if d.AllCaps, err = fsys.AllCaps(); err != nil {
		return nil, nil, fmt.Errorf("reading the kernel's capabilities: %w", err)
	}
	if so.Capabilities != nil {
		d.Capabilities = so.Capabilities
	}
	d.SeccompDefault = so.SeccompDefault
	procs, bounding, err := containerProcesses(fsys.NewSession(), c)
	if err != nil {
		return nil, nil, err
	}
	d.AllCaps &= bounding
	subj := &checks.Subject{
		Namespace: c.Pod.Namespace, Pod: c.Pod.Name, Container: c.Name, ContainerID: c.ID,
		CRI: c.Config, OCI: c.Spec, Processes: procs, Host: host, Defaults: d,
		DeclaredFrom: expect.OriginCRI,
	}
	for i := range snap.Sandboxes {
		if snap.Sandboxes[i].ID == c.SandboxID {
			subj.SandboxNamespaces = snap.Sandboxes[i].NamespaceOptions
		}
	}
	var pod *corev1.Pod
	if src := so.Declared; src != nil {
		subj.DeclaredFrom = src.Name()
		if p, ok := src.Lookup(c.Pod.UID, c.Pod.Namespace, c.Pod.Name); ok {
			if exp, err := expect.FromPod(p, c.Name, d); err == nil {
				subj.Declared, pod = exp, p
			}
		}
	}
	return subj, pod, nil
}

// containerProcesses probes the live processes of a running container and
// returns them with the bounding set of the process that started it (what
// "all capabilities" means for it), skipping those that exit meanwhile and
// those still in runc's init stage.
func containerProcesses(sess *probes.Session, c *cri.Container) ([]*probes.Process, probes.CapSet, error) {
	all := ^probes.CapSet(0)
	if c.State != "running" || c.PID <= 0 {
		return nil, all, nil
	}
	init, err := sess.Probe(c.PID)
	if errors.Is(err, probes.ErrGone) {
		return nil, all, nil
	}
	if err != nil {
		return nil, all, err
	}
	pids, err := sess.ContainerPIDs(c.PID)
	if err != nil {
		return nil, all, err
	}
	var procs []*probes.Process
	for _, pid := range pids {
		p := init
		if pid != c.PID {
			if p, err = sess.Probe(pid); errors.Is(err, probes.ErrGone) {
				continue
			} else if err != nil {
				return nil, all, err
			}
		}
		if !strings.HasPrefix(p.Comm, "runc:[") {
			procs = append(procs, p)
		}
	}
	if init.PPID > 0 {
		if parent, err := sess.Probe(init.PPID); err == nil {
			all = parent.Caps.Bounding
		}
	}
	return procs, all, nil
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
