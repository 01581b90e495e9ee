package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

// explanation builds what `rtaudit explain` renders: every field that
// matters, as the declared spec, the CRI config, the OCI spec and each
// process show it, from one container's collected facts (subj), the pod
// that declares it (nil when none does) and the scan's report, whose
// findings for the container mark the first layer that departs. It only
// shows values; judging stays with the checks, so a row is marked only
// when a finding says so.
func explanation(subj *checks.Subject, pod *corev1.Pod, r *scan.Report, sum scan.ContainerSummary) *report.Explanation {
	e := &report.Explanation{
		APIVersion: scan.APIVersion, Kind: report.KindExplanation, Node: r.Node, Runtime: r.Runtime,
		Namespace: subj.Namespace, Pod: subj.Pod, Container: subj.Container, ContainerID: subj.ContainerID,
		Image: sum.Image, State: sum.State, DeclaredFrom: string(sum.DeclaredFrom),
		Processes: []report.ExplainProcess{}, Findings: []checks.Finding{},
	}
	for _, f := range r.Findings {
		if f.ContainerID == subj.ContainerID {
			e.Findings = append(e.Findings, f)
		}
	}
	for _, p := range subj.Processes {
		if p != nil {
			e.Processes = append(e.Processes, report.ExplainProcess{PID: p.PID, Comm: p.Comm})
		}
	}
	x := newExplainer(subj, pod)
	e.Rows = []report.ExplainRow{
		x.user(), x.group(), x.groups(), x.nonRoot(), x.capabilities(), x.noNewPrivs(), x.privileged(), x.seccomp(),
		x.readonlyRoot(),
		x.hostNamespace("host network", checks.HostNetwork, probes.NSNet, specs.NetworkNamespace, "spec.hostNetwork", pod != nil && pod.Spec.HostNetwork,
			"network", func(ns *runtimeapi.NamespaceOption) runtimeapi.NamespaceMode { return ns.GetNetwork() }),
		x.hostNamespace("host pid", checks.HostPID, probes.NSPID, specs.PIDNamespace, "spec.hostPID", pod != nil && pod.Spec.HostPID,
			"pid", func(ns *runtimeapi.NamespaceOption) runtimeapi.NamespaceMode { return ns.GetPid() }),
		x.hostNamespace("host ipc", checks.HostIPC, probes.NSIPC, specs.IPCNamespace, "spec.hostIPC", pod != nil && pod.Spec.HostIPC,
			"ipc", func(ns *runtimeapi.NamespaceOption) runtimeapi.NamespaceMode { return ns.GetIpc() }),
		x.userNamespace(), x.procMount(),
	}
	for i := range e.Rows {
		markDrift(&e.Rows[i], e.Findings)
	}
	if subj.Declared != nil {
		e.Problems = subj.Declared.Problems
	}
	switch {
	case subj.DeclaredFrom == expect.OriginCRI:
		e.Notes = append(e.Notes, "no declared source (--pods, --kubeconfig): the CRI config is the declaration, so the DECLARED column is empty and drift can start at the OCI layer only")
	case subj.Declared == nil:
		e.Notes = append(e.Notes, fmt.Sprintf("the %s source does not declare this container: it is judged against its own CRI config", subj.DeclaredFrom))
	}
	if subj.CRI == nil {
		e.Notes = append(e.Notes, "the runtime does not expose the CRI config it received (CRI-O): the CRI column is empty")
	}
	if len(e.Processes) == 0 {
		e.Notes = append(e.Notes, "no live process: the KERNEL column is empty")
	}
	return e
}

// explainedBy are the checks whose finding stands for a row's own, which
// the checks then drop as derived (agent/checks suppress.go): a root
// process in a runAsNonRoot container is a run-as-non-root finding only,
// a privileged container a privileged one only. Info findings explain
// nothing.
var explainedBy = map[checks.ID][]checks.ID{
	checks.RunAsUser:    {checks.RunAsNonRoot},
	checks.Capabilities: {checks.Privileged},
	checks.Seccomp:      {checks.Privileged},
	checks.NoNewPrivs:   {checks.Privileged},
	checks.ProcMount:    {checks.Privileged},
}

