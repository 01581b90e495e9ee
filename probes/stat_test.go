package probes

import (
	"strconv"
	"strings"
	"testing"
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
