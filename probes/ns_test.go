package probes

import (
	"strings"
	"testing"
)

func TestParseNSLink(t *testing.T) {
	tests := []struct {
		in    string
		kind  string
		inode uint64
		ok    bool
	}{
		{"net:[4026531840]", "net", 4026531840, true},
		{"pid:[1]", "pid", 1, true},
		{"net-4026531840", "", 0, false},
		{"net:[]", "", 0, false},
		{":[1]", "", 0, false},
		{"net:[x]", "", 0, false},
		{"net:4026531840", "", 0, false},
		{"net:[-1]", "", 0, false},
	}
	for _, tt := range tests {
		kind, inode, err := parseNSLink(tt.in)
		if (err == nil) != tt.ok || kind != tt.kind || inode != tt.inode {
			t.Errorf("parseNSLink(%q) = %q, %d, %v; want %q, %d, ok=%v", tt.in, kind, inode, err, tt.kind, tt.inode, tt.ok)
		}
	}
}

func FuzzParseNSLink(f *testing.F) {
	for _, s := range []string{"net:[4026531840]", "a:[]", ":", "x:[1", "time:[18446744073709551615]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		kind, inode, err := parseNSLink(in)
		if err != nil {
			return
		}
		if kind == "" || !strings.HasPrefix(in, kind+":[") {
			t.Fatalf("%q: kind %q", in, kind)
		}
		_ = inode
	})
}

func TestNamespacesSame(t *testing.T) {
	host := Namespaces{NSNet: 1, NSPID: 2}
	p := &Process{Namespaces: Namespaces{NSNet: 1, NSPID: 3}}
	if !p.IsHost(host, NSNet) || p.IsHost(host, NSPID) || p.IsHost(host, NSTime) {
		t.Errorf("IsHost: net %v pid %v time %v, want true false false", p.IsHost(host, NSNet), p.IsHost(host, NSPID), p.IsHost(host, NSTime))
	}
	if len(NSKinds()) != 8 {
		t.Errorf("NSKinds() has %d kinds, want 8", len(NSKinds()))
	}
}