// markDrift marks the first layer the row's findings name (or those of a
// check that stands for it), the values they name, its severity, owner
// and waiver.
func markDrift(row *report.ExplainRow, fs []checks.Finding) {
	rank := map[checks.Layer]int{checks.LayerCRI: 0, checks.LayerOCI: 1, checks.LayerProcess: 2}
	var first []checks.Finding
	for _, f := range fs {
		own := f.Check == row.Check
		if !own && (f.Severity == checks.Info || !slices.Contains(explainedBy[row.Check], f.Check)) {
			continue
		}
		switch {
		case len(first) == 0 || rank[f.Layer] < rank[first[0].Layer]:
			first = []checks.Finding{f}
		case f.Layer == first[0].Layer:
			first = append(first, f)
		}
	}
	if len(first) == 0 {
		return
	}
	d := &report.Drift{Layer: first[0].Layer, Check: first[0].Check, Severity: checks.Info, Owner: report.LayerOwner(first[0].Layer), Waiver: first[0].Waiver}
	for _, f := range first {
		if f.Severity.AtLeast(d.Severity) {
			d.Severity = f.Severity
		}
		if f.Check == row.Check {
			d.Check = f.Check
		}
		if f.Waiver == "" {
			d.Waiver = ""
		}
		switch f.Layer {
		case checks.LayerCRI:
			row.CRI.Differs = true
		case checks.LayerOCI:
			row.OCI.Differs = true
		case checks.LayerProcess:
			for i := range row.Kernel {
				if row.Kernel[i].PID == f.PID {
					row.Kernel[i].Differs = true
				}
			}
		}
	}
	row.Drift = d
}

// explainer reads one field at every layer.
type explainer struct {
	s *checks.Subject
	// declared is the pod spec's view: nil when the container has none
	// (declaredFrom cri, or a source that does not know it).
	declared *expect.Expectation
	// cri is the CRI config's view; nil when the runtime hides it.
	cri *expect.Expectation
	// ref is what the lower layers are shown against: the declared
	// view, else the CRI config's; refName names it.
	ref     *expect.Expectation
	refName string
	// csc and psc are the container's and the pod's security contexts
	// as written (nil when unset), path the container's field path.
	csc  *corev1.SecurityContext
	psc  *corev1.PodSecurityContext
	pod  *corev1.Pod
	path string
}

func newExplainer(s *checks.Subject, pod *corev1.Pod) *explainer {
	x := &explainer{s: s, declared: s.Declared}
	if s.CRI != nil {
		x.cri = expect.FromCRI(s.CRI, s.SandboxNamespaces, s.Defaults)
	}
	x.ref, x.refName = x.declared, "declared"
	if x.ref == nil {
		x.ref, x.refName = x.cri, "CRI"
	}
	if s.Declared != nil && pod != nil {
		x.pod, x.psc = pod, pod.Spec.SecurityContext
		c, path := containerPath(pod, s.Container)
		if c != nil {
			x.csc, x.path = c.SecurityContext, path
		}
	}
	return x
}

// containerPath finds the container in the pod spec and its field path.
func containerPath(pod *corev1.Pod, name string) (*corev1.Container, string) {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], fmt.Sprintf("spec.containers[%d]", i)
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], fmt.Sprintf("spec.initContainers[%d]", i)
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return (*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon), fmt.Sprintf("spec.ephemeralContainers[%d]", i)
		}
	}
	return nil, ""
}

// hasDeclared says whether the DECLARED column has values.
func (x *explainer) hasDeclared() bool { return x.pod != nil }

// sc is the container's security-context path of a field.
func (x *explainer) sc(field string) string { return x.path + ".securityContext." + field }

// declaredField returns the container's value of a field, else the
// pod's, with its path (the kubelet's precedence for runAsUser,
// runAsGroup, runAsNonRoot and seccompProfile).
func declaredField[T any](x *explainer, field string, fromContainer func(*corev1.SecurityContext) *T, fromPod func(*corev1.PodSecurityContext) *T) (*T, string) {
	if x.csc != nil {
		if v := fromContainer(x.csc); v != nil {
			return v, x.sc(field)
		}
	}
	if x.psc != nil {
		if v := fromPod(x.psc); v != nil {
			return v, "spec.securityContext." + field
		}
	}
	return nil, ""
}

