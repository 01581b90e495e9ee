package scan

import (
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// TokenOptions configure the unused-token check: the agent's opt-in
// (--unused-token-window); a one-shot scan has no history to judge.
type TokenOptions struct {
	// Window is how long a pod with an automounted token is observed
	// before it is reported for never reaching the API server; 0 is off.
	Window time.Duration
	// Observer remembers the samples across audits (agent/daemon's).
	Observer TokenObserver
}

// TokenObserver remembers, per pod UID, whether a socket of the pod was
// ever seen connected to the API server.
type TokenObserver interface {
	// API are the API server's addresses, as a pod's socket names its peer.
	API() []netip.AddrPort
	// Observe records one sample of pod uid and returns how long the pod
	// has been observed and whether any sample so far reached the API.
	Observe(uid string, reached bool) (observed time.Duration, ever bool)
	// Keep forgets every pod not in uids (after a full audit: the pods
	// with a running container).
	Keep(uids map[string]bool)
}

// tokenPath is where the kubelet mounts the automounted token.
const tokenPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// judgeTokenUse samples the TCP sockets of each audited pod with an
// automounted token and, unless f names containers (the agent's audits of
// started containers, which only sample), sets the evidence on the pod's
// reporter. An unfiltered audit also forgets the pods it did not see.
func (s *pass) judgeTokenUse(f Filter) {
	judge := len(f.IDs) == 0
	o := s.opts.Tokens
	if o.Window <= 0 || o.Observer == nil || s.opts.Declared == nil {
		return
	}
	api := o.Observer.API()
	names := make([]string, len(api))
	for i, a := range api {
		names[i] = a.String()
	}
	slices.Sort(names)
	live := map[string]bool{}
	for _, np := range s.netPods() {
		uid := string(np.pod.UID)
		live[uid] = true
		// hostNetwork: the sockets are the host's, nothing is the pod's.
		if np.pod.Spec.HostNetwork || !automountedToken(np.pod) || np.reporter.InitPID <= 0 {
			continue
		}
		peers, err := s.fs.TCPPeers(np.reporter.InitPID)
		if err != nil {
			s.log.Debug("cannot read a pod's TCP sockets", "pod", np.ref(), "pid", np.reporter.InitPID, "err", err)
			continue // gone or unreadable: no sample
		}
		reached := slices.ContainsFunc(peers, func(p probes.Peer) bool {
			return p.Connected() && slices.Contains(api, p.Remote)
		})
		observed, ever := o.Observer.Observe(uid, reached)
		if !judge {
			continue
		}
		subj := np.reporter
		if subj.Exposure == nil {
			subj.Exposure = &checks.Exposure{}
		}
		subj.Exposure.TokenUse = &checks.TokenUseEvidence{Path: tokenPath, Observed: observed, Window: o.Window, Reached: ever, API: names}
		s.judgeAgain(subj)
	}
	if f.all() {
		o.Observer.Keep(live)
	}
}

// automountedToken: the pod mounts a projected service-account token at
// the kubelet's path and does not opt out of automounting.
func automountedToken(pod *corev1.Pod) bool {
	if a := pod.Spec.AutomountServiceAccountToken; a != nil && !*a {
		return false
	}
	projected := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ServiceAccountToken != nil {
				projected[v.Name] = true
			}
		}
	}
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if m.MountPath == tokenPath && projected[m.Name] {
				return true
			}
		}
	}
	return false
}
