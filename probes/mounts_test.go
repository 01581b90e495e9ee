package probes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
