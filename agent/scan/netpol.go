package scan

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/netpol"
	"github.com/rtaudit/rtaudit/probes"
)

// NetworkOptions configure the network-policy check.
type NetworkOptions struct {
	// Policies are the cluster's NetworkPolicies; nil means unknown (the
	// check is not judged), an empty list means none.
	Policies []*networkingv1.NetworkPolicy
	// Probe connects between this node's pods that the policies deny
	// (--netpol-probe).
	Probe bool
	// CNIConfDir is read when the runtime's status has no CNI
	// configuration ("" means /etc/cni/net.d).
	CNIConfDir string
	// MaxProbes bounds the connects of one scan (0: 32).
	MaxProbes int
	// Source gives the policies at each scan when Policies is nil (the
	// agent's informer); its nil answer means not known yet.
	Source interface {
		Policies() []*networkingv1.NetworkPolicy
	}
}

// policies are the NetworkPolicies of this scan, nil when unknown.
func (o NetworkOptions) policies() []*networkingv1.NetworkPolicy {
	if o.Policies == nil && o.Source != nil {
		return o.Source.Policies()
	}
	return o.Policies
}

// netPod is a pod of this node as the network-policy check sees it.
type netPod struct {
	pod      *corev1.Pod
	reporter *checks.Subject // where the pod's findings go
	nsPath   string          // its network namespace, "" for hostNetwork
	ip       netip.Addr
	port     uint16 // a TCP port it listens on, 0 when none
}

func (n *netPod) ref() string { return n.pod.Namespace + "/" + n.pod.Name }

// judgeNetworkPolicies sets the network evidence on one container of each
// pod a policy isolates, probes when asked, and judges those containers
// again.
func (s *pass) judgeNetworkPolicies(ctx context.Context) {
	o := s.opts.Network
	o.Policies = o.policies()
	if o.Policies == nil || s.opts.Declared == nil {
		return
	}
	pods := s.netPods()
	var isolated []*netPod
	for _, np := range pods {
		if netpol.Isolating(o.Policies, np.pod).Isolated() {
			isolated = append(isolated, np)
		}
	}
	if len(isolated) == 0 {
		return
	}
	var enforcers []string
	found, err := netpol.FindEnforcers(s.fs, s.host)
	if err != nil {
		s.log.Warn("cannot list the node's processes for policy agents", "err", err)
	}
	for _, e := range found {
		enforcers = append(enforcers, e.String())
	}
	cni := s.cni(ctx)
	evidence := map[*netPod]*checks.NetworkEvidence{}
	for _, np := range isolated {
		iso := netpol.Isolating(o.Policies, np.pod)
		evidence[np] = &checks.NetworkEvidence{Ingress: iso.Ingress, Egress: iso.Egress, Enforcers: enforcers, CNI: cni}
	}
	if o.Probe {
		s.probeNetworkPolicies(o, pods, isolated, evidence)
	}
	for np, ev := range evidence {
		if np.reporter.Exposure == nil {
			np.reporter.Exposure = &checks.Exposure{}
		}
		np.reporter.Exposure.Network = ev
		s.judgeAgain(np.reporter)
	}
}

// netPods are the declared pods of the audited containers, each with the
// container its findings go to: the first regular container by name
// (else the first by name).
func (s *pass) netPods() []*netPod {
	uids := map[string]string{}
	for _, c := range s.r.Containers {
		uids[c.ID] = c.PodUID
	}
	byPod := map[string]*netPod{}
	var out []*netPod
	for _, subj := range s.subjects {
		if subj == nil || subj.Declared == nil {
			continue
		}
		pod, ok := s.opts.Declared.Lookup(uids[subj.ContainerID], subj.Namespace, subj.Pod)
		if !ok {
			continue
		}
		key := pod.Namespace + "/" + pod.Name
		np, seen := byPod[key]
		if !seen {
			np = &netPod{pod: pod}
			byPod[key] = np
			out = append(out, np)
		}
		if np.reporter == nil || better(subj, np.reporter) {
			np.reporter = subj
		}
	}
	slices.SortFunc(out, func(a, b *netPod) int { return cmp.Compare(a.ref(), b.ref()) })
	return out
}

// better reports whether a is the pod's reporter rather than b.
func better(a, b *checks.Subject) bool {
	ra, rb := a.Declared.Kind == expect.Regular, b.Declared.Kind == expect.Regular
	if ra != rb {
		return ra
	}
	return a.Container < b.Container
}

// cni names the runtime's pod network configuration, "" when unknown.
func (s *pass) cni(ctx context.Context) string {
	if st, ok := s.rt.(interface {
		StatusInfo(context.Context) (map[string]string, error)
	}); ok {
		if info, err := st.StatusInfo(ctx); err == nil {
			if c, err := netpol.CNIFromRuntimeStatus(info); err == nil {
				return c.String()
			}
		}
	}
	dir := s.opts.Network.CNIConfDir
	if dir == "" {
		dir = "/etc/cni/net.d"
	}
	c, err := netpol.CNIFromDir(dir)
	if err != nil {
		s.log.Debug("no CNI configuration found", "err", err)
		return ""
	}
	return c.String()
}

