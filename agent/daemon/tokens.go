package daemon

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// maxTokenPods bounds the pods the token observer remembers (a node runs
// 110 pods by default): a pod beyond it is not observed, so never reported.
const maxTokenPods = 10000

// tokenObserver remembers, per pod UID, when the pod was first sampled
// and whether a socket of it was ever seen connected to the API server
// (the unused-token check). In memory only: an agent restart starts every
// window again.
type tokenObserver struct {
	api []netip.AddrPort
	now func() time.Time
	max int

	mu   sync.Mutex
	pods map[string]*tokenPod
}

type tokenPod struct {
	first   time.Time
	reached bool
}

func newTokenObserver(api []netip.AddrPort, now func() time.Time) *tokenObserver {
	return &tokenObserver{api: api, now: now, max: maxTokenPods, pods: map[string]*tokenPod{}}
}

// API implements scan.TokenObserver.
func (o *tokenObserver) API() []netip.AddrPort { return o.api }

// Observe implements scan.TokenObserver: one connection seen clears the
// pod for its life.
func (o *tokenObserver) Observe(uid string, reached bool) (time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	p := o.pods[uid]
	if p == nil {
		if len(o.pods) >= o.max {
			return 0, false
		}
		p = &tokenPod{first: now}
		o.pods[uid] = p
	}
	p.reached = p.reached || reached
	return now.Sub(p.first), p.reached
}

// Keep implements scan.TokenObserver: pods gone are forgotten.
func (o *tokenObserver) Keep(uids map[string]bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for uid := range o.pods {
		if !uids[uid] {
			delete(o.pods, uid)
		}
	}
}

// apiAddrs are the addresses a pod's socket names when it talks to the API
// server: extra (--api-addresses: its endpoints), and the agent's own API
// host when it is an address (in a pod, the kubernetes Service's
// ClusterIP:443 from KUBERNETES_SERVICE_HOST/PORT).
func apiAddrs(cfg *rest.Config, extra []netip.AddrPort) []netip.AddrPort {
	out := slices.Clone(extra)
	if cfg != nil {
		if a, ok := hostAddr(cfg.Host); ok && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// hostAddr parses a rest.Config host ("https://10.0.0.1:443", "10.0.0.1")
// into an address and port (443 by default); a name is not resolved.
func hostAddr(host string) (netip.AddrPort, bool) {
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Host
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "443"
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(a.Unmap().String(), port))
	return ap, err == nil
}
