package probes

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const statusHead = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t1\n"

const statusFull = statusHead + "Uid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nFDSize:\t64\n" +
	"Groups:\t4 27 100 \nNStgid:\t42\t1\nNSpid:\t42\t1\nVmPeak:\t    2268 kB\n" +
	"CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n" +
	"CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000400\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n" +
	"Speculation_Store_Bypass:\tthread vulnerable\nCpus_allowed_list:\t0-1\n"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Process
		wantErr string
	}{
		{
			name: "full",
			in:   statusFull,
			want: Process{
				UID: IDs{1000, 1001, 1002, 1003}, GID: IDs{2000, 2001, 2002, 2003},
				Groups: []uint32{4, 27, 100}, NSpid: []int{42, 1},
				Caps:       Capabilities{Inheritable: 0x400, Permitted: 0x400, Effective: 0x400, Bounding: 0xa80425fb, Ambient: 0x400},
				NoNewPrivs: true, Seccomp: SeccompFilter, SeccompFilters: 3,
			},
		},
		{
			name: "old kernel without CapAmb, NoNewPrivs, Seccomp, NSpid; empty Groups",
			in:   statusHead + "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0000000000000000\nCapPrm:\t0000003fffffffff\nCapEff:\t0000003fffffffff\nCapBnd:\t0000003fffffffff",
			want: Process{Caps: Capabilities{Permitted: 0x3fffffffff, Effective: 0x3fffffffff, Bounding: 0x3fffffffff}},
		},
		{name: "empty", in: "", wantErr: "missing"},
		{name: "truncated before CapEff", in: statusFull[:strings.Index(statusFull, "CapEff")], wantErr: "missing"},
		{name: "three uids", in: strings.Replace(statusFull, "1000\t1001\t1002\t1003", "1000\t1001\t1002", 1), wantErr: "field Uid"},
		{name: "five uids", in: strings.Replace(statusFull, "1003", "1003\t7", 1), wantErr: "more than 4"},
		{name: "uid overflow", in: strings.Replace(statusFull, "1003", "4294967296", 1), wantErr: "field Uid"},
		{name: "short cap mask", in: strings.Replace(statusFull, "CapEff:\t0000000000000400", "CapEff:\t400", 1), wantErr: "16 hex"},
		{name: "bad cap hex", in: strings.Replace(statusFull, "CapEff:\t0000000000000400", "CapEff:\tzzzzzzzzzzzzzzzz", 1), wantErr: "field CapEff"},
		{name: "bad group", in: strings.Replace(statusFull, "27", "x", 1), wantErr: "field Groups"},
		{name: "bad seccomp", in: strings.Replace(statusFull, "Seccomp:\t2", "Seccomp:\t2 3", 1), wantErr: "field Seccomp"},
		{name: "negative nspid", in: strings.Replace(statusFull, "NSpid:\t42\t1", "NSpid:\t42\t-1", 1), wantErr: "field NSpid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Process
			err := parseStatus([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(statusFull)
	f.Add(statusHead)
	f.Add("Uid:\t\t\t\t\nGroups:\nCapInh:\t")
	f.Add("Groups:\t0 \nNSpid:\t1\t2\t3\nSeccomp_filters:\t99999999999\n")
	f.Fuzz(func(t *testing.T, in string) {
		var p Process
		if err := parseStatus([]byte(in), &p); err == nil && !strings.Contains(in, "CapBnd") {
			t.Fatalf("accepted status without CapBnd: %q", in)
		}
	})
}

func TestParseIDMap(t *testing.T) {
	tests := []struct {
		in      string
		want    []IDMapping
		wantErr bool
	}{
		{"", nil, false},
		{"         0          0 4294967295\n", []IDMapping{{0, 0, 4294967295}}, false},
		{"0 196608 65536\n65536 1000 1\n", []IDMapping{{0, 196608, 65536}, {65536, 1000, 1}}, false},
		{"\n  \n0 1 2", []IDMapping{{0, 1, 2}}, false},
		{"0 0\n", nil, true},
		{"0 0 1 1\n", nil, true},
		{"0 0 0\n", nil, true},
		{"a b c\n", nil, true},
		{"0 0 4294967296\n", nil, true},
	}
	for _, tt := range tests {
		got, err := parseIDMap([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseIDMap(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseIDMap(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzParseIDMap(f *testing.F) {
	for _, s := range []string{"", "0 0 4294967295\n", "0 196608 65536\n1 2 3", "0 0", "\t1\t2\t3\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parseIDMap([]byte(in))
		if err != nil {
			return
		}
		for _, e := range m {
			if e.Length == 0 {
				t.Fatalf("%q: accepted a mapping of length 0", in)
			}
		}
	})
}

func TestUnescapeOctal(t *testing.T) {
	tests := map[string]string{
		"/":                       "/",
		`/mnt/my\040dir`:          "/mnt/my dir",
		`/a\011b\012c\134d`:       "/a\tb\nc\\d",
		`/trailing\04`:            `/trailing\04`,
		`/bad\089`:                `/bad\089`,
		`/big\777`:                `/big\777`,
		`\040\040`:                "  ",
		`/run/containerd.sock`:    "/run/containerd.sock",
		`/odd\\040`:               `/odd\ `,
		`/utf8/\303\251t\303\251`: "/utf8/été",
	}
	for in, want := range tests {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzUnescapeOctal(f *testing.F) {
	for _, s := range []string{`/mnt/my\040dir`, `\`, `\0`, `\00`, `\000`, `\777`, `a\134\134b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := unescapeOctal(in)
		if len(out) > len(in) {
			t.Fatalf("%q grew to %q", in, out)
		}
		if !strings.Contains(in, `\`) && out != in {
			t.Fatalf("%q without escapes changed to %q", in, out)
		}
	})
}

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

func TestRootMount(t *testing.T) {
	m := func(id, parent int, mp string) Mount { return Mount{ID: id, ParentID: parent, MountPoint: mp} }
	tests := []struct {
		name   string
		mounts []Mount
		want   int // ID, 0 for none
	}{
		{"none", []Mount{m(2, 1, "/proc")}, 0},
		{"container", []Mount{m(95, 60, "/"), m(96, 95, "/proc")}, 95},
		{"stacked", []Mount{m(10, 1, "/"), m(11, 10, "/usr"), m(12, 10, "/")}, 12},
		{"stacked listed child first", []Mount{m(12, 10, "/"), m(10, 1, "/")}, 12},
	}
	for _, tt := range tests {
		got, ok := rootMount(tt.mounts)
		if ok != (tt.want != 0) || got.ID != tt.want {
			t.Errorf("%s: rootMount = %d, %v; want %d", tt.name, got.ID, ok, tt.want)
		}
	}
}

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

func TestErrors(t *testing.T) {
	err := goneError(7, "status")
	if !errors.Is(err, ErrGone) || err.Error() != "probes: pid 7: status: process gone" {
		t.Errorf("goneError = %q", err)
	}
	perr := &PermissionError{PID: 7, File: "ns/net", Capability: neededCapability("ns/net"), Err: errors.New("permission denied")}
	if perr.Error() != "probes: pid 7: reading ns/net needs CAP_SYS_PTRACE: permission denied" {
		t.Errorf("PermissionError = %q", perr)
	}
	if neededCapability("status") != "CAP_DAC_READ_SEARCH" || neededCapability("mountinfo") != "CAP_SYS_PTRACE" {
		t.Error("neededCapability: wrong mapping")
	}
	if !errors.Is(malformed(7, "stat", errors.New("x")), ErrMalformed) {
		t.Error("malformed must wrap ErrMalformed")
	}
}
