package probes

import (
	"bytes"
	"strings"
	"testing"
)

// Fuzz targets for the readers added with the secrets, sockets, sysctls
// and ownership checks: none may panic on any input, and each keeps its
// invariants.

func FuzzParseEnvironNames(f *testing.F) {
	f.Add([]byte("PATH=/bin\x00DB_PASSWORD=hunter2\x00=x\x00NOEQ\x00"))
	f.Add([]byte("A=1\x00A=2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		names := parseEnvironNames(b, nil)
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, "=\x00") {
				t.Fatalf("name %q from %q", n, b)
			}
		}
	})
}

func FuzzParseNetSockets(f *testing.F) {
	f.Add([]byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n"), false)
	f.Add([]byte("  sl  local_address\n   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0 777\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		_, _ = parseNetSockets(b, "tcp", v6)
	})
}

func FuzzParseJWTExpiry(f *testing.F) {
	f.Add([]byte("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln"))
	f.Add([]byte("a.b.c"))
	f.Add([]byte("eyJ9.eyJleHAiOiJ4In0.x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok := parseJWTExpiry(b)
		if !tok.JWT && (tok.Expires || tok.Exp != 0) {
			t.Fatalf("%+v from a non-JWT %q", tok, b)
		}
	})
}

func FuzzParseCmdline(f *testing.F) {
	f.Add([]byte("containerd-shim-runc-v2\x00-namespace\x00k8s.io\x00-id\x00abc\x00"))
	f.Add([]byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		args := parseCmdline(b)
		if len(args) > bytes.Count(b, []byte{0})+1 {
			t.Fatalf("%d arguments from %d NULs", len(args), bytes.Count(b, []byte{0}))
		}
	})
}

func FuzzParseUptime(f *testing.F) {
	f.Add([]byte("12345.67 24680.12\n"))
	f.Add([]byte("1e308 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseUptime(b); err == nil && d < 0 {
			t.Fatalf("negative uptime %v from %q", d, b)
		}
	})
}
