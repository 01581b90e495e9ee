package probes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCgroupsWithin(t *testing.T) {
	v1 := func(p string) []Cgroup {
		return []Cgroup{{HierarchyID: 4, Controllers: []string{"memory"}, Path: p}, {HierarchyID: 1, Controllers: []string{"cpu"}, Path: p}, {HierarchyID: 0, Path: "/system.slice"}}
	}
	ref := v1("/kubepods/pod1/c1")
	tests := []struct {
		name string
		cand []Cgroup
		want bool
	}{
		{"same", v1("/kubepods/pod1/c1"), true},
		{"below", v1("/kubepods/pod1/c1/sub"), true},
		{"sibling with common prefix", v1("/kubepods/pod1/c10"), false},
		{"other container", v1("/kubepods/pod1/c2"), false},
		{"host", v1("/"), false},
		{"missing hierarchy", v1("/kubepods/pod1/c1")[:2], false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := cgroupsWithin(tt.cand, ref); got != tt.want {
			t.Errorf("%s: cgroupsWithin = %v, want %v", tt.name, got, tt.want)
		}
	}
	if cgroupsWithin(ref, nil) {
		t.Error("an empty reference must match nothing")
	}
	if !anyCgroupWithin(ref, "/kubepods") || anyCgroupWithin(ref, "/kube") || !anyCgroupWithin(ref, "/") {
		t.Error("anyCgroupWithin: wrong prefix semantics")
	}
}

func TestParseCgroups(t *testing.T) {
	tests := []struct {
		in      string
		want    []Cgroup
		wantErr bool
	}{
		{"", []Cgroup{}, false},
		{"0::/system.slice/x.service\n", []Cgroup{{0, nil, "/system.slice/x.service"}}, false},
		{"12:cpu,cpuacct:/kubepods/pod1/c1\n1:name=systemd:/a:b\n0::/\n", []Cgroup{
			{12, []string{"cpu", "cpuacct"}, "/kubepods/pod1/c1"}, {1, []string{"name=systemd"}, "/a:b"}, {0, nil, "/"},
		}, false},
		{"x:cpu:/a\n", nil, true},
		{"-1:cpu:/a\n", nil, true},
		{"1:cpu\n", nil, true},
		{"garbage\n", nil, true},
	}
	for _, tt := range tests {
		got, err := parseCgroups([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCgroups(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseCgroups(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	// Controller lists share one array but are capacity-limited.
	got, _ := parseCgroups([]byte("2:cpu,cpuacct:/a\n1:memory:/a\n"))
	_ = append(got[0].Controllers, "x")
	if got[1].Controllers[0] != "memory" {
		t.Errorf("append to one controller list overwrote the next: %v", got[1].Controllers)
	}
}

func FuzzParseCgroups(f *testing.F) {
	for _, s := range []string{"0::/\n", "12:cpu,cpuacct:/kubepods/pod1/c1\n1:name=systemd:/a:b\n", "x:y", "1::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cgs, err := parseCgroups([]byte(in))
		if err != nil {
			return
		}
		for _, c := range cgs {
			if c.HierarchyID < 0 || strings.Contains(c.Path, "\n") {
				t.Fatalf("%q: accepted %+v", in, c)
			}
			for _, name := range c.Controllers {
				if strings.ContainsAny(name, ",:\n") {
					t.Fatalf("%q: controller %q", in, name)
				}
			}
		}
	})
}