func (x *explainer) criSC() *runtimeapi.LinuxContainerSecurityContext {
	return x.s.CRI.GetLinux().GetSecurityContext()
}

func (x *explainer) ociProcess() *specs.Process {
	if x.s.OCI == nil {
		return nil
	}
	return x.s.OCI.Process
}

// kernel is each process's value of a field.
func (x *explainer) kernel(source string, value func(*probes.Process) string) []report.ProcessValue {
	var out []report.ProcessValue
	for _, p := range x.s.Processes {
		if p != nil {
			out = append(out, report.ProcessValue{PID: p.PID, Comm: p.Comm, Value: value(p), Source: source})
		}
	}
	return out
}

func (x *explainer) user() report.ExplainRow {
	row := report.ExplainRow{Field: "user", Check: checks.RunAsUser}
	if x.hasDeclared() {
		v, path := declaredField(x, "runAsUser", func(c *corev1.SecurityContext) *int64 { return c.RunAsUser }, func(p *corev1.PodSecurityContext) *int64 { return p.RunAsUser })
		row.Declared = declaredInt(v, path, "unset → the image's USER")
	}
	if x.s.CRI != nil {
		row.CRI = criID(x.criSC().GetRunAsUser(), x.criSC().GetRunAsUsername(), "run_as_user")
	}
	if p := x.ociProcess(); p != nil {
		row.OCI = report.LayerValue{Value: strconv.FormatUint(uint64(p.User.UID), 10), Source: "process.user.uid"}
	}
	row.Kernel = x.kernel("Uid", func(p *probes.Process) string { return showIDs(p.UID, p.UIDMap) })
	return row
}

func (x *explainer) group() report.ExplainRow {
	row := report.ExplainRow{Field: "group", Check: checks.RunAsGroup}
	if x.hasDeclared() {
		v, path := declaredField(x, "runAsGroup", func(c *corev1.SecurityContext) *int64 { return c.RunAsGroup }, func(p *corev1.PodSecurityContext) *int64 { return p.RunAsGroup })
		row.Declared = declaredInt(v, path, "unset → the primary group of the image's user")
	}
	if x.s.CRI != nil {
		row.CRI = criID(x.criSC().GetRunAsGroup(), "", "run_as_group")
	}
	if p := x.ociProcess(); p != nil {
		row.OCI = report.LayerValue{Value: strconv.FormatUint(uint64(p.User.GID), 10), Source: "process.user.gid"}
	}
	row.Kernel = x.kernel("Gid", func(p *probes.Process) string { return showIDs(p.GID, p.GIDMap) })
	return row
}

func (x *explainer) groups() report.ExplainRow {
	row := report.ExplainRow{Field: "supplementary groups", Check: checks.SupplementalGroups}
	if x.hasDeclared() {
		var paths []string
		if x.psc != nil && x.psc.FSGroup != nil {
			paths = append(paths, "spec.securityContext.fsGroup")
		}
		if x.psc != nil && len(x.psc.SupplementalGroups) > 0 {
			paths = append(paths, "spec.securityContext.supplementalGroups")
		}
		if x.psc != nil && x.psc.SupplementalGroupsPolicy != nil {
			paths = append(paths, "spec.securityContext.supplementalGroupsPolicy")
		}
		v := showGroups(x.declared.Groups) + ", policy " + string(x.declared.GroupsPolicy)
		if len(paths) == 0 {
			v = "unset → none (Merge: the image's groups of the user may be added)"
		}
		row.Declared = report.LayerValue{Value: v, Source: strings.Join(paths, ", ")}
	}
	if x.cri != nil {
		row.CRI = report.LayerValue{Value: showGroups(x.cri.Groups) + ", policy " + string(x.cri.GroupsPolicy), Source: "supplemental_groups, supplemental_groups_policy"}
	}
	if p := x.ociProcess(); p != nil {
		gs := make([]int64, 0, len(p.User.AdditionalGids))
		for _, g := range p.User.AdditionalGids {
			gs = append(gs, int64(g))
		}
		row.OCI = report.LayerValue{Value: showGroups(gs), Source: "process.user.additionalGids"}
	}
	row.Kernel = x.kernel("Groups", func(p *probes.Process) string {
		gs := make([]int64, 0, len(p.Groups))
		for _, g := range p.Groups {
			gs = append(gs, int64(inside(g, p.GIDMap)))
		}
		slices.Sort(gs)
		return showGroups(slices.Compact(gs))
	})
	return row
}

