package probes

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetSockets(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4712 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0CEA 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4713 1 0000000000000000 20 4 30 10 -1
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 100 0 0 10 0
`
	udp := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6001 2 0000000000000000 0
  101: 0A00000A:A1B2 0A000001:0035 01 00000000:00000000 00:00000000 00000000     0        0 6002 2 0000000000000000 0
`
	got, err := parseNetSockets([]byte(tcp), "tcp", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{
		{Proto: "tcp", Addr: netip.MustParseAddr("0.0.0.0"), Port: 8080, UID: 1000, Inode: 4711},
		{Proto: "tcp", Addr: netip.MustParseAddr("127.0.0.1"), Port: 3306, Inode: 4712},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("tcp (-want +got):\n%s", diff)
	}
	got, err = parseNetSockets([]byte(tcp6), "tcp", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Addr != netip.IPv6Unspecified() || got[0].Port != 80 || got[1].Addr != netip.IPv6Loopback() || got[1].Port != 81 {
		t.Errorf("tcp6: %v", got)
	}
	got, err = parseNetSockets([]byte(udp), "udp", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Port != 53 || got[0].Inode != 6001 || got[0].String() != "udp 0.0.0.0:53" {
		t.Errorf("udp: only the unconnected socket listens: %v", got)
	}
	for _, bad := range []string{"h\n 0: zz:0050 00000000:0000 0A 0 0 0 0 0 1 1\n", "h\n 0: 00000000:0050\n", "h\n 0: 00000000:0050 00000000:0000 0A 0 0 0 x 0 1 1\n"} {
		if _, err := parseNetSockets([]byte(bad), "tcp", false); err == nil {
			t.Errorf("malformed %q accepted", bad)
		}
	}
}

func TestSocketInode(t *testing.T) {
	if ino, ok := socketInode("socket:[4711]"); !ok || ino != 4711 {
		t.Errorf("socket: %d %v", ino, ok)
	}
	for _, s := range []string{"pipe:[1]", "/dev/null", "socket:[x]", "socket:[12"} {
		if _, ok := socketInode(s); ok {
			t.Errorf("%q taken for a socket", s)
		}
	}
}
