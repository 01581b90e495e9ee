package scan

import (
	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
)

// sysctls fills the subject's sysctl view when the pod declares sysctls or
// its sandbox was given some: the sandbox's CRI config and OCI spec, and
// the values in the container init's namespaces. Nothing is read for the
// pods (most) that have none.
func (s *pass) sysctls(subj *checks.Subject, c *cri.Container, sb *cri.Sandbox) {
	v := &checks.SysctlView{}
	if sb != nil && sb.Config != nil {
		v.CRI = sb.Config.GetLinux().GetSysctls()
		if v.CRI == nil {
			v.CRI = map[string]string{}
		}
	}
	if sb != nil && sb.Spec != nil {
		v.OCI = map[string]string{}
		if sb.Spec.Linux != nil {
			v.OCI = sb.Spec.Linux.Sysctl
		}
	}
	names := map[string]bool{}
	if subj.Declared != nil {
		for n := range subj.Declared.Sysctls {
			names[n] = true
		}
	}
	for n := range v.CRI {
		names[n] = true
	}
	if len(names) == 0 && len(v.OCI) == 0 {
		return
	}
	subj.Sysctls = v
	// The kernel is read for what the pod or the kubelet asked only: a
	// runtime's own defaults (containerd 2 sets two on every sandbox)
	// would cost every container a namespace switch.
	if len(names) == 0 {
		return
	}
	if c.State != "running" || c.PID <= 0 {
		return
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	vals, err := s.fs.Sysctls(c.PID, list)
	if err != nil {
		// Without CAP_SYS_ADMIN (the least-privilege agent) or a
		// container gone: the kernel's values are not compared.
		v.Err = err.Error()
		s.log.Debug("cannot read the pod's sysctls: declared values are not compared with the kernel's", "container", c.ID, "err", err)
		return
	}
	v.Kernel = vals
}