func (x *explainer) nonRoot() report.ExplainRow {
	row := report.ExplainRow{Field: "run as non-root", Check: checks.RunAsNonRoot}
	if x.hasDeclared() {
		v, path := declaredField(x, "runAsNonRoot", func(c *corev1.SecurityContext) *bool { return c.RunAsNonRoot }, func(p *corev1.PodSecurityContext) *bool { return p.RunAsNonRoot })
		row.Declared = report.LayerValue{Value: "unset → not asserted"}
		if v != nil {
			row.Declared = report.LayerValue{Value: strconv.FormatBool(*v), Source: path}
		}
	}
	if x.s.CRI != nil {
		v := "unknown: the image's user"
		if u := x.criSC().GetRunAsUser(); u != nil {
			v = rootOrNot(u.GetValue())
		} else if n := x.criSC().GetRunAsUsername(); n != "" {
			v = "user " + n
		}
		row.CRI = report.LayerValue{Value: v, Source: "run_as_user"}
	}
	if p := x.ociProcess(); p != nil {
		row.OCI = report.LayerValue{Value: rootOrNot(int64(p.User.UID)), Source: "process.user.uid"}
	}
	row.Kernel = x.kernel("Uid", func(p *probes.Process) string {
		for _, id := range p.UID {
			if inside(id, p.UIDMap) == 0 {
				return "root (" + showIDs(p.UID, p.UIDMap) + ")"
			}
		}
		return "non-root"
	})
	return row
}

func (x *explainer) capabilities() report.ExplainRow {
	row := report.ExplainRow{Field: "capabilities", Check: checks.Capabilities}
	def, _ := x.s.Defaults.DefaultCaps()
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: declaredCaps(x.declared, def)}
		switch {
		case x.declared.Privileged:
			row.Declared.Source = x.sc("privileged")
		case x.csc != nil && x.csc.Capabilities != nil:
			row.Declared.Source = x.sc("capabilities")
		default:
			row.Declared.Value = "unset → " + row.Declared.Value
		}
	}
	// The lower layers are shown against the reference set (declared,
	// else the CRI config's), or the runtime's default without either.
	ref, refName := def, "runtime default"
	if x.ref != nil {
		ref, refName = x.ref.Caps, x.refName
	}
	rel := func(set probes.CapSet) string {
		switch {
		case set == 0:
			return "none"
		case set == ref:
			return "= " + refName
		}
		return report.CapsDiff(ref, set, 0)
	}
	if x.cri != nil {
		v := rel(x.cri.Caps)
		if x.declared == nil {
			v = declaredCaps(x.cri, def) // the CRI config is the reference itself
		}
		row.CRI = report.LayerValue{Value: v, Source: "capabilities.add_capabilities, drop_capabilities"}
	}
	if p := x.ociProcess(); p != nil {
		var bnd, amb probes.CapSet
		if p.Capabilities != nil {
			bnd, _ = probes.ParseCapNames(p.Capabilities.Bounding)
			amb, _ = probes.ParseCapNames(p.Capabilities.Ambient)
		}
		v := rel(bnd)
		if amb != 0 {
			v += "; ambient " + amb.String()
		}
		row.OCI = report.LayerValue{Value: v, Source: "process.capabilities.bounding"}
	}
	row.Kernel = x.kernel("CapEff, CapBnd", func(p *probes.Process) string {
		v := "eff " + rel(p.Caps.Effective) + ", bnd " + rel(p.Caps.Bounding)
		if p.Caps.Ambient != 0 {
			v += ", amb " + p.Caps.Ambient.String()
		}
		return v
	})
	return row
}

