package probes

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetPeers(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0
   1: 0500580A:D431 0100000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 4713 1 0000000000000000 20 4 30 10 -1
   2: 0500580A:D432 0100000A:01BB 02 00000000:00000000 00:00000000 00000000     0        0 4714 1 0000000000000000 20 4 30 10 -1
   3: 0500580A:D433 0100000A:01BB 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000500580A:D434 0000000000000000FFFF00000100000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
`
	got, err := parseNetPeers([]byte(tcp), false)
	if err != nil {
		t.Fatal(err)
	}
	api := netip.MustParseAddrPort("10.0.0.1:443")
	local := func(port uint16) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr("10.88.0.5"), port) }
	want := []Peer{
		{Local: local(0xD431), Remote: api, State: tcpEstablished},
		{Local: local(0xD432), Remote: api, State: 0x02},
		{Local: local(0xD433), Remote: api, State: tcpTimeWait},
	}
	eq := cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })
	if diff := cmp.Diff(want, got, eq); diff != "" {
		t.Errorf("tcp (-want +got):\n%s", diff)
	}
	for i, connected := range []bool{true, false, true} {
		if got[i].Connected() != connected {
			t.Errorf("%+v: Connected() = %v, want %v", got[i], !connected, connected)
		}
	}
	got, err = parseNetPeers([]byte(tcp6), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Peer{{Local: local(0xD434), Remote: api, State: tcpEstablished}}, got, eq); diff != "" {
		t.Errorf("tcp6, IPv4-mapped (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"h\n 0: 00000000:0050 zz:01BB 01\n", "h\n 0: 00000000:0050\n", "h\n 0: 00000000:0050 0100000A:01BB xyz\n"} {
		if _, err := parseNetPeers([]byte(bad), false); err == nil {
			t.Errorf("malformed %q accepted", bad)
		}
	}
}

func FuzzParseNetPeers(f *testing.F) {
	f.Add([]byte("  sl  local_address rem_address   st\n   1: 0500580A:D431 0100000A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 4713 1\n"), false)
	f.Add([]byte("  sl\n   0: 0000000000000000FFFF00000500580A:D434 0000000000000000FFFF00000100000A:01BB 06 0 0 0 0 0 0\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		peers, err := parseNetPeers(b, v6)
		for _, p := range peers {
			if err == nil && (p.Remote.Port() == 0 || !p.Remote.IsValid()) {
				t.Fatalf("%+v kept with no remote end", p)
			}
		}
	})
}
