package daemon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

func TestTokenObserver(t *testing.T) {
	now := time.Unix(1000, 0)
	o := newTokenObserver(nil, func() time.Time { return now })
	o.max = 2
	if d, ever := o.Observe("a", false); d != 0 || ever {
		t.Errorf("first sample: %v %v", d, ever)
	}
	now = now.Add(time.Hour)
	if d, ever := o.Observe("a", false); d != time.Hour || ever {
		t.Errorf("an hour idle: %v %v", d, ever)
	}
	o.Observe("b", true)
	now = now.Add(time.Hour)
	if d, ever := o.Observe("b", false); d != time.Hour || !ever {
		t.Errorf("one connection clears the pod for its life: %v %v", d, ever)
	}
	if d, ever := o.Observe("c", false); d != 0 || ever || len(o.pods) != 2 {
		t.Errorf("beyond the bound: %v %v, %d pods remembered", d, ever, len(o.pods))
	}
	o.Keep(map[string]bool{"b": true})
	if _, ok := o.pods["a"]; ok || len(o.pods) != 1 {
		t.Errorf("a gone pod is remembered: %v", o.pods)
	}
	if d, _ := o.Observe("a", false); d != 0 {
		t.Errorf("a forgotten pod starts again: %v", d)
	}
}

func TestAPIAddrs(t *testing.T) {
	extra := []netip.AddrPort{netip.MustParseAddrPort("10.232.5.1:6443")}
	for host, want := range map[string][]string{
		"https://10.0.0.1:443": {"10.232.5.1:6443", "10.0.0.1:443"},
		"https://[fd00::1]":    {"10.232.5.1:6443", "[fd00::1]:443"},
		"10.232.5.1:6443":      {"10.232.5.1:6443"},
		"https://api.example":  {"10.232.5.1:6443"},
	} {
		var got []string
		for _, a := range apiAddrs(&rest.Config{Host: host}, extra) {
			got = append(got, a.String())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("host %s (-want +got):\n%s", host, diff)
		}
	}
}