// declaredCaps writes a container's capability set against the runtime's
// default set: "runtime default", "runtime default -CAP_NET_RAW", "none",
// the names when shorter, "all (privileged)".
func declaredCaps(e *expect.Expectation, def probes.CapSet) string {
	switch {
	case e.Privileged:
		return "all (privileged)"
	case e.Caps == def:
		return "runtime default"
	case e.Caps == 0:
		return "none"
	}
	if diff := (e.Caps ^ def).Count(); diff < e.Caps.Count() {
		return "runtime default " + report.CapsDiff(def, e.Caps, 0)
	}
	return strings.Join(e.Caps.Names(), " ")
}

func (x *explainer) noNewPrivs() report.ExplainRow {
	row := report.ExplainRow{Field: "no_new_privs", Check: checks.NoNewPrivs}
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: "unset → not asserted"}
		if x.csc != nil && x.csc.AllowPrivilegeEscalation != nil {
			v := "true → not asserted"
			if !*x.csc.AllowPrivilegeEscalation {
				v = "false → 1"
			}
			row.Declared = report.LayerValue{Value: v, Source: x.sc("allowPrivilegeEscalation")}
		}
	}
	if x.s.CRI != nil {
		row.CRI = report.LayerValue{Value: bit(x.criSC().GetNoNewPrivs()), Source: "no_new_privs"}
	}
	if p := x.ociProcess(); p != nil {
		row.OCI = report.LayerValue{Value: bit(p.NoNewPrivileges), Source: "process.noNewPrivileges"}
	}
	row.Kernel = x.kernel("NoNewPrivs", func(p *probes.Process) string { return bit(p.NoNewPrivs) })
	return row
}

func (x *explainer) privileged() report.ExplainRow {
	row := report.ExplainRow{Field: "privileged", Check: checks.Privileged}
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: "unset → false"}
		if x.csc != nil && x.csc.Privileged != nil {
			row.Declared = report.LayerValue{Value: strconv.FormatBool(*x.csc.Privileged), Source: x.sc("privileged")}
		}
	}
	if x.s.CRI != nil {
		row.CRI = report.LayerValue{Value: strconv.FormatBool(x.criSC().GetPrivileged()), Source: "privileged"}
	}
	all := x.s.Defaults.All()
	if p := x.ociProcess(); p != nil {
		var bnd probes.CapSet
		if p.Capabilities != nil {
			bnd, _ = probes.ParseCapNames(p.Capabilities.Bounding)
		}
		sysRW := true
		for _, m := range x.s.OCI.Mounts {
			if m.Destination == "/sys" {
				sysRW = !slices.Contains(m.Options, "ro")
			}
		}
		row.OCI = report.LayerValue{Value: privilegedText(bnd&all == all, sysRW), Source: "process.capabilities.bounding, mounts[/sys]"}
	}
	row.Kernel = x.kernel("CapBnd, mountinfo /sys", func(p *probes.Process) string {
		sysRW := false
		for i := len(p.Mounts) - 1; i >= 0; i-- {
			if p.Mounts[i].MountPoint == "/sys" {
				sysRW = !p.Mounts[i].ReadOnly
				break
			}
		}
		return privilegedText(p.Caps.Bounding&all == all, sysRW)
	})
	return row
}

// privilegedText says what a layer shows of privileged mode: every
// capability in the bounding set and /sys writable.
func privilegedText(allCaps, sysRW bool) string {
	switch {
	case allCaps && sysRW:
		return "true (all caps, /sys rw)"
	case allCaps:
		return "false (all caps, /sys ro)"
	}
	return "false"
}

