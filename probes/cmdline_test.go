package probes

import (
	"slices"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	if got := parseCmdline([]byte("kube-apiserver\x00--encryption-provider-config=/etc/enc.yaml\x00\x00")); !slices.Equal(got, []string{"kube-apiserver", "--encryption-provider-config=/etc/enc.yaml"}) {
		t.Errorf("got %q", got)
	}
	if got := parseCmdline(nil); got != nil {
		t.Errorf("empty: %q", got)
	}
	for in, want := range map[string]string{"/usr/bin/kube-router": "kube-router", "/usr/bin/cilium-agent (deleted)": "cilium-agent", "felix": "felix"} {
		if got := ExeName(in); got != want {
			t.Errorf("ExeName(%q) = %q, want %q", in, got, want)
		}
	}
}