// locate finds a pod's network namespace, address and a TCP port it
// listens on, through its reporter's init process.
func (s *pass) locate(np *netPod) {
	subj := np.reporter
	if np.pod.Spec.HostNetwork || subj.InitPID <= 0 {
		return
	}
	var init *probes.Process
	for _, p := range subj.Processes {
		if p.PID == subj.InitPID {
			init = p
		}
	}
	if init == nil || init.IsHost(s.host, probes.NSNet) {
		return
	}
	np.nsPath = filepath.Join(s.fs.Root(), strconv.Itoa(subj.InitPID), "ns", "net")
	addrs, err := netpol.AddrsIn(np.nsPath)
	if err != nil || len(addrs) == 0 {
		s.log.Debug("no address for a pod", "pod", np.ref(), "err", err)
		np.nsPath = ""
		return
	}
	np.ip = addrs[0]
	for _, a := range addrs {
		if a.Is4() {
			np.ip = a
			break
		}
	}
	ls, err := s.fs.Listeners(subj.InitPID)
	if err != nil {
		return
	}
	for _, l := range ls {
		if l.Proto == "tcp" && (l.Addr.IsUnspecified() || l.Addr == np.ip) && (np.port == 0 || l.Port < np.port) {
			np.port = l.Port
		}
	}
}

// probeNetworkPolicies connects, for each isolated pod, from pods of this
// node its policies deny (ingress) and to pods its policies deny it
// (egress), each after a positive control from the node.
func (s *pass) probeNetworkPolicies(o NetworkOptions, pods, isolated []*netPod, evidence map[*netPod]*checks.NetworkEvidence) {
	budget := cmp.Or(o.MaxProbes, 32)
	for _, np := range pods {
		s.locate(np)
	}
	hostNS := filepath.Join(s.fs.Root(), strconv.Itoa(s.fs.HostPID()), "ns", "net")
	controls := map[*netPod]string{}
	control := func(dst *netPod) string {
		if c, ok := controls[dst]; ok {
			return c
		}
		out, err := netpol.ConnectFrom(hostNS, netip.AddrPortFrom(dst.ip, dst.port), netpol.DefaultTimeout)
		if err != nil {
			s.log.Warn("cannot enter the node's network namespace", "err", err)
		}
		s.log.Debug("network-policy control", "to", dst.ref(), "outcome", out)
		controls[dst] = string(out)
		return string(out)
	}
	skipped := false
	probe := func(ev *checks.NetworkEvidence, dir string, policies []string, src, dst *netPod) {
		if budget <= 0 {
			skipped = true
			return
		}
		budget--
		addr := netip.AddrPortFrom(dst.ip, dst.port)
		p := checks.NetworkProbe{Direction: dir, Policies: policies, From: src.ref(), To: dst.ref(), Addr: addr.String(), Control: control(dst)}
		out, err := netpol.ConnectFrom(src.nsPath, addr, netpol.DefaultTimeout)
		if err != nil {
			s.log.Warn("cannot enter a pod's network namespace", "pod", src.ref(), "err", err)
		}
		p.Outcome = string(out)
		ev.Probes = append(ev.Probes, p)
	}
	const perPod = 2
	for _, dst := range isolated {
		ev := evidence[dst]
		if len(ev.Ingress) == 0 || dst.nsPath == "" || dst.port == 0 {
			continue
		}
		n := 0
		for _, src := range pods {
			if src == dst || src.nsPath == "" || n == perPod {
				continue
			}
			if netpol.IngressVerdict(o.Policies, src.pod, dst.pod, int32(dst.port)) != netpol.Denied {
				continue
			}
			probe(ev, "ingress", ev.Ingress, src, dst)
			n++
		}
	}
	for _, src := range isolated {
		ev := evidence[src]
		if len(ev.Egress) == 0 || src.nsPath == "" {
			continue
		}
		n := 0
		for _, dst := range pods {
			if dst == src || dst.nsPath == "" || dst.port == 0 || n == perPod {
				continue
			}
			// The destination must let the connection in: a refusal is
			// then the source's egress policy's.
			if netpol.EgressVerdict(o.Policies, src.pod, dst.pod, int32(dst.port)) != netpol.Denied ||
				netpol.IngressVerdict(o.Policies, src.pod, dst.pod, int32(dst.port)) != netpol.Allowed {
				continue
			}
			probe(ev, "egress", ev.Egress, src, dst)
			n++
		}
	}
	if skipped {
		s.r.Notes = append(s.r.Notes, fmt.Sprintf("network-policy: the probe budget (%d connects) ran out; some isolated pods were not probed", cmp.Or(o.MaxProbes, 32)))
	}
}