func (x *explainer) seccomp() report.ExplainRow {
	row := report.ExplainRow{Field: "seccomp", Check: checks.Seccomp}
	if x.hasDeclared() {
		v, path := declaredField(x, "seccompProfile", func(c *corev1.SecurityContext) *corev1.SeccompProfile { return c.SeccompProfile },
			func(p *corev1.PodSecurityContext) *corev1.SeccompProfile { return p.SeccompProfile })
		row.Declared = report.LayerValue{Value: showProfile(x.declared.Seccomp), Source: path}
		if v == nil {
			row.Declared.Value = "unset → " + row.Declared.Value
			if x.s.Defaults.SeccompDefault {
				row.Declared.Value += " (--seccomp-default)"
			}
		}
		if x.declared.Privileged {
			row.Declared.Value += "; privileged: no filter"
		}
	}
	if x.cri != nil {
		row.CRI = report.LayerValue{Value: showProfile(x.cri.Seccomp), Source: "seccomp"}
	}
	if x.s.OCI != nil && x.s.OCI.Linux != nil {
		v := "none"
		if sc := x.s.OCI.Linux.Seccomp; sc != nil {
			v = fmt.Sprintf("filter (default %s, %d rule(s))", sc.DefaultAction, len(sc.Syscalls))
		}
		row.OCI = report.LayerValue{Value: v, Source: "linux.seccomp"}
	}
	row.Kernel = x.kernel("Seccomp", func(p *probes.Process) string {
		switch p.Seccomp {
		case probes.SeccompDisabled:
			return "0 (none)"
		case probes.SeccompStrict:
			return "1 (strict)"
		case probes.SeccompFilter:
			return fmt.Sprintf("2 (filter, %d)", p.SeccompFilters)
		}
		return strconv.Itoa(int(p.Seccomp))
	})
	return row
}

func (x *explainer) readonlyRoot() report.ExplainRow {
	row := report.ExplainRow{Field: "read-only root", Check: checks.ReadonlyRootfs}
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: "unset → not asserted"}
		if x.csc != nil && x.csc.ReadOnlyRootFilesystem != nil {
			v := "false → not asserted"
			if *x.csc.ReadOnlyRootFilesystem {
				v = "true → ro"
			}
			row.Declared = report.LayerValue{Value: v, Source: x.sc("readOnlyRootFilesystem")}
		}
	}
	if x.s.CRI != nil {
		row.CRI = report.LayerValue{Value: roRW(x.criSC().GetReadonlyRootfs()), Source: "readonly_rootfs"}
	}
	if x.s.OCI != nil && x.s.OCI.Root != nil {
		row.OCI = report.LayerValue{Value: roRW(x.s.OCI.Root.Readonly), Source: "root.readonly"}
	}
	row.Kernel = x.kernel("mountinfo /", func(p *probes.Process) string {
		if p.Root.MountPoint == "" {
			return "no root mount visible"
		}
		return roRW(p.Root.ReadOnly)
	})
	return row
}

// hostNamespace is a row for hostNetwork, hostPID or hostIPC.
func (x *explainer) hostNamespace(name string, check checks.ID, kind probes.NSKind, ociType specs.LinuxNamespaceType, field string, declared bool,
	criField string, mode func(*runtimeapi.NamespaceOption) runtimeapi.NamespaceMode) report.ExplainRow {
	row := report.ExplainRow{Field: name, Check: check}
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: strconv.FormatBool(declared), Source: field}
	}
	if ns := expect.CRINamespaces(x.s.CRI, x.s.SandboxNamespaces); ns != nil {
		row.CRI = report.LayerValue{Value: showMode(mode(ns)), Source: "namespace_options." + criField}
	}
	row.OCI = x.ociNamespace(ociType)
	row.Kernel = x.kernel("ns/"+string(kind), func(p *probes.Process) string { return x.hostOrOwn(p, kind) })
	return row
}

