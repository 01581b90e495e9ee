package checks

import (
	"fmt"
	"path"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// proc-mount: securityContext.procMount (Default unless Unmasked) → CRI
// linux.security_context.masked_paths and readonly_paths (the kubelet's
// ConvertToRuntimeMaskedPaths/ConvertToRuntimeReadonlyPaths: its default
// lists, or none for Unmasked; privileged changes nothing there) → OCI
// linux.maskedPaths and linux.readonlyPaths (containerd copies the CRI
// lists and clears both for a privileged container) → /proc/<pid>/mountinfo,
// where runc mounts a read-only tmpfs over a masked directory, binds
// /dev/null over a masked file and bind-remounts each read-only path ro —
// each only when the path exists on the kernel.
//
// A layer may list more paths than expected (the kubelet adds per-CPU
// thermal_throttle paths); it drifts when it lacks one. In a process:
//   - a read-only path with its own mount must be ro; /proc/sys (which
//     always exists) and a path HostPaths says exists, without a mount of
//     their own, must lie on a read-only proc or sysfs mount;
//   - a masked path with its own mount must be a mask; without one it is
//     reported only when HostPaths says it exists.
//
// CRI-O adds its default masked paths to whatever the kubelet sends, even
// for Unmasked; with it only the read-only paths tell Unmasked at the oci
// layer. A privileged container is judged by privileged: when the CRI config's
// privileged differs from the declared one, this check stops.
func init() {
	register(Check{
		ID:          ProcMount,
		Severity:    High,
		Rationale:   "Unmasked /proc and /sys expose host state (kcore, keys, timers) and a writable /proc/sys lets root change the node's kernel settings.",
		Remediation: "Keep procMount Default (Unmasked only with hostUsers: false); find what dropped the masked/readonly paths (kubelet, runtime config) or remounted them.",
		Evaluate:    evalProcMount,
	})
}

const procMountCheck = ProcMount

// procPaths are the masked and read-only paths a layer carries.
type procPaths struct{ masked, readonly []string }

func (pp procPaths) none() bool { return len(pp.masked) == 0 && len(pp.readonly) == 0 }

// missing lists what want has and got lacks, "masked:" or "readonly:"
// prefixed.
func (pp procPaths) missing(got procPaths) []string {
	var out []string
	for _, l := range []struct {
		kind      string
		want, got []string
	}{{"masked", pp.masked, got.masked}, {"readonly", pp.readonly, got.readonly}} {
		have := map[string]bool{}
		for _, p := range l.got {
			have[path.Clean(p)] = true
		}
		for _, p := range l.want {
			if !have[path.Clean(p)] {
				out = append(out, l.kind+":"+p)
			}
		}
	}
	return out
}

func evalProcMount(s *Subject) []Finding {
	b := s.baseline()
	var want opt[procPaths]
	privileged := false
	if b != nil {
		want = some(procPaths{b.MaskedPaths, b.ReadonlyPaths})
		privileged = b.Privileged
	}
	if c := s.criView(); c != nil && b != nil {
		if c.Privileged != b.Privileged {
			return nil // privileged reports it at the cri layer
		}
		got := procPaths{c.MaskedPaths, c.ReadonlyPaths}
		if f, ok := procPathsDrift(s, LayerCRI, "masked_paths,readonly_paths", "procMount "+string(b.ProcMount), want.v, got); ok {
			return []Finding{f}
		}
		want = some(got)
	}
	if privileged {
		want = some(procPaths{}) // the runtime clears both lists
	}
	if s.OCI != nil && s.OCI.Linux != nil {
		got := procPaths{s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths}
		judged := got
		if want.ok && len(want.v.masked) == 0 && !privileged && s.Defaults.IsCRIO() {
			// CRI-O masks its default paths whatever the kubelet sends
			// (server/container_create.go appendDefaultMaskedPaths):
			// with Unmasked only the read-only paths are dropped.
			judged.masked = nil
		}
		if want.ok {
			why := "privileged"
			if !privileged {
				why = "procMount " + string(b.ProcMount)
			}
			if f, ok := procPathsDrift(s, LayerOCI, "linux.maskedPaths,linux.readonlyPaths", why, want.v, judged); ok {
				return []Finding{f}
			}
		}
		want = some(got) // what runc was told to apply
	}
	if !want.ok {
		return nil
	}
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil || len(p.Mounts) == 0 {
			continue
		}
		if f, ok := procMountProcess(s, p, want.v); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// procPathsDrift judges one configuration layer: a missing path is high;
// paths where none are expected (Unmasked, privileged) are less privilege.
func procPathsDrift(s *Subject, layer Layer, field, why string, want, got procPaths) (Finding, bool) {
	if want.none() {
		if got.none() {
			return Finding{}, false
		}
		msg := fmt.Sprintf("%s masks or write-protects paths where %s expects none (%s) (less privilege than expected)", where(layer, nil), s.source(), why)
		return s.finding(procMountCheck, Info, layer, 0, field, "none", showProcPaths(got), msg), true
	}
	miss := want.missing(got)
	if len(miss) == 0 {
		return Finding{}, false
	}
	msg := fmt.Sprintf("%s lacks %s where %s expects them (%s)", where(layer, nil), strings.Join(miss, " "), s.source(), why)
	if got.none() {
		msg = fmt.Sprintf("%s has no masked or read-only paths where %s expects %s (%s): /proc and /sys are unmasked and writable", where(layer, nil), s.source(), showProcPaths(want), why)
	}
	return s.finding(procMountCheck, High, layer, 0, field, showProcPaths(want), showProcPaths(got), msg), true
}

func showProcPaths(pp procPaths) string {
	if pp.none() {
		return "none"
	}
	return fmt.Sprintf("masked %d, readonly %d", len(pp.masked), len(pp.readonly))
}

// procMountProcess judges one process's mountinfo against the paths runc
// was told to mask and write-protect.
func procMountProcess(s *Subject, p *probes.Process, want procPaths) (Finding, bool) {
	vis := s.visibleMountsOf(p.Mounts)
	if want.none() {
		// Unmasked (or privileged): a mask here is less privilege.
		var masked []string
		for _, mp := range expect.DefaultMaskedPaths() {
			if m, ok := vis[mp]; ok && isMask(m) {
				masked = append(masked, mp)
			}
		}
		if m, ok := vis["/proc/sys"]; ok && m.ReadOnly {
			masked = append(masked, "/proc/sys")
		}
		if len(masked) == 0 {
			return Finding{}, false
		}
		msg := fmt.Sprintf("%s has %s masked or read-only where %s expects none (less privilege than expected)", where(LayerProcess, p), strings.Join(masked, " "), s.source())
		return s.finding(procMountCheck, Info, LayerProcess, p.PID, "mountinfo", "none", strings.Join(masked, " "), msg), true
	}
	var bad []string
	for _, rp := range want.readonly {
		rp = path.Clean(rp)
		if m, ok := vis[rp]; ok {
			if !m.ReadOnly {
				bad = append(bad, "rw:"+rp)
			}
			continue
		}
		if rp != "/proc/sys" && !s.HostPaths[rp] {
			continue // it may not exist on this kernel: runc skipped it
		}
		if m, ok := containingMount(vis, rp); ok && m.FSType == pseudoFSType(rp) && !m.ReadOnly {
			bad = append(bad, "rw:"+rp)
		}
	}
	for _, mp := range want.masked {
		mp = path.Clean(mp)
		if m, ok := vis[mp]; ok {
			if !isMask(m) {
				bad = append(bad, "unmasked:"+mp)
			}
			continue
		}
		if s.HostPaths[mp] {
			if m, ok := containingMount(vis, mp); ok && m.FSType == pseudoFSType(mp) {
				bad = append(bad, "unmasked:"+mp)
			}
		}
	}
	if len(bad) == 0 {
		return Finding{}, false
	}
	msg := fmt.Sprintf("%s shows %s where the OCI spec (procMount Default) masks or write-protects them", where(LayerProcess, p), strings.Join(bad, " "))
	if s.OCI == nil {
		msg = fmt.Sprintf("%s shows %s where %s expects them masked or read-only", where(LayerProcess, p), strings.Join(bad, " "), s.source())
	}
	return s.finding(procMountCheck, High, LayerProcess, p.PID, "mountinfo", "masked and read-only", strings.Join(bad, " "), msg), true
}

// pseudoFSType is the filesystem a masked or read-only path lives on.
func pseudoFSType(p string) string {
	if p == "/sys" || strings.HasPrefix(p, "/sys/") {
		return "sysfs"
	}
	return "proc"
}
