package probes

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLSMLabel(t *testing.T) {
	tests := map[string]string{
		"":                                      "",
		"unconfined\n":                          "unconfined",
		"cri-containerd.apparmor.d (enforce)\n": "cri-containerd.apparmor.d (enforce)",
		"system_u:system_r:container_t:s0:c1,c2\x00": "system_u:system_r:container_t:s0:c1,c2",
	}
	for in, want := range tests {
		if got := parseLSMLabel([]byte(in)); got != want {
			t.Errorf("parseLSMLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseLSMLabel(f *testing.F) {
	f.Add("unconfined\n")
	f.Add("a\x00\n\x00")
	f.Fuzz(func(t *testing.T, in string) {
		out := parseLSMLabel([]byte(in))
		if !strings.HasPrefix(in, out) || strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\x00") {
			t.Fatalf("%q gave %q", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("%q gave invalid UTF-8 %q", in, out)
		}
	})
}