func (x *explainer) userNamespace() report.ExplainRow {
	row := report.ExplainRow{Field: "user namespace", Check: checks.HostUsers}
	if x.hasDeclared() {
		switch hu := x.pod.Spec.HostUsers; {
		case hu == nil:
			row.Declared = report.LayerValue{Value: "unset → host"}
		case *hu:
			row.Declared = report.LayerValue{Value: "true → host", Source: "spec.hostUsers"}
		default:
			row.Declared = report.LayerValue{Value: "false → own", Source: "spec.hostUsers"}
		}
	}
	if ns := expect.CRINamespaces(x.s.CRI, x.s.SandboxNamespaces); ns != nil {
		v := "host"
		if u := ns.GetUsernsOptions(); u != nil {
			v = showMode(u.GetMode())
			if m := u.GetUids(); len(m) > 0 {
				v += fmt.Sprintf(" (uid %d→%d ×%d)", m[0].GetContainerId(), m[0].GetHostId(), m[0].GetLength())
			}
		}
		row.CRI = report.LayerValue{Value: v, Source: "namespace_options.userns_options"}
	}
	row.OCI = x.ociNamespace(specs.UserNamespace)
	if row.OCI.Value == "own" && x.s.OCI.Linux != nil && len(x.s.OCI.Linux.UIDMappings) > 0 {
		m := x.s.OCI.Linux.UIDMappings[0]
		row.OCI.Value += fmt.Sprintf(" (uid %d→%d ×%d)", m.ContainerID, m.HostID, m.Size)
	}
	row.Kernel = x.kernel("ns/user, uid_map", func(p *probes.Process) string {
		v := x.hostOrOwn(p, probes.NSUser)
		if len(p.UIDMap) > 0 && (len(p.UIDMap) > 1 || p.UIDMap[0].Inside != p.UIDMap[0].Outside) {
			m := p.UIDMap[0]
			v += fmt.Sprintf(" (uid %d→%d ×%d)", m.Inside, m.Outside, m.Length)
		}
		return v
	})
	return row
}

func (x *explainer) procMount() report.ExplainRow {
	row := report.ExplainRow{Field: "proc mount", Check: checks.ProcMount}
	if x.hasDeclared() {
		row.Declared = report.LayerValue{Value: string(x.declared.ProcMount) + " (" + pathCounts(x.declared.MaskedPaths, x.declared.ReadonlyPaths) + ")"}
		if x.csc != nil && x.csc.ProcMount != nil {
			row.Declared.Source = x.sc("procMount")
		} else {
			row.Declared.Value = "unset → " + row.Declared.Value
		}
	}
	if x.cri != nil {
		row.CRI = report.LayerValue{Value: pathCounts(x.cri.MaskedPaths, x.cri.ReadonlyPaths), Source: "masked_paths, readonly_paths"}
	}
	var masked, readonly []string
	if x.s.OCI != nil && x.s.OCI.Linux != nil {
		masked, readonly = x.s.OCI.Linux.MaskedPaths, x.s.OCI.Linux.ReadonlyPaths
		row.OCI = report.LayerValue{Value: pathCounts(masked, readonly), Source: "linux.maskedPaths, linux.readonlyPaths"}
	} else if x.ref != nil {
		masked, readonly = x.ref.MaskedPaths, x.ref.ReadonlyPaths
	}
	row.Kernel = x.kernel("mountinfo", func(p *probes.Process) string {
		m, ro := 0, 0
		for _, path := range masked {
			if mountAt(p, path) != nil {
				m++
			}
		}
		for _, path := range readonly {
			if mt := mountAt(p, path); mt != nil && mt.ReadOnly {
				ro++
			}
		}
		return fmt.Sprintf("%d/%d masked, %d/%d read-only", m, len(masked), ro, len(readonly))
	})
	return row
}

// mountAt is the topmost mount at path in a process's mountinfo.
func mountAt(p *probes.Process, path string) *probes.Mount {
	for i := len(p.Mounts) - 1; i >= 0; i-- {
		if p.Mounts[i].MountPoint == path {
			return &p.Mounts[i]
		}
	}
	return nil
}

func pathCounts(masked, readonly []string) string {
	if len(masked) == 0 && len(readonly) == 0 {
		return "none masked"
	}
	return fmt.Sprintf("%d masked, %d read-only", len(masked), len(readonly))
}

