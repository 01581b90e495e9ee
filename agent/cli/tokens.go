package cli

import (
	"flag"
	"net/netip"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/agent/daemon"
)

// tokenFlags are the agent's unused-token flags (opt-in).
type tokenFlags struct {
	window time.Duration
	api    string
	addrs  []netip.AddrPort
}

func (f *tokenFlags) AddFlags(fs *flag.FlagSet) {
	fs.DurationVar(&f.window, "unused-token-window", 0, "report (low) a pod with an automounted service-account token whose sockets were not once seen connected to the API server in this long (sampled at each audit; 0 is off)")
	fs.StringVar(&f.api, "api-addresses", "", "with --unused-token-window: more addresses of the API server (IP:port, comma-separated; its endpoints) besides the agent's own API address")
}

func (f *tokenFlags) Validate() error {
	if f.window < 0 {
		return usagef("--unused-token-window must not be negative")
	}
	f.addrs = nil
	for a := range strings.SplitSeq(f.api, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return usagef("--api-addresses %q: want IP:port", a)
		}
		f.addrs = append(f.addrs, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	if len(f.addrs) > 0 && f.window == 0 {
		return usagef("--api-addresses needs --unused-token-window")
	}
	return nil
}

func (f *tokenFlags) apply(o *daemon.Options) {
	o.UnusedTokenWindow, o.APIAddrs = f.window, f.addrs
}
