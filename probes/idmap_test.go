package probes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
