package probes

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const statSleep = "4242 (sleep) S 1 4242 4242 0 -1 4194304 97 0 0 0 0 0 0 0 20 0 1 0 7700 2322432 324 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	tests := []struct {
		in      string
		comm    string
		state   byte
		ppid    int
		start   uint64
		wantErr bool
	}{
		{statSleep, "sleep", 'S', 1, 7700, false},
		{strings.Replace(statSleep, "(sleep)", "(a) b (c) S 9)", 1), "a) b (c) S 9", 'S', 1, 7700, false},
		{strings.Replace(statSleep, "(sleep)", "()", 1), "", 'S', 1, 7700, false},
		{"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3", "kthreadd", 'S', 0, 3, false},
		{"", "", 0, 0, 0, true},
		{"901 (broken S 1 2\n", "", 0, 0, 0, true},
		{"1 (x) S 1 2 3\n", "", 0, 0, 0, true},                            // truncated before field 22
		{strings.Replace(statSleep, " S ", " SS ", 1), "", 0, 0, 0, true}, // state not one letter
		{strings.Replace(statSleep, " S 1 ", " S -1 ", 1), "", 0, 0, 0, true},
		{strings.Replace(statSleep, " 7700 ", " 77x0 ", 1), "", 0, 0, 0, true},
		{"1 )x( S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", "", 0, 0, 0, true},
	}
	for _, tt := range tests {
		got, err := parseStat([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseStat(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && (string(got.comm) != tt.comm || got.state != tt.state || got.ppid != tt.ppid || got.start != tt.start) {
			t.Errorf("parseStat(%q) = %q %c %d %d", tt.in, got.comm, got.state, got.ppid, got.start)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	for _, s := range []string{statSleep, "", "1 (a) b) S 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", "1 (x S 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		st, err := parseStat([]byte(in))
		if err != nil {
			return
		}
		// Accepted: the comm is what lies between the first "(" and the
		// last ")", and the state and ppid are the two fields after it.
		in = strings.TrimRight(in, "\n")
		i, j := strings.IndexByte(in, '('), strings.LastIndexByte(in, ')')
		if i < 0 || j < i || string(st.comm) != in[i+1:j] {
			t.Fatalf("%q: comm %q", in, st.comm)
		}
		f := strings.FieldsFunc(in[j+1:], func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) < 20 || f[0] != string([]byte{st.state}) {
			t.Fatalf("%q: fields %v, got state %c", in, f, st.state)
		}
		ppid, err1 := strconv.ParseUint(f[1], 10, 64)
		start, err2 := strconv.ParseUint(f[19], 10, 64)
		if err1 != nil || err2 != nil || ppid != uint64(st.ppid) || start != st.start {
			t.Fatalf("%q: fields %v, got ppid %d start %d", in, f, st.ppid, st.start)
		}
	})
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

const mountinfoHost = "22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw\n" +
	"27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n" +
	"90 27 0:50 /tmp/a\\040b /mnt/my\\040dir ro,nosuid master:7 shared:9 - tmpfs my\\134src rw,size=10k,mode=755\n"

func TestParseMountInfo(t *testing.T) {
	got, err := parseMountInfo([]byte(mountinfoHost))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{ID: 22, ParentID: 27, Root: "/", MountPoint: "/proc", Options: []string{"rw", "relatime"}, FSType: "proc", Source: "proc", SuperOptions: []string{"rw"}},
		{ID: 27, ParentID: 1, Root: "/", MountPoint: "/", Options: []string{"rw", "relatime"}, FSType: "ext4", Source: "/dev/vda", SuperOptions: []string{"rw", "discard"}},
		{ID: 90, ParentID: 27, Root: "/tmp/a b", MountPoint: "/mnt/my dir", Options: []string{"ro", "nosuid"}, FSType: "tmpfs", Source: `my\src`, SuperOptions: []string{"rw", "size=10k", "mode=755"}, ReadOnly: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseMountInfo (-want +got):\n%s", diff)
	}
	_ = append(got[0].Options, "x")
	_ = append(got[0].SuperOptions, "y")
	if got[0].SuperOptions[0] != "rw" || got[1].Options[0] != "rw" {
		t.Error("append to one option list overwrote the next")
	}
	if m, err := parseMountInfo(nil); err != nil || len(m) != 0 {
		t.Errorf("empty mountinfo = %v, %v", m, err)
	}

	for _, bad := range []string{
		"garbage line without separator\n",
		"1 2 0:1 / / rw - ext4\n",             // no source and super options
		"1 2 0:1 / / rw ext4 /dev/vda rw\n",   // no separator
		"x 2 0:1 / / rw - ext4 /dev/vda rw\n", // bad ID
		"1 2 0:1 / - ext4 /dev/vda rw\n",      // too few fields before the separator
		"1  2 0:1 / / rw - ext4 /dev/vda rw\n",
		mountinfoHost + "1 -2 0:1 / / rw - ext4 /dev/vda rw\n",
	} {
		if m, err := parseMountInfo([]byte(bad)); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseMountInfo(%q) = %v, %v; want a one-line error", bad, m, err)
		}
	}
}

func FuzzParseMountInfo(f *testing.F) {
	for _, s := range []string{mountinfoHost, "", "1 2 0:1 / / rw - ext4 /dev/vda rw", "1 2 0:1 / / rw a b - c d e f,g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := parseMountInfo([]byte(in))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error %q is not one line", in, err)
			}
			return
		}
		if len(ms) > strings.Count(in, "\n")+1 {
			t.Fatalf("%q: %d mounts from fewer lines", in, len(ms))
		}
		for _, m := range ms {
			if m.ID < 0 || m.ParentID < 0 || m.FSType == "" || len(m.Options) == 0 || len(m.SuperOptions) == 0 {
				t.Fatalf("%q: accepted %+v", in, m)
			}
			if m.ReadOnly != containsOpt(m.Options, "ro") {
				t.Fatalf("%q: ReadOnly %v with options %v", in, m.ReadOnly, m.Options)
			}
			for _, o := range m.Options {
				if strings.ContainsAny(o, ", \n") {
					t.Fatalf("%q: option %q", in, o)
				}
			}
			for _, o := range m.SuperOptions { // the rest of the line: spaces kept
				if strings.ContainsAny(o, ",\n") {
					t.Fatalf("%q: super option %q", in, o)
				}
			}
		}
	})
}

func containsOpt(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}