// ociNamespace says what the OCI spec does with a namespace type: no entry
// leaves the runtime's (the host's), an entry without a path makes one of
// its own, a path joins another process's (containerd joins the sandbox's).
func (x *explainer) ociNamespace(t specs.LinuxNamespaceType) report.LayerValue {
	if x.s.OCI == nil || x.s.OCI.Linux == nil {
		return report.LayerValue{}
	}
	src := fmt.Sprintf("linux.namespaces[%s]", t)
	for _, ns := range x.s.OCI.Linux.Namespaces {
		switch {
		case ns.Type != t:
		case ns.Path == "":
			return report.LayerValue{Value: "own", Source: src}
		case strings.HasPrefix(ns.Path, "/proc/1/ns/"):
			return report.LayerValue{Value: "host (" + ns.Path + ")", Source: src}
		default:
			return report.LayerValue{Value: "joins " + ns.Path, Source: src}
		}
	}
	return report.LayerValue{Value: "host (no entry)", Source: src}
}

// hostOrOwn compares a process's namespace with the host's (PID 1's).
func (x *explainer) hostOrOwn(p *probes.Process, kind probes.NSKind) string {
	got, ok1 := p.Namespaces[kind]
	host, ok2 := x.s.Host[kind]
	switch {
	case !ok1 || !ok2:
		return "unknown"
	case got == host:
		return "host"
	}
	return fmt.Sprintf("own (%s:[%d])", kind, got)
}

func showMode(m runtimeapi.NamespaceMode) string {
	switch m {
	case runtimeapi.NamespaceMode_NODE:
		return "host (NODE)"
	case runtimeapi.NamespaceMode_POD:
		return "pod (POD)"
	case runtimeapi.NamespaceMode_CONTAINER:
		return "own (CONTAINER)"
	case runtimeapi.NamespaceMode_TARGET:
		return "target (TARGET)"
	}
	return m.String()
}

func declaredInt(v *int64, path, unset string) report.LayerValue {
	if v == nil {
		return report.LayerValue{Value: unset}
	}
	return report.LayerValue{Value: strconv.FormatInt(*v, 10), Source: path}
}

// criID is a CRI run_as_user or run_as_group.
func criID(v *runtimeapi.Int64Value, name, field string) report.LayerValue {
	switch {
	case v != nil:
		return report.LayerValue{Value: strconv.FormatInt(v.GetValue(), 10), Source: field}
	case name != "":
		return report.LayerValue{Value: "user " + name, Source: field + "name"}
	}
	return report.LayerValue{Value: "unset", Source: field}
}

func rootOrNot(uid int64) string {
	if uid == 0 {
		return "root (0)"
	}
	return "non-root (" + strconv.FormatInt(uid, 10) + ")"
}

// showIDs writes a process's four IDs inside its user namespace, one when
// they agree, with the host's when the namespace remaps them.
func showIDs(raw probes.IDs, maps []probes.IDMapping) string {
	in := make([]string, 4)
	host := make([]string, 4)
	for i, id := range raw {
		in[i] = strconv.FormatUint(uint64(inside(id, maps)), 10)
		host[i] = strconv.FormatUint(uint64(id), 10)
	}
	agree := in[0] == in[1] && in[1] == in[2] && in[2] == in[3]
	v := strings.Join(in, " ")
	h := strings.Join(host, " ")
	if agree {
		v, h = in[0], host[0]
	}
	if v != h {
		v += " (host " + h + ")"
	}
	return v
}

// inside maps a host ID into the user namespace maps describe (identity
// without maps; the overflow ID 65534 for an unmapped one), as the checks
// do.
func inside(id uint32, maps []probes.IDMapping) uint32 {
	if len(maps) == 0 {
		return id
	}
	for _, m := range maps {
		if id >= m.Outside && id-m.Outside < m.Length {
			return m.Inside + (id - m.Outside)
		}
	}
	return 65534
}

func showGroups(gs []int64) string {
	if len(gs) == 0 {
		return "none"
	}
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = strconv.FormatInt(g, 10)
	}
	return strings.Join(s, ",")
}

func showProfile(p expect.SeccompProfile) string {
	if p.Type == expect.SeccompLocalhost {
		return string(p.Type) + "/" + p.Localhost
	}
	return cmp.Or(string(p.Type), "Unconfined")
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func roRW(ro bool) string {
	if ro {
		return "ro"
	}
	return "rw"
}
