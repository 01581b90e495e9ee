package expect

import (
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

func TestProcessCapsForPrivileged(t *testing.T) {
	set, _ := probes.ParseCapNames([]string{"CAP_CHOWN", "CAP_SYS_ADMIN"})
	full := ProcessCaps{Bounding: set, Permitted: set, Effective: set, Ambient: set, Inheritable: set}
	for _, tc := range []struct {
		runtime          string
		root, privileged bool
		want             ProcessCaps
	}{
		{"cri-o", true, true, full},
		{"cri-o", false, true, full}, // ambient: a non-root user holds them too
		{"cri-o", true, false, ProcessCaps{Bounding: set, Permitted: set, Effective: set}},
		{"cri-o", false, false, ProcessCaps{Bounding: set}},
		{"containerd", true, true, ProcessCaps{Bounding: set, Permitted: set, Effective: set}},
		{"containerd", false, true, ProcessCaps{Bounding: set}},
	} {
		if got := DefaultsFor(tc.runtime, "").ProcessCapsFor(set, tc.root, tc.privileged); got != tc.want {
			t.Errorf("%s root=%v privileged=%v: %+v, want %+v", tc.runtime, tc.root, tc.privileged, got, tc.want)
		}
	}
}

func TestSpecCapsPrivileged(t *testing.T) {
	all, _ := probes.ParseCapNames([]string{"CAP_CHOWN", "CAP_SYS_ADMIN"})
	asked, _ := probes.ParseCapNames([]string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"})
	crio := DefaultsFor("cri-o", "1.34.0")
	crio.AllCaps = all
	wantAmb, bnd, amb := crio.SpecCaps(all, true, asked, asked)
	if wantAmb != all || bnd != all || amb != all {
		t.Errorf("CRI-O privileged: want ambient %v, bounding %v, ambient %v; want all three %v", wantAmb, bnd, amb, all)
	}
	// Not privileged, or containerd: the spec is taken as it is.
	if wantAmb, bnd, amb := crio.SpecCaps(all, false, asked, asked); wantAmb != 0 || bnd != asked || amb != asked {
		t.Errorf("CRI-O unprivileged: %v %v %v", wantAmb, bnd, amb)
	}
	cd := DefaultsFor("containerd", "v2.4.2")
	cd.AllCaps = all
	if wantAmb, bnd, amb := cd.SpecCaps(all, true, asked, asked); wantAmb != 0 || bnd != asked || amb != asked {
		t.Errorf("containerd privileged: %v %v %v", wantAmb, bnd, amb)
	}
}
